import { convertedByIstiod, gatewayApiOf } from '../../../mesh/gateway-api.js';
import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';

/** The filter types istiod converts, per route kind and position (conversion.go convertHTTPRoute / convertGRPCRoute, build*Destination). */
const SUPPORTED: Readonly<Record<string, { readonly rule: ReadonlySet<string>; readonly backend: ReadonlySet<string> }>> = {
  HTTPRoute: {
    rule: new Set(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'RequestMirror', 'URLRewrite', 'CORS']),
    backend: new Set(['RequestHeaderModifier', 'ResponseHeaderModifier']),
  },
  GRPCRoute: {
    rule: new Set(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror']),
    backend: new Set(['RequestHeaderModifier', 'ResponseHeaderModifier']),
  },
};

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
    for (const kind of ['HTTPRoute', 'GRPCRoute'] as const) {
      const supported = SUPPORTED[kind]!;
      for (const route of gatewayApiOf(graph).ofKind(kind)) {
        if (!convertedByIstiod(route, gatewayApiOf(graph))) continue;
        (Array.isArray(route.spec.rules) ? route.spec.rules : []).forEach((rule, i) => {
          if (!isRecord(rule)) return;
          const at = ['spec', 'rules', i];
          const judge = (filters: unknown, where: 'rule' | 'backend', path: (string | number)[]) => {
            (Array.isArray(filters) ? filters : []).forEach((f, j) => {
              if (!isRecord(f) || typeof f.type !== 'string' || supported[where].has(f.type)) return;
              const movable = where === 'backend' && supported.rule.has(f.type);
              ctx.report(route, `${kind} spec.rules[${i}]${where === 'backend' ? `.backendRefs[${path[4]}]` : ''}: istiod does not support the ${f.type} filter ` +
                `${where === 'backend' ? 'inside a backendRef' : `in a ${kind} rule`} ("unsupported filter type"), so istiod builds none of this ${kind}'s rules (a hard conversion error) and its hosts get no route from it; ` +
                (movable ? `move the ${f.type} filter to the rule's filters` : `remove it${f.type === 'ExtensionRef' ? ' and express the behaviour with Istio policy (EnvoyFilter, WasmPlugin)' : ''}`),
              { path: [...path, j, 'type'] });
            });
          };
          judge(rule.filters, 'rule', [...at, 'filters']);
          (Array.isArray(rule.backendRefs) ? rule.backendRefs : []).forEach((b, k) => {
            if (isRecord(b)) judge(b.filters, 'backend', [...at, 'backendRefs', k, 'filters']);
          });
        });
      }
    }
  },
};

export default unsupportedFilter;
