/**
 * The order of a gateway virtual host's HTTP routes, as istiod builds it. Sidecars keep the written order of
 * the one VirtualService they use for a host, up to its first catch-all (`catch-all-route.ts`); a gateway
 * merges every VirtualService bound to it for the host, and then moves catch-all routes to the end, so an
 * older VirtualService's catch-all does not take the requests a newer one routes more precisely.
 */
import { catchAllEntry, httpRoutesToFirstCatchAll } from './catch-all-route.js';
import type { HttpRouteView } from './types.js';

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
    const cut = httpRoutesToFirstCatchAll(routes);
    const last = cut[cut.length - 1];
    const at = last === undefined ? -1 : catchAllEntry(last);
    for (let i = 0; i < cut.length - (at < 0 ? 0 : 1); i++) front.push(cut[i]!);
    if (last === undefined || at < 0) continue;
    if (at === 0) back.push(last);
    else {
      front.push({ ...last, match: last.match.slice(0, at) });
      back.push({ ...last, match: last.match.slice(at) });
    }
  }
  return back.length === 0 ? front : front.concat(back);
}
