import { convertedByIstiod, gatewayApiOf } from '../../../mesh/gateway-api.js';
import { unsupportedFilters } from '../../../mesh/gateway-api-filters.js';
import type { Rule } from '../../rule.js';

/** `gatewayapi/unsupported-filter`: an HTTPRoute or GRPCRoute filter istiod does not implement where it is written, so the rule is not built. */
const unsupportedFilter: Rule = {
  id: 'gatewayapi/unsupported-filter',
  severity: 'error',
  summary: 'An HTTPRoute or GRPCRoute filter type istiod does not implement at that position (e.g. RequestMirror inside a backendRef), so istiod builds none of the route\'s rules.',
  docs: [
    'istiod converts HTTPRoute rule filters RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, RequestMirror,',
    'URLRewrite and CORS, GRPCRoute rule filters RequestHeaderModifier, ResponseHeaderModifier and RequestMirror, and inside',
    'a backendRef (`backendRefs[].filters`) only the two header modifiers. Any other type where it is written',
    '(ExtensionRef, a RequestMirror or URLRewrite on a backendRef) fails the conversion (conversion.go: "unsupported',
    'filter type", ConfigError InvalidFilter) with no route, which computeRoute (route_collections.go) takes as a hard',
    'error: none of the route\'s rules is built, only the error in its status, and its hosts get no route from it (other',
    'routes for them, or 404). Fix: write RequestMirror, URLRewrite and RequestRedirect',
    'in the rule\'s `filters`, and replace ExtensionRef filters with Istio policy (EnvoyFilter, WasmPlugin).',
    'Judged only for routes istiod converts: a parent that is a Service or ServiceEntry, or a Gateway of an Istio class (a route',
    'attached only to another controller\'s Gateway is never converted by istiod).',
  ].join(' '),
  kinds: ['HTTPRoute', 'GRPCRoute'],
  check(graph, ctx) {
    const k8s = gatewayApiOf(graph);
    for (const route of [...k8s.ofKind('HTTPRoute'), ...k8s.ofKind('GRPCRoute')]) {
      if (!convertedByIstiod(route, k8s)) continue;
      for (const f of unsupportedFilters(route)) {
        const backend = f.backendRef !== undefined;
        ctx.report(route, `${route.kind} spec.rules[${f.rule}]${backend ? `.backendRefs[${f.backendRef}]` : ''}: istiod does not support the ${f.type} filter ` +
          `${backend ? 'inside a backendRef' : `in a ${route.kind} rule`} ("unsupported filter type"), so istiod builds none of this ${route.kind}'s rules (a hard conversion error) and its hosts get no route from it; ` +
          (backend && f.supportedOnRule ? `move the ${f.type} filter to the rule's filters` : `remove it${f.type === 'ExtensionRef' ? ' and express the behaviour with Istio policy (EnvoyFilter, WasmPlugin)' : ''}`),
        { path: f.path });
      }
    }
  },
};

export default unsupportedFilter;
