import { stringList, type MeshObject } from '../../../mesh/object.js';
import { exportToOf } from '../../../mesh/visibility.js';
import type { MeshGraph } from '../../../mesh/graph.js';
import type { Rule } from '../../rule.js';
import { otherDomainHint } from '../references/_helpers.js';
import { isMeshBound } from './_helpers.js';

/** `routing/mesh-host-without-service`: a mesh VirtualService host that no Service or ServiceEntry provides. */
const meshHostWithoutService: Rule = {
  id: 'routing/mesh-host-without-service',
  severity: 'warning',
  summary: 'A VirtualService bound to the mesh names a host that no visible Service or ServiceEntry provides, so sidecars never apply it.',
  docs: [
    'Sidecars build outbound routes only for services in their registry: Kubernetes Services and ServiceEntry hosts',
    'visible to them. A mesh VirtualService whose host resolves to none of them (a typo, `reviews.prod` instead of',
    '`reviews.prod.svc.cluster.local`, an external host without a ServiceEntry) configures nothing: calls to that',
    'host bypass its routes, retries and faults. Visibility is judged where the VirtualService is used: in the namespaces its',
    '`exportTo` names (`.` its own; its own when exported everywhere). A host that some of those namespaces see and others do',
    'not is reported for the others: their sidecars receive the routes but no cluster (503 NC, or the call bypasses the routes).',
    'Wildcard hosts are not checked, nor are VirtualServices bound only to',
    'gateways (a gateway serves any host); one bound to both the mesh and a gateway is reported only when none of its',
    'hosts is a service (its external hosts are for the gateway). Off by default (the `strict` profile runs it): in a',
    'repository that holds only some services, the Service may live elsewhere. A partial name of a Service of the input',
    '(`reviews.prod`, `reviews.svc.cluster.local`) is left to `references/host-not-expanded`, which runs by default.',
    'Fix: correct the host, or add a ServiceEntry.',
  ].join(' '),
  kinds: ['VirtualService', 'Service', 'ServiceEntry'],
  // Opt-in (the strict profile runs it): in an app-team repository the Service often lives elsewhere.
  enabledByDefault: false,
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      if (!isMeshBound(vs)) continue;
      const hosts = stringList(vs.spec.hosts) ?? [];
      const users = consumerNamespaces(graph, vs);
      // A host counts as a service where it is visible to some namespace whose sidecars receive this VirtualService.
      const seenFrom = hosts.map((h) => (h.includes('*') ? users : users.filter((n) => graph.services.forHost(graph.resolveHost(h, vs.namespace).fqdn, n).length > 0)));
      const found = seenFrom.map((n) => n.length > 0);
      // Bound to gateways too: an external host there is for the gateway; only a VirtualService none of whose hosts is a service is dead for sidecars.
      const alsoGateway = (stringList(vs.spec.gateways) ?? []).some((g) => g !== 'mesh');
      if (alsoGateway && found.some(Boolean)) continue;
      hosts.forEach((h, i) => {
        if (found[i]) {
          // Exported by name to namespaces that do not see the host: their sidecars get routes without a cluster.
          const blind = users.filter((n) => !seenFrom[i]!.includes(n));
          if (blind.length > 0 && !h.includes('*')) {
            const fqdn = graph.resolveHost(h, vs.namespace).fqdn;
            ctx.report(vs, `Host ${JSON.stringify(h)} is not visible in namespace${blind.length > 1 ? 's' : ''} ${blind.join(', ')}, to which this VirtualService is exported ` +
              `(exportTo ${JSON.stringify(exportToOf(vs, graph.meshConfig).values)}), while namespace ${seenFrom[i]!.join(', ')} sees it: sidecars there receive these routes but no service or cluster for ${fqdn}, ` +
              `so their calls bypass the routes or get 503 (NC); export the service (or ServiceEntry) to ${blind.join(', ')}, or drop ${blind.length > 1 ? 'them' : 'it'} from exportTo`, { path: ['spec', 'exportTo'] });
          }
          return;
        }
        const resolved = graph.resolveHost(h, vs.namespace);
        // A partial name of a Service of the input: references/host-not-expanded reports it (on by default).
        if (resolved.likely && graph.services.forHost(resolved.fqdn, null).length === 0 && graph.servicesForHost(resolved.likely, vs.namespace).length > 0) return;
        const domainHint = otherDomainHint(graph, resolved.fqdn);
        const hint = domainHint ? `: ${domainHint}`
          : resolved.likely && graph.servicesForHost(resolved.likely, vs.namespace).length > 0
            ? `; Istio does not expand "${h}": did you mean "${resolved.likely}"?`
            : resolved.form === 'short' ? ` (resolved to ${resolved.fqdn}); fix the host or add the Service` : '; fix the host, or add a ServiceEntry for it';
        ctx.report(vs, `Host ${JSON.stringify(h)} of this mesh VirtualService matches no Service or ServiceEntry visible in namespace ${users.join(', ')}, so sidecars never apply its routes${hint}`, { path: ['spec', 'hosts', i] });
      });
    }
  },
};

export default meshHostWithoutService;

/**
 * The namespaces whose sidecars receive `vs`: those its exportTo names (`.` its own); its own namespace alone
 * when it is exported everywhere (any namespace's view would do, and the author's is the one to judge).
 */
function consumerNamespaces(graph: MeshGraph, vs: MeshObject): string[] {
  const values = exportToOf(vs, graph.meshConfig).values;
  if (values.includes('*')) return [vs.namespace];
  const named = [...new Set(values.filter((v) => v !== '~').map((v) => (v === '.' ? vs.namespace : v)))];
  return named.length > 0 ? named : [vs.namespace];
}
