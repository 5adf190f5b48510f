/**
 * Mesh TCPRoutes and TLSRoutes on a sidecar: which of the VirtualServices istiod makes of them
 * (`mesh/gateway-api-mesh-l4-routes.ts`) a sidecar may apply for a host, and their rules as view `tcp` and `tls`
 * routes for one service port. Every origin points at the route: a route at `spec.rules[i]`, a destination at
 * `spec.rules[i].backendRefs[k]`, a TLS match at `spec.hostnames` (or at the parentRef whose hosts it matches when
 * the route has none), a TCP port match at `spec.parentRefs[p].port`.
 *
 * Unlike a mesh HTTPRoute, whose VirtualService istiod applies only in the route's and the Service's namespaces
 * (route.go `buildSidecarVirtualHostsForVirtualService`), these apply in every namespace the VirtualService is
 * exported to (the MeshConfig default): a sidecar's TCP and TLS chains take every VirtualService of the host
 * (listener.go `buildSidecarOutboundTCPListenerOpts`, `getConfigsForHost` with no namespace filter). They are
 * ordered among the host's VirtualServices as GAMMA ones are (`gamma-routes.ts` `candidateOrder`).
 */
import type { FieldPath } from '../types.js';
import type { MeshGraph } from '../graph.js';
import { gammaL4VirtualServices, type GammaL4VirtualService } from '../gateway-api-mesh-l4-routes.js';
import { defaultExportTo, exportedTo, importingEntry, type EgressHost } from '../visibility.js';
import { l4RouteView } from './gateway-api-l4-routes.js';
import type { RouteEnv } from './routes.js';
import type { L4RouteView } from './types.js';

/** Whether a route candidate is a VirtualService made of a mesh TCPRoute or TLSRoute. */
export function isGammaL4(c: object): c is GammaL4VirtualService {
  return 'rules' in c && 'serviceNamespace' in c;
}

/**
 * The VirtualServices made of mesh TCPRoutes and TLSRoutes for `host` that a sidecar in `proxyNamespace` may apply:
 * exported to it (the MeshConfig's default VirtualService exportTo) and imported by its Sidecar egress hosts
 * (`imports`, null: everything exported).
 */
export function gammaL4Candidates(graph: MeshGraph, host: string, proxyNamespace: string, imports: readonly EgressHost[] | null): GammaL4VirtualService[] {
  const all = gammaL4VirtualServices(graph).get(host);
  if (!all) return [];
  const exportTo = defaultExportTo('VirtualService', graph.meshConfig);
  return all.filter((vs) => exportedTo(exportTo, vs.namespace, proxyNamespace) && (imports === null || importingEntry(imports, vs.namespace, host) !== undefined));
}

/**
 * The routes of `vs` that apply on the port `env.scope.port` (those with another parentRef port left out), in rule
 * order. Every rule of a TLSRoute matches the same SNI hosts, so only its first has a chain (istiod's
 * `matchHasBeenHandled`); a TCPRoute's first rule is the catch-all that ends the list (`outbound-l4-listeners.ts` hostChains).
 */
export function gammaL4RoutesOf(env: RouteEnv, vs: GammaL4VirtualService): L4RouteView[] {
  const route = vs.object;
  const parentPath: FieldPath = ['spec', 'parentRefs', vs.parentRef];
  const hostnamesPath: FieldPath = Array.isArray(route.spec.hostnames) && route.spec.hostnames.length > 0 ? ['spec', 'hostnames'] : parentPath;
  const seen = new Set<string>();
  return vs.rules.filter((r) => r.port === null || r.port === env.scope.port).flatMap((r) => {
    if (r.sniHosts !== null) {
      const key = r.sniHosts.join(',');
      if (seen.has(key)) return [];
      seen.add(key);
    }
    const match = r.sniHosts !== null ? { sniHosts: r.sniHosts, path: hostnamesPath }
      : r.port !== null ? { sniHosts: [], path: [...parentPath, 'port'] } : null;
    return [l4RouteView(env, route, r, match, false)];
  });
}
