import { isRecord } from '../../../mesh/object.js';
import { formatPath } from '../../../mesh/parse.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { wildcardDomainError, isIpAddress } from './_dns.js';
import { LABEL_FIX, labelProblems } from './_labels.js';
import { configMapCredentialProblems } from './_client-tls.js';
import { trafficPolicyProblems } from './_traffic-policy.js';

const POLICY_FIELDS = ['outlierDetection', 'connectionPool', 'loadBalancer', 'tls', 'portLevelSettings', 'tunnel', 'proxyProtocol', 'retryBudget'];
const PORT_POLICY_FIELDS = ['outlierDetection', 'connectionPool', 'loadBalancer', 'tls'];

/**
 * Istio `validateTrafficPolicy` on `tunnel` ({protocol: CONNECT | POST, targetHost, targetPort}) and its exclusion with
 * `proxyProtocol`, and `validateTunnelSettings`: [message, path relative to the policy].
 */
function tunnelProblems(policy: Readonly<Record<string, unknown>>): [string, FieldPath][] {
  const tunnel = policy.tunnel;
  if (!isRecord(tunnel)) return [];
  if (policy.proxyProtocol !== undefined && policy.proxyProtocol !== null) {
    return [['tunnel and proxyProtocol must not be set together: the upstream connection is either tunneled (HTTP CONNECT/POST) or prefixed with a ' +
      'PROXY protocol header; remove one of them', ['proxyProtocol']]];
  }
  const out: [string, FieldPath][] = [];
  if (typeof tunnel.protocol === 'string' && tunnel.protocol !== '' && tunnel.protocol !== 'CONNECT' && tunnel.protocol !== 'POST') {
    out.push([`tunnel protocol must be "CONNECT" or "POST": tunnel.protocol is "${tunnel.protocol}"`, ['tunnel', 'protocol']]);
  }
  const host = typeof tunnel.targetHost === 'string' ? tunnel.targetHost : '';
  if (typeof tunnel.targetHost === 'string' && !isIpAddress(host) && (host === '' || host.includes('*') || wildcardDomainError(host) !== null)) {
    out.push([`tunnel target host must be valid FQDN or IP address: tunnel.targetHost is "${host}"; give the host name or IP the tunnel connects to`, ['tunnel', 'targetHost']]);
  }
  const port = tunnel.targetPort;
  if (typeof port === 'number' && !(port >= 1 && port <= 65535)) {
    out.push([`tunnel target port is invalid: port number ${port} must be in the range 1..65535 (tunnel.targetPort, the port the tunnel connects to)`, ['tunnel', 'targetPort']]);
  }
  return out;
}

/** `validation/destinationrule-structure` (IST0106): traffic policies Istio's ValidateDestinationRule refuses beyond the CRD schema. */
const destinationRuleStructure: Rule = {
  id: 'validation/destinationrule-structure',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A DestinationRule that Istio\'s admission webhook refuses: an empty trafficPolicy, a portLevelSettings entry without port or without any setting, duplicate subset names, subset labels that are not Kubernetes labels, tunnel settings or tunnel beside proxyProtocol, or settings validateConnectionPool, validateOutlierDetection, validateLoadBalancer or ValidateTLS refuse (outlier percentages outside 0..100, durations finer than 1 ms, locality weights not adding up to 100, MUTUAL tls without client certificate and key, h2UpgradePolicy UPGRADE with useClientProtocol, a maglev table size that is not prime…).',
  docs: [
    'Istio\'s `ValidateDestinationRule`, `validateTrafficPolicy` and `validatePortTrafficPolicies` (pkg/config/validation,',
    'run on admission for the top-level `trafficPolicy` and each subset\'s) refuse what the CRD schema lets through: a',
    '`trafficPolicy` with no field set ("traffic policy must have at least one field"), a `portLevelSettings` entry',
    'without `port` ("portTrafficPolicy must have valid port": without it the settings apply to no port), an entry that',
    'sets none of `outlierDetection`, `connectionPool`, `loadBalancer`, `tls`, two subsets with one name, subset `labels`',
    'whose keys or values are not label syntax (`labels.Instance.Validate`: "invalid tag key"), `tunnel`',
    'beside `proxyProtocol`, a tunnel protocol other than CONNECT/POST, a targetHost that is neither FQDN nor IP, a',
    'targetPort outside 1..65535. In every policy, top-level, subset and port-level alike, it also refuses a',
    '`connectionPool` with neither `http` nor `tcp`, negative connection counts, `h2UpgradePolicy: UPGRADE` beside',
    '`useClientProtocol: true`, an `http2KeepAlive` without interval or timeout, `consecutiveLocalOriginFailures`',
    'without `splitExternalLocalOriginErrors: true`, `maxEjectionPercent` or `minHealthPercent` outside 0..100',
    '(`ValidatePercent`; Envoy also refuses max_ejection_percent above 100), an httpCookie with an empty name or',
    'repeated attribute names, the deprecated `minimumRingSize` beside `ringHash`/`maglev`, a maglev `tableSize` that',
    'is unset, not prime or 5000011 and above, `localityLbSetting` beside `zoneAwareLbSetting`, a warmup `aggression`',
    'of 0 or less, a duration (outlier, connection pool, warmup) that is not a whole number of milliseconds, locality',
    'settings `ValidateLocalityLbSetting` refuses (distribute beside failover, weights outside 1..100 or not adding up to',
    '100, overlapping or malformed localities, failover within one region, to a zone or a wildcard, topology labels in',
    'failoverPriority beside failover or in zoneAwareLbSetting), and in `tls` (`agent.ValidateTLS`): MUTUAL without `credentialName` needs `clientCertificate` and',
    '`privateKey`; SIMPLE/MUTUAL with `credentialName` take no certificate, CA or CRL files; `insecureSkipVerify` takes',
    'no CA, SAN (or, SIMPLE, credentialName); a `configmap://` credentialName must be `configmap://<namespace>/<name>`',
    'with the DestinationRule\'s own namespace. `kubectl apply` fails with the webhook\'s message and `istioctl analyze`',
    'reports IST0106: none of the DestinationRule applies. Fix as the message says for the field named.',
  ].join(' '),
  kinds: ['DestinationRule'],
  check(graph, ctx) {
    for (const dr of graph.ofKind('DestinationRule')) {
      const subsetNames = new Set<string>();
      (Array.isArray(dr.spec.subsets) ? dr.spec.subsets : []).forEach((s, i) => {
        if (!isRecord(s) || typeof s.name !== 'string') return;
        if (subsetNames.has(s.name)) {
          ctx.report(dr, `duplicate subset names: ${s.name} (spec.subsets[${i}]); a route naming the subset could mean either, rename or merge them`, { path: ['spec', 'subsets', i, 'name'] });
        }
        subsetNames.add(s.name);
      });
      (Array.isArray(dr.spec.subsets) ? dr.spec.subsets : []).forEach((s, i) => {
        if (!isRecord(s) || !isRecord(s.labels)) return;
        for (const [message, key] of labelProblems(s.labels)) {
          ctx.report(dr, `${message} in spec.subsets[${i}].labels: ${LABEL_FIX}; the subset selects pods by these labels`, { path: ['spec', 'subsets', i, 'labels', key] });
        }
      });
      const policies: { policy: unknown; path: FieldPath }[] = [{ policy: dr.spec.trafficPolicy, path: ['spec', 'trafficPolicy'] }];
      (Array.isArray(dr.spec.subsets) ? dr.spec.subsets : []).forEach((s, i) => {
        if (isRecord(s)) policies.push({ policy: s.trafficPolicy, path: ['spec', 'subsets', i, 'trafficPolicy'] });
      });
      for (const { policy, path } of policies) {
        if (!isRecord(policy)) continue;
        if (!POLICY_FIELDS.some((k) => policy[k] !== undefined && policy[k] !== null)) {
          ctx.report(dr, `traffic policy must have at least one field: ${formatPath(path)} is empty; set a policy or remove it`, { path });
          continue;
        }
        for (const [message, at] of [...tunnelProblems(policy), ...trafficPolicyProblems(policy), ...configMapCredentialProblems(policy.tls, dr.namespace)]) {
          ctx.report(dr, message, { path: [...path, ...at] });
        }
        (Array.isArray(policy.portLevelSettings) ? policy.portLevelSettings : []).forEach((p, i) => {
          const at: FieldPath = [...path, 'portLevelSettings', i];
          if (!isRecord(p)) return;
          if (!isRecord(p.port)) {
            ctx.report(dr, `portTrafficPolicy must have valid port: ${formatPath(at)} has no port, so its settings apply to no port; add port: {number: <service port>}`, { path: at });
          }
          if (!PORT_POLICY_FIELDS.some((k) => p[k] !== undefined && p[k] !== null)) {
            ctx.report(dr, `port traffic policy must have at least one field: ${formatPath(at)} sets none of ${PORT_POLICY_FIELDS.join(', ')}; add one or remove the entry`, { path: at });
          }
          for (const [message, rel] of [...trafficPolicyProblems(p), ...configMapCredentialProblems(p.tls, dr.namespace)]) {
            ctx.report(dr, `${message} (in ${formatPath(at)})`, { path: [...at, ...rel] });
          }
        });
      }
    }
  },
};

export default destinationRuleStructure;
