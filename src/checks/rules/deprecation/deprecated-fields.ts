import { formatPath } from '../../../mesh/parse.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

/** A deprecated field found in an object, and what to use instead. */
interface Deprecation {
  readonly path: FieldPath;
  readonly instead: string;
}

/** `deprecation/deprecated-fields` (IST0002): fields Istio deprecated or ignores. */
const deprecatedFields: Rule = {
  id: 'deprecation/deprecated-fields',
  istioCode: 'IST0002',
  severity: 'warning',
  summary: 'An Istio object uses a deprecated field (or one Istio ignores).',
  docs: [
    'Deprecated fields keep working only until Istio removes them, and some are already ignored. Checked:',
    'VirtualService fault `delay.percent` / `abort.percent` (use `percentage.value`), `mirror_percent` /',
    '`mirrorPercent` (use `mirrorPercentage.value`), `corsPolicy.allowOrigin` (use `allowOrigins`);',
    'DestinationRule `outlierDetection.consecutiveErrors` (use `consecutive5xxErrors`), `loadBalancer.warmupDurationSecs`',
    '(use `warmup.duration`), `consistentHash.minimumRingSize` (use `ringHash.minimumRingSize`); Sidecar',
    '`outboundTrafficPolicy.egressProxy` (ignored). Mirrors `istioctl analyze` IST0002 (Deprecated).',
  ].join(' '),
  kinds: ['VirtualService', 'DestinationRule', 'Sidecar'],
  check(graph, ctx) {
    const report = (o: MeshObject, found: Deprecation[]) => {
      for (const d of found) ctx.report(o, `Deprecated: ${formatPath(d.path)} is deprecated; ${d.instead}`, { path: d.path });
    };
    for (const vs of graph.ofKind('VirtualService')) report(vs, virtualService(vs));
    for (const dr of graph.ofKind('DestinationRule')) report(dr, destinationRule(dr));
    for (const sc of graph.ofKind('Sidecar')) {
      const otp = sc.spec.outboundTrafficPolicy;
      if (isRecord(otp) && otp.egressProxy !== undefined) {
        report(sc, [{ path: ['spec', 'outboundTrafficPolicy', 'egressProxy'], instead: 'Istio ignores it; route egress through an egress gateway with a VirtualService instead' }]);
      }
    }
  },
};

function virtualService(vs: MeshObject): Deprecation[] {
  const out: Deprecation[] = [];
  const routes = Array.isArray(vs.spec.http) ? vs.spec.http : [];
  routes.forEach((r, i) => {
    if (!isRecord(r)) return;
    const base: FieldPath = ['spec', 'http', i];
    if (isRecord(r.fault)) {
      for (const f of ['delay', 'abort'] as const) {
        const fault = r.fault[f];
        if (isRecord(fault) && fault.percent !== undefined) out.push({ path: [...base, 'fault', f, 'percent'], instead: `use ${f}.percentage.value` });
      }
    }
    for (const f of ['mirror_percent', 'mirrorPercent']) {
      if (r[f] !== undefined) out.push({ path: [...base, f], instead: 'use mirrorPercentage.value' });
    }
    if (isRecord(r.corsPolicy) && r.corsPolicy.allowOrigin !== undefined) {
      out.push({ path: [...base, 'corsPolicy', 'allowOrigin'], instead: 'use allowOrigins with exact, prefix or regex matches' });
    }
  });
  return out;
}

function destinationRule(dr: MeshObject): Deprecation[] {
  const out: Deprecation[] = [];
  const policies: [unknown, FieldPath][] = [[dr.spec.trafficPolicy, ['spec', 'trafficPolicy']]];
  const subsets = Array.isArray(dr.spec.subsets) ? dr.spec.subsets : [];
  subsets.forEach((s, i) => {
    if (isRecord(s)) policies.push([s.trafficPolicy, ['spec', 'subsets', i, 'trafficPolicy']]);
  });
  for (const [policy, path] of [...policies]) {
    if (!isRecord(policy) || !Array.isArray(policy.portLevelSettings)) continue;
    policy.portLevelSettings.forEach((p, i) => policies.push([p, [...path, 'portLevelSettings', i]]));
  }
  for (const [policy, path] of policies) {
    if (!isRecord(policy)) continue;
    if (isRecord(policy.outlierDetection) && policy.outlierDetection.consecutiveErrors !== undefined) {
      out.push({ path: [...path, 'outlierDetection', 'consecutiveErrors'], instead: 'use consecutive5xxErrors (or consecutiveGatewayErrors)' });
    }
    const lb = policy.loadBalancer;
    if (!isRecord(lb)) continue;
    if (lb.warmupDurationSecs !== undefined) out.push({ path: [...path, 'loadBalancer', 'warmupDurationSecs'], instead: 'use warmup.duration' });
    if (isRecord(lb.consistentHash) && lb.consistentHash.minimumRingSize !== undefined) {
      out.push({ path: [...path, 'loadBalancer', 'consistentHash', 'minimumRingSize'], instead: 'use consistentHash.ringHash.minimumRingSize' });
    }
  }
  return out;
}

export default deprecatedFields;
