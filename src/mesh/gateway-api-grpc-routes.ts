/**
 * GRPCRoute rules as istiod converts them (pilot/pkg/config/kube/gateway route_collections.go
 * `GRPCRouteCollection`, conversion.go `convertGRPCRoute`, `createGRPCURIMatch`, `createGRPCHeadersMatch`): one
 * Istio HTTPRoute per match, like an HTTPRoute's (`gateway-api-mesh-routes.ts`), merged with the HTTPRoutes of the
 * same key (controller.go joins both kinds' VirtualServices before `mergeHTTPRoutes`).
 *
 * - `method` becomes the URI of `/<service>/<method>`: Exact with both an exact path, with the service only a
 *   prefix `/<service>/`, with the method only a regex `/[^/]+/<method>`; RegularExpression with both the regex
 *   `/<service>/<method>`, with the service only `/<service>/.+`. No method: no URI match.
 * - `headers`: Exact or RegularExpression, names as written, a later one of a name replacing an earlier.
 * - A rule without matches is a route without any match (it matches everything and sorts last).
 * - Filters RequestHeaderModifier, ResponseHeaderModifier and RequestMirror; a mirror whose destination istiod cannot
 *   build (`gateway-api-mirrors.ts`: not found, no port, a host name as Service name, an unsupported kind, or not
 *   permitted without a ReferenceGrant on a Gateway) fails the whole route ({@link grpcMirrorError}), unlike an
 *   HTTPRoute's, which only loses the mirror.
 *
 * Read from istio/istio at 86c9f01f (2026-08-22). Pure data.
 */
import type { MeshGraph } from './graph.js';
import { mirrorBackendError } from './gateway-api-mirrors.js';
import type { GammaRoute, GammaStringMatch } from './gateway-api-mesh-routes.js';
import { isRecord, type MeshObject } from './object.js';

type Raw = Readonly<Record<string, unknown>>;
const records = (v: unknown): Raw[] => (Array.isArray(v) ? v.filter(isRecord) : []);

/** `createGRPCURIMatch` for a match's `method` (see the module comment); null without one. */
export function grpcUriOf(method: unknown): GammaStringMatch | null {
  if (!isRecord(method)) return null;
  const service = typeof method.service === 'string' ? method.service : undefined;
  const name = typeof method.method === 'string' ? method.method : undefined;
  if (service === undefined && name === undefined) return null;
  if (method.type === 'RegularExpression') {
    if (name === undefined) return { regex: `/${service}/.+` };
    return { regex: service === undefined ? `/[^/]+/${name}` : `/${service}/${name}` };
  }
  if (name === undefined) return { prefix: `/${service}/` };
  if (service === undefined) return { regex: `/[^/]+/${name}` };
  return { exact: `/${service}/${name}` };
}

/** `createGRPCHeadersMatch`: Exact (default) or RegularExpression, names as written, the last of a name kept. */
function grpcHeaders(list: unknown): Record<string, GammaStringMatch> {
  const out: Record<string, GammaStringMatch> = {};
  for (const h of records(list)) {
    if (typeof h.name !== 'string' || typeof h.value !== 'string') continue;
    out[h.name] = h.type === 'RegularExpression' ? { regex: h.value } : { exact: h.value };
  }
  return out;
}

/** The routes istiod converts one GRPCRoute's rules to (one per match; a rule without matches one matchless route). */
export function convertGrpcRules(route: MeshObject): GammaRoute[] {
  const out: GammaRoute[] = [];
  records(route.spec.rules).forEach((raw, i) => {
    const name = typeof raw.name === 'string' && raw.name !== '' ? raw.name : `${route.namespace}.${route.name}.${i}`;
    const matches = Array.isArray(raw.matches) && raw.matches.length > 0 ? raw.matches : [null];
    matches.forEach((m, j) => {
      const match = isRecord(m) ? m : {};
      out.push({
        name, object: route, rule: i, match: m === null ? null : j, raw,
        uri: grpcUriOf(match.method), headers: grpcHeaders(match.headers), queryParams: {}, port: null,
        ...(m === null ? { matchless: true } : {}),
      });
    });
  });
  return out;
}

/**
 * Why istiod fails a GRPCRoute whole over a RequestMirror (`convertGRPCRoute` returns the mirror's error), or null:
 * the first mirror backendRef `buildDestination` refuses ({@link mirrorBackendError}: not found, no port, a host
 * name as Service name, an unsupported kind, or, with `enforceRefGrant` on a Gateway, no ReferenceGrant).
 */
export function grpcMirrorError(graph: MeshGraph, route: MeshObject, enforceRefGrant: boolean): string | null {
  for (const rule of records(route.spec.rules)) {
    for (const f of records(rule.filters)) {
      const b = isRecord(f.requestMirror) && isRecord(f.requestMirror.backendRef) ? f.requestMirror.backendRef : undefined;
      const why = b ? mirrorBackendError(graph, route, b, enforceRefGrant) : null;
      if (why !== null) return why;
    }
  }
  return null;
}
