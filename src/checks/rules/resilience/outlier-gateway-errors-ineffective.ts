import { isRecord, type MeshObject } from '../../../mesh/object.js';
import { formatPath } from '../../../mesh/parse.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

/** Envoy's `consecutive_5xx` when istiod writes none (outlier_detection.proto, enforced at 100%). */
const ENVOY_DEFAULT_CONSECUTIVE_5XX = 5;

/** Every `outlierDetection` of a DestinationRule: the top-level policy's, each subset's, and their port-level ones'. */
function outlierDetectionsOf(dr: MeshObject): { readonly od: Readonly<Record<string, unknown>>; readonly path: FieldPath }[] {
  const out: { od: Readonly<Record<string, unknown>>; path: FieldPath }[] = [];
  const collect = (policy: unknown, path: FieldPath) => {
    if (!isRecord(policy)) return;
    if (isRecord(policy.outlierDetection)) out.push({ od: policy.outlierDetection, path: [...path, 'outlierDetection'] });
    (Array.isArray(policy.portLevelSettings) ? policy.portLevelSettings : []).forEach((p, i) => collect(p, [...path, 'portLevelSettings', i]));
  };
  collect(dr.spec.trafficPolicy, ['spec', 'trafficPolicy']);
  (Array.isArray(dr.spec.subsets) ? dr.spec.subsets : []).forEach((s, i) => { if (isRecord(s)) collect(s.trafficPolicy, ['spec', 'subsets', i, 'trafficPolicy']); });
  return out;
}

/**
 * `resilience/outlier-gateway-errors-ineffective`: an `outlierDetection.consecutiveGatewayErrors` that can never
 * eject a host, because the consecutive-5xx detector, which also counts gateway errors, ejects it first.
 */
const outlierGatewayErrorsIneffective: Rule = {
  id: 'resilience/outlier-gateway-errors-ineffective',
  severity: 'warning',
  summary: 'A DestinationRule outlierDetection.consecutiveGatewayErrors not below the consecutive-5xx threshold in force (consecutive5xxErrors, or Envoy\'s default 5 when it is unset), so it never ejects a host.',
  docs: [
    'istiod copies into the Envoy cluster only the outlier fields written (cluster_traffic_policy.go',
    '`applyOutlierDetection`). Without `consecutive5xxErrors`, Envoy keeps its own `consecutive_5xx` of 5, enforced',
    'at 100%. Gateway errors (502, 503, 504) are 5xx too, so with `consecutiveGatewayErrors` at or above the 5xx',
    'threshold the 5xx detector ejects the host first, on any run of 5xx: the gateway-errors setting never fires',
    '(istio/api: "consecutive_gateway_errors will have no effect"), and a pod written to survive ten gateway errors',
    'is ejected after five 500s. Fix: lower `consecutiveGatewayErrors` below the 5xx threshold, or set',
    '`consecutive5xxErrors: 0` to eject on gateway errors only (istiod then writes enforcing_consecutive_5xx 0).',
  ].join(' '),
  kinds: ['DestinationRule'],
  check(graph, ctx) {
    for (const dr of graph.ofKind('DestinationRule')) {
      for (const { od, path } of outlierDetectionsOf(dr)) {
        const gateway = od.consecutiveGatewayErrors;
        if (typeof gateway !== 'number' || gateway <= 0) continue;
        const written = typeof od.consecutive5xxErrors === 'number';
        const fiveXx = written ? od.consecutive5xxErrors as number : ENVOY_DEFAULT_CONSECUTIVE_5XX;
        if (fiveXx === 0 || gateway < fiveXx) continue;
        const threshold = written ? `its consecutive5xxErrors ${fiveXx}` : `Envoy's default of ${fiveXx} consecutive 5xx (consecutive5xxErrors is unset)`;
        ctx.report(dr, `${formatPath(path)}.consecutiveGatewayErrors ${gateway} never ejects a host: gateway errors (502, 503, 504) are 5xx, so ${threshold} ` +
          `ejects it first, on any ${fiveXx} 5xx in a row; lower consecutiveGatewayErrors below ${fiveXx}, or set consecutive5xxErrors: 0 to eject on gateway errors only`,
        { path: [...path, 'consecutiveGatewayErrors'] });
      }
    }
  },
};

export default outlierGatewayErrorsIneffective;
