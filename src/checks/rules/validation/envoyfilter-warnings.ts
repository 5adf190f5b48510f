import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { patchFindings, selectorRefused } from './_envoyfilter-patches.js';
import { SCHEMA_WARNING } from './_schema-warning.js';

/**
 * `validation/envoyfilter-warnings` (IST0133): what Istio's webhook accepts in an EnvoyFilter patch with a warning,
 * besides the warning every EnvoyFilter gets (`validation/envoyfilter-internals`).
 */
const envoyFilterWarnings: Rule = {
  id: 'validation/envoyfilter-warnings',
  istioCode: 'IST0133',
  severity: 'warning',
  summary: 'An EnvoyFilter patch Istio accepts with a warning: a deprecated filter name in the match (envoy.router, envoy.http_connection_manager…), a filter match under applyTo LISTENER or FILTER_CHAIN (no effect), or a proxyVersion over 1,024 characters (ignored).',
  docs: [
    'Istio\'s `ValidateEnvoyFilter` warns, as `istioctl analyze` IST0133 (SchemaWarning): a',
    '`match.listener.filterChain.filter.name` or `subFilter.name` that is a deprecated Envoy filter name',
    '(`envoy.http_connection_manager`, `envoy.router`, `envoy.ext_authz`…; Envoy knows only the',
    '`envoy.filters.<kind>.<name>` names, so the match finds nothing on current proxies); a filter match on a',
    'LISTENER or FILTER_CHAIN patch, which patches the whole listener or chain whatever filter it holds ("filter',
    'match has no effect"); a `proxyVersion` over 1,024 characters, which istiod ignores (the patch then applies to',
    'every proxy version). Not reproduced: the warnings from decoding `patch.value` (unknown fields, frozen type URLs,',
    'filters without typed_config). Fix: use the `envoy.filters.…` name; drop the filter match or patch the filter.',
  ].join(' '),
  kinds: ['EnvoyFilter'],
  check(graph, ctx) {
    for (const ef of graph.ofKind('EnvoyFilter')) {
      if (selectorRefused(ef.spec)) continue;
      (Array.isArray(ef.spec.configPatches) ? ef.spec.configPatches : []).forEach((cp, i) => {
        if (!isRecord(cp)) return;
        for (const f of patchFindings(cp, i)) if (f.warning) ctx.report(ef, `${SCHEMA_WARNING} ${f.message}`, { path: f.path });
      });
    }
  },
};

export default envoyFilterWarnings;
