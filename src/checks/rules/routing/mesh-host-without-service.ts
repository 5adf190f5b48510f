import { stringList } from '../../../mesh/object.js';
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
    'host bypass its routes, retries and faults. Wildcard hosts are not checked, nor are VirtualServices bound only to',
    'gateways (a gateway serves any host); one bound to both the mesh and a gateway is reported only when none of its',
    'hosts is a service (its external hosts are for the gateway). Off by default (the `strict` profile runs it): in a',
    'repository that holds only some services, the Service may live elsewhere. Fix: correct the host, or add a ServiceEntry.',
  ].join(' '),
  kinds: ['VirtualService', 'Service', 'ServiceEntry'],
  // Opt-in (the strict profile runs it): in an app-team repository the Service often lives elsewhere.
  enabledByDefault: false,
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      if (!isMeshBound(vs)) continue;
      const hosts = stringList(vs.spec.hosts) ?? [];
      const found = hosts.map((h) => h.includes('*') || graph.servicesForHost(h, vs.namespace).length > 0);
      // Bound to gateways too: an external host there is for the gateway; only a VirtualService none of whose hosts is a service is dead for sidecars.
      const alsoGateway = (stringList(vs.spec.gateways) ?? []).some((g) => g !== 'mesh');
      if (alsoGateway && found.some(Boolean)) continue;
      hosts.forEach((h, i) => {
        if (found[i]) return;
        const resolved = graph.resolveHost(h, vs.namespace);
        const domainHint = otherDomainHint(graph, resolved.fqdn);
        const hint = domainHint ? `: ${domainHint}`
          : resolved.likely && graph.servicesForHost(resolved.likely, vs.namespace).length > 0
            ? `; Istio does not expand "${h}": did you mean "${resolved.likely}"?`
            : resolved.form === 'short' ? ` (resolved to ${resolved.fqdn}); fix the host or add the Service` : '; fix the host, or add a ServiceEntry for it';
        ctx.report(vs, `Host ${JSON.stringify(h)} of this mesh VirtualService matches no Service or ServiceEntry visible in namespace ${vs.namespace}, so sidecars never apply its routes${hint}`, { path: ['spec', 'hosts', i] });
      });
    }
  },
};

export default meshHostWithoutService;
