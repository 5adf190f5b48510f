import { gatewayApiOf, parentRefsOf, type ParentRef } from '../../../mesh/gateway-api.js';
import { serviceFqdn } from '../../../mesh/hosts.js';
import type { MeshGraph } from '../../../mesh/graph.js';
import { membershipOf } from '../../../mesh/membership.js';
import { defaultExportTo, exportedTo } from '../../../mesh/visibility.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import type { Rule, RuleContext } from '../../rule.js';

/**
 * `gatewayapi/consumer-route-not-visible`: a mesh (GAMMA) route in another namespace than the Service or
 * ServiceEntry it attaches to is a consumer route, used only by the sidecars of its own namespace; when that
 * parent is not exported there, those sidecars do not know the host and never apply the route.
 */
const consumerRouteNotVisible: Rule = {
  id: 'gatewayapi/consumer-route-not-visible',
  severity: 'warning',
  summary: 'A mesh route attached to a Service or ServiceEntry of another namespace (a consumer route) whose parent is not exported to the route\'s namespace (the route never applies), or a mesh route whose Service backend is not exported to the namespaces that apply it (their requests to it fail).',
  docs: [
    'An HTTPRoute, GRPCRoute, TCPRoute or TLSRoute whose parentRef is a Service (group "") or an Istio ServiceEntry is a',
    'mesh route. In the parent\'s namespace it is a producer route, applied for every client; in another namespace it is',
    'a consumer route, applied only for the clients of the route\'s namespace (istiod builds it as a VirtualService of',
    'that namespace for the parent\'s host). A sidecar selects a VirtualService only for hosts in its registry',
    '(pilot/pkg/model/virtualservice.go SelectVirtualServices, hostClassification.VSMatches), which holds only the',
    'Services and ServiceEntries exported to its namespace (`networking.istio.io/exportTo`, `spec.exportTo`). A',
    'consumer route for a parent that is not exported to the route\'s namespace therefore never applies: its splits,',
    'timeouts and filters are lost and the clients there cannot resolve the host through the mesh at all. Fix: export',
    'the parent to the route\'s namespace, or move the route into the parent\'s namespace (a producer route). The',
    'same sidecars build clusters only for Services exported to their namespace, while istiod converts a backendRef',
    'after checking only that the Service exists (conversion.go buildDestination): a consumer route\'s Service',
    'backend that is not exported to the route\'s namespace gets its share of requests answered 503 (no cluster).',
    'A producer route (in its parent\'s namespace) is applied by every namespace that sees the parent, except one with',
    'a consumer route of its own for it; its Service backend must be exported to each of those (judged for the',
    'namespaces with sidecar workloads in the input). Fix: export the backend there too, or send to a Service',
    'those namespaces see. A TCPRoute or TLSRoute is never a consumer route: istiod\'s sidecar TCP and TLS chains take every',
    'VirtualService of the host whatever its namespace (listener.go buildSidecarOutboundTCPListenerOpts, istio/istio#46146), so',
    'it applies in every namespace that sees its parent (and to which the MeshConfig default exports VirtualServices); attached',
    'from a namespace that does not see the parent it is applied only elsewhere, which is reported too.',
  ].join(' '),
  kinds: ['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    const routes = gatewayApiOf(graph).routes();
    for (const route of routes) {
      for (const p of parentRefsOf(route)) {
        const { kind, namespace: ns, name, index: i } = p;
        if (ns === route.namespace) continue; // a producer route: for every client that sees the parent
        const hosts = parentHosts(graph, p);
        const all = hosts.flatMap((h) => graph.services.forHost(h, null).filter((s) => s.namespace === ns));
        if (all.length === 0) continue; // a missing parent: gatewayapi/route-reference-not-found
        if (hosts.some((h) => graph.services.forHost(h, route.namespace).length > 0)) continue;
        const s = all[0]!;
        if (isL4(route)) {
          const elsewhere = clientNamespacesOf(graph, routes, route);
          ctx.report(route, `${route.kind} ${route.namespace}/${route.name} attaches to ${kind} ${ns}/${name} from another namespace, but ${s.kind} ${s.namespace}/${s.object.name} is exported to ` +
            `${JSON.stringify(s.exportTo)}, not to ${route.namespace}, so the sidecars of ${route.namespace} do not know ${hosts.join(', ')} and never apply this route; istiod applies a mesh ` +
            `${route.kind} for every namespace that sees its parent, not only its own as for a consumer HTTPRoute (${elsewhere.length > 0 ? `here the sidecars of ${elsewhere.join(', ')}` : 'none with workloads in the input'}); ` +
            `export the parent to "${route.namespace}", or move the route into namespace ${ns}`, { path: ['spec', 'parentRefs', i] });
          continue;
        }
        ctx.report(route, `${route.kind} ${route.namespace}/${route.name} attaches to ${kind} ${ns}/${name} from another namespace, so it is a consumer route used only by the ` +
          `sidecars of ${route.namespace}; but ${s.kind} ${s.namespace}/${s.object.name} is exported to ${JSON.stringify(s.exportTo)}, not to ${route.namespace}, so those sidecars do not ` +
          `know ${hosts.join(', ')} and never apply this route; export it to "${route.namespace}", or move the route into namespace ${ns}`, { path: ['spec', 'parentRefs', i] });
      }
      reportHiddenBackends(graph, route, clientNamespacesOf(graph, routes, route), ctx.report);
    }
  },
};

/** The hosts of a mesh parentRef (a Service, or an Istio ServiceEntry); empty for other kinds or a missing parent. */
function parentHosts(graph: MeshGraph, { group, kind, namespace: ns, name }: ParentRef): string[] {
  if (group === '' && kind === 'Service') return graph.get('Service', ns, name) ? [serviceFqdn(name, ns, graph.clusterDomain)] : [];
  if (group === 'networking.istio.io' && kind === 'ServiceEntry') return stringList(graph.get('ServiceEntry', ns, name)?.spec.hosts) ?? [];
  return [];
}

const sees = (graph: MeshGraph, hosts: readonly string[], ns: string) => hosts.some((h) => graph.services.forHost(h, ns).length > 0);

/**
 * The namespaces whose sidecars apply a mesh route. A consumer route (parent in another namespace) applies in its
 * own namespace when that sees the parent. A producer route (parent in its namespace) is public: it applies in every
 * namespace that sees the parent, except one with a consumer route of its own for that parent (which istiod
 * selects first, SelectVirtualServices' "consumer override"); only namespaces with sidecar workloads in the input count.
 */
function clientNamespacesOf(graph: MeshGraph, routes: readonly MeshObject[], route: MeshObject): string[] {
  const out = new Set<string>();
  for (const p of parentRefsOf(route)) {
    const hosts = parentHosts(graph, p);
    if (hosts.length === 0) continue;
    if (isL4(route)) {
      for (const ns of l4ClientNamespaces(graph, routes, route, p, hosts)) out.add(ns);
      continue;
    }
    if (p.namespace !== route.namespace) {
      if (sees(graph, hosts, route.namespace)) out.add(route.namespace);
      continue;
    }
    const overridden = new Set(routes.filter((r) => r.namespace !== p.namespace && parentRefsOf(r).some((q) => q.kind === p.kind && q.group === p.group &&
      q.namespace === p.namespace && q.name === p.name)).map((r) => r.namespace));
    const meshed = graph.workloads.all.filter((w) => membershipOf(w, graph.get('Namespace', '', w.namespace)).dataplane === 'sidecar');
    for (const ns of new Set(meshed.map((w) => w.namespace))) {
      if (!overridden.has(ns) && sees(graph, hosts, ns)) out.add(ns);
    }
  }
  return [...out].sort();
}

/** A TCPRoute or TLSRoute: istiod's sidecar TCP and TLS chains take every VirtualService of the host, whatever its namespace. */
const isL4 = (route: MeshObject): boolean => route.kind === 'TCPRoute' || route.kind === 'TLSRoute';

/**
 * The namespaces whose sidecars apply a mesh TCPRoute or TLSRoute for parent `p`: every namespace with sidecar workloads
 * in the input (and the route's own) that sees the parent and to which the route's VirtualService is exported (the
 * MeshConfig default), except one with a route of the same kind for that parent of its own, which istiod selects
 * first (listener.go `buildSidecarOutboundTCPListenerOpts` filters no namespace, istio/istio#46146).
 */
function l4ClientNamespaces(graph: MeshGraph, routes: readonly MeshObject[], route: MeshObject, p: ParentRef, hosts: readonly string[]): string[] {
  const exportTo = defaultExportTo('VirtualService', graph.meshConfig);
  const overridden = new Set(routes.filter((r) => r.kind === route.kind && r.namespace !== route.namespace && parentRefsOf(r).some((q) => q.kind === p.kind && q.group === p.group &&
    q.namespace === p.namespace && q.name === p.name)).map((r) => r.namespace));
  const meshed = graph.workloads.all.filter((w) => membershipOf(w, graph.get('Namespace', '', w.namespace)).dataplane === 'sidecar').map((w) => w.namespace);
  return [...new Set([route.namespace, ...meshed])].filter((ns) => !overridden.has(ns) && exportedTo(exportTo, route.namespace, ns) && sees(graph, hosts, ns)).sort();
}

/**
 * A mesh route's Service backends that exist but are not exported to a namespace whose sidecars apply the route
 * (clientNamespacesOf): those sidecars have no cluster for them, so the share of requests sent there fails (503, no
 * cluster). istiod checks only that the Service exists (conversion.go buildDestination); a Hostname backend it looks
 * up with the route's visibility, which gatewayapi/route-reference-not-found reports.
 */
function reportHiddenBackends(graph: MeshGraph, route: MeshObject, clients: readonly string[], report: RuleContext['report']): void {
  if (clients.length === 0) return;
  const consumer = !isL4(route) && clients.length === 1 && clients[0] === route.namespace && parentRefsOf(route).every((p) => p.namespace !== route.namespace);
  (Array.isArray(route.spec.rules) ? route.spec.rules : []).forEach((rule, i) => {
    if (!isRecord(rule)) return;
    (Array.isArray(rule.backendRefs) ? rule.backendRefs : []).forEach((b, j) => {
      if (!isRecord(b) || typeof b.name !== 'string' || (b.kind ?? 'Service') !== 'Service' || (b.group ?? '') !== '') return;
      const ns = typeof b.namespace === 'string' && b.namespace !== '' ? b.namespace : route.namespace;
      const fqdn = serviceFqdn(b.name, ns, graph.clusterDomain);
      const all = graph.services.forHost(fqdn, null).filter((s) => s.namespace === ns);
      if (all.length === 0) return;
      const blind = clients.filter((c) => graph.services.forHost(fqdn, c).length === 0);
      if (blind.length === 0) return;
      const s = all[0]!;
      const applied = consumer ? `this consumer route is applied by the sidecars of ${route.namespace}`
        : `this route is applied by the sidecars of every namespace that sees its parent (${clients.join(', ')} in the input)`;
      report(route, `${route.kind} ${route.namespace}/${route.name} spec.rules[${i}].backendRefs[${j}] sends to Service ${ns}/${b.name}, but ${applied}, and ${s.kind} ` +
        `${s.namespace}/${s.object.name} is exported to ${JSON.stringify(s.exportTo)}, not to ${blind.join(', ')}: those sidecars have no cluster for ${fqdn}, so the ` +
        `${isL4(route) ? 'connections this backend gets from there are closed (no cluster)' : 'requests this backend gets from there fail (503, no cluster)'}; export it to ${blind.map((c) => `"${c}"`).join(', ')}, or send to a Service they see`, { path: ['spec', 'rules', i, 'backendRefs', j] });
    });
  });
}

export default consumerRouteNotVisible;
