/**
 * `view.services` by host, for every translator that looks a cluster's or a virtual host's service up
 * by host (ports and protocol, endpoints selector, domains). The view already holds one service per
 * host, the one istiod's SidecarScope keeps (`mesh/view/host-services.ts`, with the ports it
 * merges); for a view made another way (by hand, in tests) the first of a host wins.
 */
import type { ProxyView, ServiceView } from '../../mesh/view/index.js';

const BY_HOST = new WeakMap<readonly ServiceView[], ReadonlyMap<string, ServiceView>>();

/** `view.services` by host, once per services list (read-only; a linear search per virtual host was quadratic). */
export function servicesByHost(view: Pick<ProxyView, 'services'>): ReadonlyMap<string, ServiceView> {
  let map = BY_HOST.get(view.services);
  if (!map) {
    const m = new Map<string, ServiceView>();
    for (const s of view.services) if (!m.has(s.host)) m.set(s.host, s);
    BY_HOST.set(view.services, (map = m));
  }
  return map;
}
