import { gatewayApiOf, parentRefsOf } from '../../../mesh/gateway-api.js';
import { serviceFqdn } from '../../../mesh/hosts.js';
import type { MeshGraph } from '../../../mesh/graph.js';
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
  summary: 'A mesh route attached to a Service or ServiceEntry of another namespace (a consumer route) whose parent is not exported to the route\'s namespace (the route never applies), or whose Service backend is not (its requests fail).',
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
    'Fix: export the backend there too, or send to a Service the route\'s namespace sees.',
  ].join(' '),
  kinds: ['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const route of gatewayApiOf(graph).routes()) {
      for (const { group, kind, namespace: ns, name, index: i } of parentRefsOf(route)) {
        if (ns === route.namespace) continue; // a producer route: for every client that sees the parent
        let hosts: string[];
        if (group === '' && kind === 'Service') hosts = graph.get('Service', ns, name) ? [serviceFqdn(name, ns, graph.clusterDomain)] : [];
        else if (group === 'networking.istio.io' && kind === 'ServiceEntry') hosts = stringList(graph.get('ServiceEntry', ns, name)?.spec.hosts) ?? [];
        else continue;
        const all = hosts.flatMap((h) => graph.services.forHost(h, null).filter((s) => s.namespace === ns));
        if (all.length === 0) continue; // a missing parent: gatewayapi/route-reference-not-found
        if (hosts.some((h) => graph.services.forHost(h, route.namespace).length > 0)) continue;
        const s = all[0]!;
        ctx.report(route, `${route.kind} ${route.namespace}/${route.name} attaches to ${kind} ${ns}/${name} from another namespace, so it is a consumer route used only by the ` +
          `sidecars of ${route.namespace}; but ${s.kind} ${s.namespace}/${s.object.name} is exported to ${JSON.stringify(s.exportTo)}, not to ${route.namespace}, so those sidecars do not ` +
          `know ${hosts.join(', ')} and never apply this route; export it to "${route.namespace}", or move the route into namespace ${ns}`, { path: ['spec', 'parentRefs', i] });
      }
      if (appliesAsConsumerRoute(graph, route)) reportHiddenBackends(graph, route, ctx.report);
    }
  },
};

/** Whether some parent of `route` is a Service or ServiceEntry of another namespace that is exported to the route's namespace. */
function appliesAsConsumerRoute(graph: MeshGraph, route: MeshObject): boolean {
  return parentRefsOf(route).some(({ group, kind, namespace: ns, name }) => {
    if (ns === route.namespace) return false;
    const hosts = group === '' && kind === 'Service' ? (graph.get('Service', ns, name) ? [serviceFqdn(name, ns, graph.clusterDomain)] : [])
      : group === 'networking.istio.io' && kind === 'ServiceEntry' ? stringList(graph.get('ServiceEntry', ns, name)?.spec.hosts) ?? [] : [];
    return hosts.some((h) => graph.services.forHost(h, route.namespace).length > 0);
  });
}

/**
 * A consumer route's Service backends that exist but are not exported to the route's namespace: the sidecars
 * there have no cluster for them, so the share of requests sent there fails (503, no cluster). istiod checks
 * only that the Service exists (conversion.go buildDestination); a Hostname backend it looks up with the
 * route's visibility, which gatewayapi/route-reference-not-found reports.
 */
function reportHiddenBackends(graph: MeshGraph, route: MeshObject, report: RuleContext['report']): void {
  (Array.isArray(route.spec.rules) ? route.spec.rules : []).forEach((rule, i) => {
    if (!isRecord(rule)) return;
    (Array.isArray(rule.backendRefs) ? rule.backendRefs : []).forEach((b, j) => {
      if (!isRecord(b) || typeof b.name !== 'string' || (b.kind ?? 'Service') !== 'Service' || (b.group ?? '') !== '') return;
      const ns = typeof b.namespace === 'string' && b.namespace !== '' ? b.namespace : route.namespace;
      const fqdn = serviceFqdn(b.name, ns, graph.clusterDomain);
      const all = graph.services.forHost(fqdn, null).filter((s) => s.namespace === ns);
      if (all.length === 0 || graph.services.forHost(fqdn, route.namespace).length > 0) return;
      const s = all[0]!;
      report(route, `${route.kind} ${route.namespace}/${route.name} spec.rules[${i}].backendRefs[${j}] sends to Service ${ns}/${b.name}, but this consumer route is applied by the ` +
        `sidecars of ${route.namespace}, and ${s.kind} ${s.namespace}/${s.object.name} is exported to ${JSON.stringify(s.exportTo)}, not to ${route.namespace}: those sidecars have no ` +
        `cluster for ${fqdn}, so the requests this backend gets fail (503, no cluster); export it to "${route.namespace}", or send to a Service they see`, { path: ['spec', 'rules', i, 'backendRefs', j] });
    });
  });
}

export default consumerRouteNotVisible;
