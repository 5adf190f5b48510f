import type { MeshObject } from '../../../mesh/object.js';
import { mergedDestinations, sidecarImportScope } from '../../../mesh/view/sidecar-imports.js';
import type { Rule } from '../../rule.js';
import { hostOf, portOf } from '../references/_helpers.js';

/**
 * `sidecar/route-destination-not-imported`: a Sidecar's egress listener bound to a port imports a
 * VirtualService but not the service its route sends to, so the sidecars have no cluster for it.
 */
const routeDestinationNotImported: Rule = {
  id: 'sidecar/route-destination-not-imported',
  severity: 'warning',
  summary: 'A Sidecar egress listener bound to a port imports a VirtualService whose route destination service lacks that port and is imported by no egress host, so its sidecars have no cluster for it (503 NC).',
  docs: [
    'A Sidecar narrows what its proxies get: the services its `egress[].hosts` import, and the destinations of the',
    'VirtualServices they import (pilot/pkg/model/sidecar.go convertToSidecarScope, "Infer more possible destinations from',
    'virtual services"). For an egress listener bound to a port (not HTTP_PROXY), istiod infers only a destination service',
    'that has that port (serviceMatchingListenerPort), and takes only that port of a service it imports. A VirtualService',
    'imported through a port-9080 listener that routes to a service on port 8080, which no egress host imports, therefore',
    'points at a cluster the sidecars never receive: the route answers 503 (NC). Judged for VirtualServices bound to mesh',
    'and exported to the Sidecar\'s namespace, for destinations whose service is in the input and visible there; a rule with a',
    'match naming another `sourceNamespace` and none naming the Sidecar\'s is left out, as istiod leaves out its destinations.',
    'The rule reads the sidecar scope the view builds the sidecars\' clusters from (`mesh/view/sidecar-imports.ts`). Fix: import the',
    'destination in an egress listener without port (or with the destination\'s port), e.g. `ledger/ledger.ledger.svc.cluster.local`.',
  ].join(' '),
  kinds: ['Sidecar', 'VirtualService', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const sc of graph.ofKind('Sidecar')) {
      // The view's own answer (istiod's SidecarScope: `mesh/view/sidecar-imports.ts`), so the rule
      // and the clusters the sidecars get cannot disagree.
      const scope = sidecarImportScope(graph, sc, sc.namespace);
      if (!scope || scope.listeners.every((l) => !l.matchPort)) continue;
      const ns = sc.namespace;
      const imported = new Map(scope.services.map((i) => [i.service.host, i] as const));
      const seen = new Set<MeshObject>();
      for (const vs of scope.listeners.flatMap((l) => l.virtualServices)) {
        if (seen.has(vs)) continue;
        seen.add(vs);
        const importing = scope.listeners.filter((l) => l.virtualServices.includes(vs));
        if (!importing.some((l) => l.matchPort)) continue;
        for (const d of mergedDestinations(graph, vs, ns)) {
          const written = hostOf(d.destination);
          if (!written) continue;
          const host = graph.resolveHost(written, d.object.namespace).fqdn;
          if (host.includes('*')) continue;
          const service = graph.services.forHost(host, ns).find((s) => s.host === host);
          if (!service) continue;
          const port = portOf(d.destination);
          const ports = imported.get(host)?.ports ?? [];
          if (ports.length > 0 && (port === undefined || ports.includes(port))) continue;
          const via = importing.filter((l) => l.matchPort).map((l) => `spec.egress[${String(l.index)}] (port ${String(l.port)})`);
          ctx.report(d.object, `Route ${d.what} ${host}${port !== undefined ? ` port ${String(port)}` : ''}${d.object !== vs ? ` (delegated from VirtualService ${vs.namespace}/${vs.name})` : ''} is not in the scope of the sidecars Sidecar ${ns}/${sc.name} configures: ` +
            (ports.length === 0
              ? `its egress listener ${via.join(', ')} imports ${d.object === vs ? 'this VirtualService' : `VirtualService ${vs.namespace}/${vs.name}`}, but istiod adds a VirtualService destination to a listener bound to a port only when the service has that port (sidecar.go serviceMatchingListenerPort), and no egress host imports ${service.namespace}/${host}`
              : `its egress listeners import ${service.namespace}/${host} only on port ${[...ports].sort((a, b) => a - b).join(', ')}`) +
            `, so they have no cluster for it and ${d.what === 'mirror'
              ? 'Envoy drops the mirrored copies (it skips a shadow whose cluster it does not have; the requests themselves are served)'
              : 'requests on this route get 503 (NC)'}. Fix: add "${service.namespace === ns ? '.' : service.namespace}/${host}" to the hosts of an egress listener without port` +
            `${port !== undefined ? ` or with port ${String(port)}` : ''}`, { path: d.path });
        }
      }
    }
  },
};

export default routeDestinationNotImported;
