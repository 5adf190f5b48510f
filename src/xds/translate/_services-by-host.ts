/**
 * The one service each host of a view stands for, for every translator that looks a cluster's or a
 * virtual host's service up by host (ports and protocol, endpoints selector, domains): istiod's
 * precedence (`mesh/service-precedence.ts`) when several Services / ServiceEntries share a host.
 */
import type { MeshGraph } from '../../mesh/graph.js';
import { serviceForHost } from '../../mesh/service-precedence.js';
import type { ServiceInfo } from '../../mesh/services.js';
import { type ProxyView, type ServiceView, graphOfView } from '../../mesh/view/index.js';

const BY_HOST = new WeakMap<readonly ServiceView[], Map<string, ReadonlyMap<string, ServiceView>>>();

/**
 * `view.services` by host, once per services list and proxy namespace (read-only; a linear search per
 * virtual host was quadratic). A host that several services share maps to the one istiod uses for
 * the proxy's namespace, with the ports it merges from the others of its namespace; for a view not
 * built from a graph (hand-made in tests), to the first of the list.
 */
export function servicesByHost(view: Pick<ProxyView, 'services' | 'clusters' | 'proxy'>): ReadonlyMap<string, ServiceView> {
  let byNamespace = BY_HOST.get(view.services);
  if (!byNamespace) BY_HOST.set(view.services, (byNamespace = new Map()));
  let map = byNamespace.get(view.proxy.namespace);
  if (!map) byNamespace.set(view.proxy.namespace, (map = computeByHost(view)));
  return map;
}

function computeByHost(view: Pick<ProxyView, 'services' | 'clusters' | 'proxy'>): ReadonlyMap<string, ServiceView> {
  const out = new Map<string, ServiceView>();
  let shared: Map<string, ServiceView[]> | undefined;
  for (const s of view.services) {
    const first = out.get(s.host);
    if (!first) { out.set(s.host, s); continue; }
    shared ??= new Map();
    const list = shared.get(s.host);
    if (list) list.push(s);
    else shared.set(s.host, [first, s]);
  }
  if (shared) {
    const graph = graphOfView(view);
    if (graph) for (const [host, list] of shared) out.set(host, chosen(graph, list, view.proxy.namespace));
  }
  return out;
}

/** The view istiod's precedence picks among `views` (one host), its ports extended by the merged ones. */
function chosen(graph: MeshGraph, views: readonly ServiceView[], proxyNamespace: string): ServiceView {
  const infos = views.map((v) => infoOf(graph, v));
  if (infos.some((i) => i === undefined)) return views[0]!;
  const choice = serviceForHost(infos as ServiceInfo[], proxyNamespace)!;
  const service = views[infos.indexOf(choice.service)]!;
  if (choice.mergedPorts.length === 0) return service;
  const ports = [...service.ports];
  for (const m of choice.mergedPorts) {
    for (const p of views[infos.indexOf(m)]!.ports) if (!ports.some((q) => q.number === p.number)) ports.push(p);
  }
  return { ...service, ports };
}

/** The registry entry a service view was made from. */
function infoOf(graph: MeshGraph, v: ServiceView): ServiceInfo | undefined {
  return graph.services.forHost(v.host, null).find((s) => s.host === v.host && s.namespace === v.namespace && s.kind === v.kind && s.object.name === v.origin.ref.name);
}
