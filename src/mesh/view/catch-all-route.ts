/**
 * istiod's catch-all route (route.go `IsCatchAllRoute`) and where it ends a VirtualService's HTTP routes
 * (`BuildHTTPRoutesForVirtualService`, which every proxy kind's routes go through: sidecars, proxyless gRPC
 * clients via `BuildSidecarOutboundVirtualHosts`, and gateways). This is istiod's syntactic test on the Envoy
 * route it builds, which decides what istiod sends; whether a match entry takes every request (`.+` on a path,
 * a `method` regex `.*`) is a different question, answered by `mesh/catch-all-regex.ts` for the check rules.
 */
import type { HttpRouteView, StringMatch } from './types.js';

/**
 * What `IsCatchAllRoute` reads of a match entry: its path and whether it has header or query parameter
 * matchers. A typed `HttpMatchView` is one; so is a raw `HTTPMatchRequest` with `uri` typed (a check reading
 * raw VirtualServices, gateway/_route-match.ts isCatchAllRoute, asks this same predicate).
 */
export interface CatchAllMatchInput {
  readonly uri?: StringMatch;
  readonly method?: unknown;
  readonly authority?: unknown;
  readonly scheme?: unknown;
  readonly headers?: object;
  readonly withoutHeaders?: object;
  readonly queryParams?: object;
}

/**
 * Whether the Envoy route istiod builds for match entry `m` (undefined: a rule without `match`) is a
 * catch-all, Istio route.go `IsCatchAllRoute`: path prefix `/` (also the path of an entry without `uri`) or
 * regex exactly `.*` (not `^.*$`, not `.+`), and no header or query parameter matcher. `method`, `authority`
 * and `scheme` become `:method`, `:authority` and `:scheme` header matchers, and `withoutHeaders` inverted
 * ones, so an entry with any of them is not a catch-all; `port`, `sourceLabels`, `sourceNamespace` and
 * `gateways` choose the proxies that get the route and add no matcher; `ignoreUriCase` keeps prefix `/`.
 */
export function isCatchAllMatchView(m: CatchAllMatchInput | undefined): boolean {
  if (m === undefined) return true;
  const u = m.uri;
  const anyPath = u === undefined || ('prefix' in u && u.prefix === '/') || ('regex' in u && u.regex === '.*');
  return anyPath && m.method === undefined && m.authority === undefined && m.scheme === undefined
    && isEmpty(m.headers) && isEmpty(m.withoutHeaders) && isEmpty(m.queryParams);
}

function isEmpty(o: object | undefined): boolean {
  if (o === undefined) return true;
  for (const _ in o) return false;
  return true;
}

/**
 * The index of the match entry of `r` whose Envoy route is a catch-all: 0 for a rule without `match` (istiod
 * treats it as one whatever it builds), else the first entry {@link isCatchAllMatchView} accepts; -1 when none.
 * `r.match` holds only the entries that apply to this proxy and port (istiod's `TranslateRoute` returns no
 * route for the others, so they cannot end the list).
 */
export function catchAllEntry(r: Pick<HttpRouteView, 'match'>): number {
  return r.match.length === 0 ? 0 : r.match.findIndex((m) => isCatchAllMatchView(m));
}

/**
 * One VirtualService's HTTP routes for a proxy and port as istiod builds them (route.go
 * `BuildHTTPRoutesForVirtualService`): in order up to and including the first catch-all; of the rule holding
 * it, only the entries up to that one. Envoy matches in order, so nothing after a catch-all could be reached,
 * and istiod sends none of it. `routes` in the VirtualService's order, delegates already merged into their
 * root (istiod merges them first, `mergeVirtualServicesIfNeeded`, so a delegate's catch-all also ends the
 * root's later rules). Returns `routes` itself when nothing is cut; views are shared, not copied. Pure.
 */
export function httpRoutesToFirstCatchAll(routes: readonly HttpRouteView[]): readonly HttpRouteView[] {
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i]!;
    const at = catchAllEntry(r);
    if (at < 0) continue;
    const last = r.match.length === 0 || at === r.match.length - 1 ? r : { ...r, match: r.match.slice(0, at + 1) };
    return i === routes.length - 1 && last === r ? routes : [...routes.slice(0, i), last];
  }
  return routes;
}
