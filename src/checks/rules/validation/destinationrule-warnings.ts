import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { SCHEMA_WARNING } from './_schema-warning.js';

const TOPOLOGY_LABELS = ['topology.kubernetes.io/region', 'topology.kubernetes.io/zone', 'topology.istio.io/subzone'];
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Whether agent.ValidateLocalityLbSetting returns before its failover warning: `distribute` beside `failover`, a
 * topology label in `failoverPriority` beside `failover`, or a `distribute` entry whose weights are outside 1..100 or
 * do not add up to 100.
 */
function localityReturnsEarly(lb: Readonly<Record<string, unknown>>): boolean {
  const failover = list(lb.failover).length > 0;
  if (list(lb.distribute).length > 0 && failover) return true;
  if (failover && list(lb.failoverPriority).some((l) => typeof l === 'string' && TOPOLOGY_LABELS.includes(l))) return true;
  return list(lb.distribute).some((d) => {
    const weights = isRecord(d) && isRecord(d.to) ? Object.values(d.to) : [];
    return weights.some((w) => typeof w !== 'number' || w <= 0 || w > 100) || weights.reduce<number>((a, w) => a + Number(w), 0) !== 100;
  });
}

/**
 * The warnings of validateOutlierDetection, validateLoadBalancer and agent.ValidateLocalityLbSetting /
 * ValidateZoneAwareLbSetting for one traffic policy: [message, path relative to the policy].
 */
function policyWarnings(policy: Readonly<Record<string, unknown>>): [string, FieldPath][] {
  const out: [string, FieldPath][] = [];
  const outlier = policy.outlierDetection;
  if (isRecord(outlier) && typeof outlier.consecutiveErrors === 'number' && outlier.consecutiveErrors !== 0) {
    out.push(['outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead: outlierDetection.consecutiveErrors ' +
      'counts 5xx responses; write the same number as consecutive5xxErrors', ['outlierDetection', 'consecutiveErrors']]);
  }
  const lb = isRecord(policy.loadBalancer) ? policy.loadBalancer : undefined;
  if (!lb) return out;
  const hash = lb.consistentHash;
  if (isRecord(hash) && typeof hash.minimumRingSize === 'number' && hash.minimumRingSize !== 0) {
    out.push(['consistent hash MinimumRingSize is deprecated, use ConsistentHashLB\'s RingHash configuration instead: move loadBalancer.consistentHash.minimumRingSize ' +
      'to consistentHash.ringHash.minimumRingSize', ['loadBalancer', 'consistentHash', 'minimumRingSize']]);
  }
  for (const field of ['localityLbSetting', 'zoneAwareLbSetting']) {
    const setting = lb[field];
    if (!isRecord(setting) || (field === 'localityLbSetting' && localityReturnsEarly(setting))) continue;
    if ((list(setting.failover).length > 0 || list(setting.failoverPriority).length > 0) && !isRecord(outlier)) {
      out.push([`outlier detection policy must be provided for failover: loadBalancer.${field} fails over, but without outlierDetection no endpoint is ever ` +
        'ejected, so traffic never leaves the local locality; add outlierDetection (e.g. {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s})',
      ['loadBalancer', field]]);
    }
  }
  return out;
}

/**
 * `validation/destinationrule-warnings` (IST0133): what Istio's webhook accepts on a DestinationRule with a warning.
 * Mirrors the warnings of `validateTrafficPolicy` (`pkg/config/validation/validation.go`) that reach `istioctl analyze`:
 * only the top-level `trafficPolicy`'s, as Istio drops the warnings of subset and port-level policies (appendErrors).
 */
const destinationRuleWarnings: Rule = {
  id: 'validation/destinationrule-warnings',
  istioCode: 'IST0133',
  severity: 'warning',
  summary: 'A DestinationRule uses something Istio accepts with a warning: the deprecated outlierDetection.consecutiveErrors or consistentHash.minimumRingSize, or locality failover without outlierDetection.',
  docs: [
    'Istio\'s webhook accepts these in a DestinationRule\'s top-level `trafficPolicy` with a warning, which `istioctl',
    'analyze` reports as IST0133 (SchemaWarning): `outlierDetection.consecutiveErrors` ("deprecated, use',
    'consecutiveGatewayErrors or consecutive5xxErrors instead"); `loadBalancer.consistentHash.minimumRingSize` ("use',
    'ConsistentHashLB\'s RingHash configuration instead"); `localityLbSetting` or `zoneAwareLbSetting` with `failover`',
    'or `failoverPriority` but no `outlierDetection` in the same policy ("outlier detection policy must be provided for',
    'failover": without it no endpoint is ejected, so traffic never fails over). Istio drops the warnings of subset and',
    'port-level policies, and gives no failover warning when the locality setting is refused first (distribute beside',
    'failover, weights not adding up to 100). `deprecation/deprecated-fields` also reports the deprecated fields',
    'anywhere. Fix: use `consecutive5xxErrors`, `consistentHash.ringHash.minimumRingSize`; add `outlierDetection`.',
  ].join(' '),
  kinds: ['DestinationRule'],
  check(graph, ctx) {
    for (const dr of graph.ofKind('DestinationRule')) {
      const policy = dr.spec.trafficPolicy;
      if (!isRecord(policy) || (isRecord(policy.tunnel) && policy.proxyProtocol !== undefined && policy.proxyProtocol !== null)) continue;
      for (const [message, at] of policyWarnings(policy)) ctx.report(dr, `${SCHEMA_WARNING} ${message}`, { path: ['spec', 'trafficPolicy', ...at] });
    }
  },
};

export default destinationRuleWarnings;
