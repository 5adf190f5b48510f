/**
 * The `tcp` and `tls` routes of a sidecar's outbound TCP or TLS port, merged across VirtualServices as istiod
 * merges them (listener.go `buildSidecarOutboundTCPListenerOpts` → tls.go `buildSidecarOutboundTLSFilterChainOpts`
 * and `buildSidecarOutboundTCPFilterChainOpts`). Unlike HTTP, where one VirtualService gives a host its routes,
 * istiod walks every VirtualService the egress listener imports whose host overlaps the service's
 * (`getConfigsForHost`, wildcards included, no namespace filter), in the listener's order:
 * - `tcp`: routes are appended until the first terminal one (a route without `match`, or an applicable match
 *   without `destinationSubnets`); nothing after it is built, in that VirtualService or a later one;
 * - `tls`: every applicable match adds a filter chain unless an earlier one, of any VirtualService, had the same
 *   runtime predicates (`sniHosts`, `destinationSubnets`: `matchHasBeenHandled`); a match without
 *   `destinationSubnets` takes the latest earlier applicable match's (`L4MatchView.destinationCidrs`).
 */
import type { MeshGraph } from '../graph.js';
import type { MeshObject } from '../object.js';
import { exportToOf, importingEntry, virtualServiceTier, type EgressHost } from '../visibility.js';
import { gammaL4Candidates, gammaL4RoutesOf, isGammaL4 } from './gamma-l4-routes.js';
import { candidateOrder, isGamma, type MeshRouteSource } from './gamma-routes.js';
import { l4RoutesOf, type RouteEnv } from './routes.js';
import type { L4RouteView, ProxyIdentity } from './types.js';

/**
 * Whether a `tcp` route ends istiod's chain list for a port: no `match` (an implicit match of every connection),
 * or an applicable match without `destinationSubnets` (tls.go: "the terminal match/catch all match"). Its chain
 * matches every connection the earlier ones left, so istiod builds nothing after it.
 */
export function isTerminalTcpRoute(r: Pick<L4RouteView, 'match'>): boolean {
  return r.match.length === 0 || r.match.some((m) => m.destinationSubnets.length === 0);
}

/**
 * The VirtualServices whose `tcp` and `tls` routes a sidecar in `proxy`'s namespace merges for `host`, in
 * istiod's order (`SelectVirtualServices`, then `getConfigsForHost`): every mesh VirtualService with a host
 * covering `host` (exact or wildcard, unlike HTTP, where only the most specific host group applies) and
 * exported to the proxy's namespace, and the VirtualServices made of mesh TCPRoutes and TLSRoutes for it; those
 * the Sidecar egress hosts import (`imports`, null: every one exported); ordered by exportTo tier, a Gateway API
 * one of the proxy's namespace first, creation time, name, namespace (`gamma-routes.ts` `candidateOrder`).
 */
export function l4VirtualServicesFor(graph: MeshGraph, host: string, proxy: Pick<ProxyIdentity, 'namespace'>, imports: readonly EgressHost[] | null): MeshRouteSource[] {
  const out: MeshRouteSource[] = [];
  for (const group of graph.virtualServiceGroupsFor(host, 'mesh', proxy.namespace)) {
    for (const vs of group) if (imports === null || importingEntry(imports, vs.namespace, host) !== undefined) out.push(vs);
  }
  out.push(...gammaL4Candidates(graph, host, proxy.namespace, imports));
  const tier = (vs: MeshObject) => virtualServiceTier(exportToOf(vs, graph.meshConfig).values, vs.namespace, proxy.namespace);
  return out.sort(candidateOrder(graph, proxy.namespace, tier));
}

/** The routes of one candidate for one port: a VirtualService's `tcp` or `tls` section, a TCPRoute's or TLSRoute's rules. */
function routesOfSource(env: RouteEnv, c: MeshRouteSource, kind: 'tcp' | 'tls'): L4RouteView[] {
  if (isGammaL4(c)) return c.kind === kind ? gammaL4RoutesOf(env, c) : [];
  if (isGamma(c)) return [];
  return l4RoutesOf(env, c, kind, false);
}

/** Merged routes, and the candidates (indices into the list given) that supplied at least one of them. */
export interface MergedL4Routes {
  readonly routes: readonly L4RouteView[];
  readonly used: readonly number[];
}

/**
 * The `kind` routes of `candidates` (in istiod's order, {@link l4VirtualServicesFor}) for the port
 * `env.scope.port`, merged as istiod builds a sidecar's chains: `tcp` up to and including the first terminal
 * route ({@link isTerminalTcpRoute}); a match whose runtime predicates repeat an earlier one's, in this or an
 * earlier candidate, dropped (it can never be reached; for `tls` istiod's `matchHasBeenHandled`), and a route
 * left without matches dropped. Routes whose matches all survive are shared, not copied.
 */
export function mergeSidecarL4Routes(env: RouteEnv, candidates: readonly MeshRouteSource[], kind: 'tcp' | 'tls'): MergedL4Routes {
  const routes: L4RouteView[] = [];
  const used: number[] = [];
  const seen = new Set<string>();
  // tls.go reassigns its destinationCIDRs parameter from each applicable match with destinationSubnets before the
  // repeat test, so a later match without subnets takes the latest such match's, a dropped repeat's included.
  let carried: readonly string[] = [];
  for (let i = 0; i < candidates.length; i++) {
    let supplied = false;
    for (const r of routesOfSource(env, candidates[i]!, kind)) {
      let changed = false;
      const match = r.match.flatMap((m) => {
        if (kind === 'tls' && m.destinationSubnets.length > 0) carried = m.destinationSubnets;
        const key = `${m.sniHosts.join(',')}|${m.destinationSubnets.join(',')}`;
        if (seen.has(key)) { changed = true; return []; }
        seen.add(key);
        if (kind !== 'tls' || sameList(m.destinationCidrs, carried)) return [m];
        changed = true;
        return [{ ...m, destinationCidrs: carried }];
      });
      if (r.match.length > 0 && match.length === 0) continue;
      const kept = changed ? { ...r, match } : r;
      routes.push(kept);
      supplied = true;
      if (kind === 'tcp' && isTerminalTcpRoute(kept)) {
        used.push(i);
        return { routes, used };
      }
    }
    if (supplied) used.push(i);
  }
  return { routes, used };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
