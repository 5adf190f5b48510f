import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { SCHEMA_WARNING } from './_schema-warning.js';

/** Kinds with the v1alpha3 `workloadSelector.labels` (`ValidateAlphaWorkloadSelector`), with the prefix their warning carries. */
const ALPHA: ReadonlyMap<string, string> = new Map([['Sidecar', 'sidecar: '], ['ServiceEntry', 'service entry: '], ['EnvoyFilter', 'Envoy filter: ']]);
/** Kinds with the `type.v1beta1.WorkloadSelector` `matchLabels` (`validateWorkloadSelector`), by the field holding it. */
const BETA: ReadonlyMap<string, string> = new Map([
  ['DestinationRule', 'workloadSelector'], ['AuthorizationPolicy', 'selector'], ['RequestAuthentication', 'selector'],
  ['PeerAuthentication', 'selector'], ['ProxyConfig', 'selector'], ['Telemetry', 'selector'], ['WasmPlugin', 'selector'],
  ['TrafficExtension', 'selector'],
]);

const isEmpty = (v: unknown): boolean => v === undefined || v === null || (isRecord(v) && Object.keys(v).length === 0);

/** A Sidecar with none of egress, ingress, outboundTrafficPolicy, inboundConnectionPool is refused before the warning. */
const emptySidecar = (o: MeshObject): boolean =>
  ['egress', 'ingress'].every((k) => !Array.isArray(o.spec[k]) || (o.spec[k] as unknown[]).length === 0)
  && ['outboundTrafficPolicy', 'inboundConnectionPool'].every((k) => o.spec[k] === undefined || o.spec[k] === null);

/**
 * `validation/selector-without-labels` (IST0133): a workload selector without labels. Mirrors the
 * warnings of `ValidateAlphaWorkloadSelector` (Sidecar, ServiceEntry, EnvoyFilter) and
 * `validateWorkloadSelector` (the policies and DestinationRule) in `pkg/config/validation/validation.go`,
 * as `istioctl analyze` reports them through `schema.ValidationAnalyzer`.
 */
const selectorWithoutLabels: Rule = {
  id: 'validation/selector-without-labels',
  istioCode: 'IST0133',
  severity: 'warning',
  summary: 'A workloadSelector or selector is present but has no labels, so the resource applies to every workload of its namespace, which is rarely what was meant.',
  docs: [
    'An empty selector (`workloadSelector: {}`, `selector: {matchLabels: {}}`) selects every workload in the namespace;',
    'usually labels were meant and lost (a templating value that rendered empty). For the policies that is exactly like',
    'leaving the selector out; a Sidecar with `workloadSelector: {}` is still ranked with the workload-selected Sidecars',
    '(istiod `initSidecarScopes`: `WorkloadSelector != nil` first), so it outranks the namespace\'s Sidecar without',
    'workloadSelector, and in the root namespace it is no mesh-wide default.',
    'Istio\'s webhook accepts it with a warning, which `istioctl analyze` reports as IST0133 (SchemaWarning): for',
    'Sidecar, ServiceEntry and EnvoyFilter `workloadSelector.labels` ("…will be applied to all services in namespace"),',
    'for DestinationRule `workloadSelector.matchLabels` and for AuthorizationPolicy, RequestAuthentication,',
    'PeerAuthentication, ProxyConfig, Telemetry, WasmPlugin and TrafficExtension `selector.matchLabels`. A',
    'selector written as null does not count. Fix: add the labels of the intended pods, or remove the selector to apply',
    'the resource namespace-wide on purpose.',
  ].join(' '),
  kinds: [...ALPHA.keys(), ...BETA.keys()],
  check(graph, ctx) {
    for (const [kind, prefix] of ALPHA) {
      for (const o of graph.ofKind(kind)) {
        if (!isRecord(o.spec.workloadSelector) || !isEmpty(o.spec.workloadSelector.labels)) continue;
        if (kind === 'Sidecar' && emptySidecar(o)) continue;
        const rank = kind !== 'Sidecar' ? ''
          : o.namespace === graph.rootNamespace ? ' (in the root namespace it applies to that namespace\'s workloads only: it is no mesh-wide default)'
          : ' (ranked with the workload-selected Sidecars, so it outranks any Sidecar without workloadSelector there)';
        ctx.report(o, `${SCHEMA_WARNING} ${prefix}workload selector specified without labels, will be applied to all services in namespace ${o.namespace}${rank}: ` +
          'add the labels of the pods it is meant for, or remove workloadSelector', { path: ['spec', 'workloadSelector'] });
      }
    }
    for (const [kind, field] of BETA) {
      for (const o of graph.ofKind(kind)) {
        const selector = o.spec[field];
        if (!isRecord(selector) || !isEmpty(selector.matchLabels)) continue;
        ctx.report(o, `${SCHEMA_WARNING} workload selector specified without labels: ${field} has no matchLabels, so this ${kind} applies to every workload of namespace ${o.namespace}; ` +
          `add the labels of the pods it is meant for, or remove ${field}`, { path: ['spec', field] });
      }
    }
  },
};

export default selectorWithoutLabels;
