import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { SCHEMA_WARNING } from './_schema-warning.js';

/** Whether `labels` holds an entry Istio refuses (empty key, `*` in key or value): validation then stops before warning. */
const badLabels = (labels: unknown): boolean =>
  isRecord(labels) && Object.entries(labels).some(([k, v]) => k === '' || k.includes('*') || (typeof v === 'string' && v.includes('*')));

/**
 * `validation/envoyfilter-internals` (IST0133): the warning Istio's webhook gives every
 * EnvoyFilter. Mirrors `ValidateEnvoyFilter` (`pkg/config/validation/envoyfilter/envoyfilter.go`)
 * as `istioctl analyze` reports it through `schema.ValidationAnalyzer`.
 */
const envoyFilterInternals: Rule = {
  id: 'validation/envoyfilter-internals',
  istioCode: 'IST0133',
  severity: 'warning',
  enabledByDefault: false,
  summary: 'An EnvoyFilter patches Envoy configuration that istiod generates, which can change in any Istio release (the warning Istio gives every EnvoyFilter).',
  docs: [
    'Istio\'s validating webhook answers every EnvoyFilter with the warning "EnvoyFilter exposes internal implementation',
    'details that may change at any time", and `istioctl analyze` reports it as IST0133 (SchemaWarning): the listener,',
    'filter-chain and cluster names and the filter order an EnvoyFilter matches are not an API, so an upgrade can make',
    'it match nothing or break the proxy. Istio skips the warning only when the filter\'s `workloadSelector.labels` is',
    'refused (an empty key or a `*`). Off in the recommended profile (every EnvoyFilter gets it); on in `strict` and',
    '`istio-parity`. Fix: prefer an Istio API (Telemetry, WasmPlugin, AuthorizationPolicy CUSTOM, DestinationRule',
    'settings) where one exists; otherwise pin the patch with `match.proxy.proxyVersion` and re-test it on each upgrade.',
  ].join(' '),
  kinds: ['EnvoyFilter'],
  check(graph, ctx) {
    for (const ef of graph.ofKind('EnvoyFilter')) {
      if (ef.group !== 'networking.istio.io') continue;
      if (isRecord(ef.spec.workloadSelector) && badLabels(ef.spec.workloadSelector.labels)) continue;
      ctx.report(ef, `${SCHEMA_WARNING} EnvoyFilter exposes internal implementation details that may change at any time. ` +
        'Prefer other APIs if possible, and exercise extreme caution, especially around upgrades (pin it with match.proxy.proxyVersion and re-test it on every Istio upgrade)',
        { path: ['spec'] });
    }
  },
};

export default envoyFilterInternals;
