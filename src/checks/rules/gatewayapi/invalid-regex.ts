import { convertedByIstiod, gatewayApiOf } from '../../../mesh/gateway-api.js';
import { isRecord } from '../../../mesh/object.js';
import { re2 } from '../../../validate/re2.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

/** The RE2 error for `regex`, or undefined when it compiles. */
function re2Problem(regex: string): string | undefined {
  try {
    re2(regex);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * The regexes istiod writes for one GRPCRoute method match of type RegularExpression (conversion.go
 * createGRPCURIMatch): `/<service>/<method>`, `/<service>/.+`, or `/[^/]+/<method>`.
 */
function grpcMethodRegex(m: Record<string, unknown>): string | undefined {
  if (m.type !== 'RegularExpression') return undefined;
  const service = typeof m.service === 'string' ? m.service : undefined;
  const method = typeof m.method === 'string' ? m.method : undefined;
  if (service === undefined && method === undefined) return undefined;
  return method === undefined ? `/${service}/.+` : service === undefined ? `/[^/]+/${method}` : `/${service}/${method}`;
}

/** `gatewayapi/invalid-regex`: a RegularExpression match of an HTTPRoute or GRPCRoute that is not RE2. */
const routeInvalidRegex: Rule = {
  id: 'gatewayapi/invalid-regex',
  severity: 'error',
  summary: 'An HTTPRoute or GRPCRoute RegularExpression match (path, header, query parameter, gRPC method) is not a valid RE2 regex, so Envoy refuses the route configuration istiod builds from it.',
  docs: [
    'The Gateway API CRDs do not check RegularExpression values, and istiod copies them into the routes it builds',
    '(conversion.go: path and header values as written, a gRPC method match as `/<service>/<method>`) without',
    'validating them, unlike a VirtualService regex, which its webhook refuses. Envoy compiles them with RE2: a',
    'pattern RE2 does not accept (an unbalanced parenthesis, look-around `(?=…)`, a back-reference) makes the proxy',
    'refuse the whole route configuration of that listener (an RDS NACK), so it keeps the routes it had -- none, for a',
    'new gateway -- and no change to any host on that port reaches it. Fix: write the pattern in RE2 syntax.',
    'Judged only for routes istiod converts: a parent that is a Service or ServiceEntry, or a Gateway of an Istio class (a route',
    'attached only to another controller\'s Gateway is never converted by istiod).',
  ].join(' '),
  kinds: ['HTTPRoute', 'GRPCRoute'],
  check(graph, ctx) {
    const k8s = gatewayApiOf(graph);
    for (const route of [...k8s.ofKind('HTTPRoute'), ...k8s.ofKind('GRPCRoute')]) {
      if (!convertedByIstiod(route, k8s)) continue;
      const report = (regex: string, path: FieldPath, what: string) => {
        const problem = re2Problem(regex);
        if (problem) {
          ctx.report(route, `${route.kind} ${what} regex ${JSON.stringify(regex)} is not valid RE2 (${problem}): istiod passes it to Envoy unchecked, and Envoy refuses the ` +
            'whole route configuration of the listener (RDS NACK), so no route change on that port applies; rewrite it in RE2 syntax (no look-around or back-references)', { path });
        }
      };
      (Array.isArray(route.spec.rules) ? route.spec.rules : []).forEach((rule, i) => {
        if (!isRecord(rule)) return;
        (Array.isArray(rule.matches) ? rule.matches : []).forEach((m, j) => {
          if (!isRecord(m)) return;
          const at: FieldPath = ['spec', 'rules', i, 'matches', j];
          if (isRecord(m.path) && m.path.type === 'RegularExpression' && typeof m.path.value === 'string') report(m.path.value, [...at, 'path', 'value'], 'path');
          if (isRecord(m.method)) {
            const regex = grpcMethodRegex(m.method);
            if (regex !== undefined) report(regex, [...at, 'method'], 'gRPC method');
          }
          for (const k of ['headers', 'queryParams'] as const) {
            (Array.isArray(m[k]) ? m[k] as unknown[] : []).forEach((h, n) => {
              if (isRecord(h) && h.type === 'RegularExpression' && typeof h.value === 'string') report(h.value, [...at, k, n, 'value'], `${k === 'headers' ? 'header' : 'query parameter'} ${String(h.name ?? '')}`);
            });
          }
        });
      });
    }
  },
};

export default routeInvalidRegex;
