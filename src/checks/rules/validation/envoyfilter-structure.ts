import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { patchFindings, selectorRefused } from './_envoyfilter-patches.js';

/** `validation/envoyfilter-structure` (IST0106): EnvoyFilter patches Istio's ValidateEnvoyFilter refuses beyond the CRD schema. */
const envoyFilterStructure: Rule = {
  id: 'validation/envoyfilter-structure',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'An EnvoyFilter patch Istio\'s admission webhook refuses: no applyTo, patch or operation, a non-REMOVE patch without value, a proxyVersion that is not an RE2 regex, a match of another class than applyTo (a cluster match for HTTP_FILTER…), a filter / subFilter match without name or outside HTTP_FILTER on the HTTP connection manager, or an Envoy v2 API @type in the patch value.',
  docs: [
    'Istio\'s `ValidateEnvoyFilter` (pkg/config/validation/envoyfilter) refuses, in each `spec.configPatches` entry not',
    'in the WAYPOINT context: a missing `applyTo` ("missing applyTo"), `patch` or `patch.operation`; a patch other than',
    'REMOVE without `value`; a `match.proxy.proxyVersion` that does not compile as RE2 ("invalid regex for proxy',
    'version"); an `applyTo` of the listener class (LISTENER, FILTER_CHAIN, NETWORK_FILTER, HTTP_FILTER) with a',
    '`routeConfiguration` or `cluster` match, of the route class (ROUTE_CONFIGURATION, VIRTUAL_HOST, HTTP_ROUTE) with',
    'another match than `routeConfiguration`, CLUSTER with another match than `cluster`; a',
    '`match.listener.filterChain.filter` without name; a `subFilter` unless applyTo is HTTP_FILTER and the filter is',
    'the HTTP connection manager, or without name; an `@type` of Envoy\'s retired v2 API in `patch.value`',
    '(`type.googleapis.com/envoy.config.filter.http.lua.v2.Lua`: "referenced type unknown (hint: try using the v3 XDS',
    'API)"). The whole EnvoyFilter is refused. Not reproduced: the rest of decoding `patch.value` into the Envoy type',
    'of `applyTo` (wrong field types, other unknown `@type` URLs). Fix as the message says.',
  ].join(' '),
  kinds: ['EnvoyFilter'],
  check(graph, ctx) {
    for (const ef of graph.ofKind('EnvoyFilter')) {
      if (selectorRefused(ef.spec)) continue;
      (Array.isArray(ef.spec.configPatches) ? ef.spec.configPatches : []).forEach((cp, i) => {
        if (!isRecord(cp)) return;
        for (const f of patchFindings(cp, i)) if (!f.warning) ctx.report(ef, f.message, { path: f.path });
      });
    }
  },
};

export default envoyFilterStructure;
