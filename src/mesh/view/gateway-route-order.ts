/**
 * The order of a gateway virtual host's HTTP routes, as istiod builds it. Sidecars keep the written order of
 * the one VirtualService they use for a host; a gateway merges every VirtualService bound to it for the host,
 * and then moves catch-all routes to the end, so an older VirtualService's catch-all does not take the requests
 * a newer one routes more precisely.
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
 * regex `.*`, and no header or query parameter matcher. `method`, `authority` and `scheme` become
 * `:method`, `:authority` and `:scheme` header matchers, and `withoutHeaders` inverted ones, so an entry
 * with any of them is not a catch-all; `port`, `sourceLabels`, `sourceNamespace` and `gateways` choose
 * the proxies that get the route and add no matcher.
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
 * The HTTP routes of one gateway virtual host from the routes of each VirtualService merged into it (in
 * istiod's VirtualService order, delegates already merged into their root), as istiod builds them:
 * - each VirtualService's routes end at its first catch-all (route.go `BuildHTTPRoutesForVirtualService`
 *   stops there: Envoy could never reach a route after it), so later rules and later match entries of
 *   that rule are left out;
 * - then the catch-all routes move after all the others, each group in its order (gateway.go
 *   `buildGatewayHTTPRouteConfig` → route.go `SortVHostRoutes`). istiod sorts Envoy routes, one per
 *   match entry: a rule whose last kept entry is a catch-all and whose others are not is split in two
 *   views of the same rule (same origin and name), its other entries in place and the catch-all at
 *   the end.
 * Views are shared, not copied, where nothing changes. Pure.
 */
export function gatewayHostHttpRoutes(perVirtualService: readonly (readonly HttpRouteView[])[]): HttpRouteView[] {
  const front: HttpRouteView[] = [];
  const back: HttpRouteView[] = [];
  for (const routes of perVirtualService) {
    for (const r of routes) {
      if (r.match.length === 0) {
        back.push(r);
        break;
      }
      const at = r.match.findIndex((m) => isCatchAllMatchView(m));
      if (at < 0) {
        front.push(r);
        continue;
      }
      if (at === 0) back.push(r.match.length === 1 ? r : { ...r, match: r.match.slice(0, 1) });
      else {
        front.push({ ...r, match: r.match.slice(0, at) });
        back.push({ ...r, match: r.match.slice(at, at + 1) });
      }
      break;
    }
  }
  return back.length === 0 ? front : front.concat(back);
}
