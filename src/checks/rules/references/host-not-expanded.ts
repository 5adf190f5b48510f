import { stringList } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { isMeshBound } from '../routing/_helpers.js';

/**
 * `references/host-not-expanded`: a host written in a Kubernetes short form Istio does not expand (a mesh
 * VirtualService host), or a DNS endpoint address that leaves out the Service's namespace.
 */
const hostNotExpanded: Rule = {
  id: 'references/host-not-expanded',
  severity: 'error',
  summary: 'A mesh VirtualService host is a partial Kubernetes name of a Service of the input (`reviews.prod`, `reviews.prod.svc`, `reviews.svc.cluster.local`) that Istio does not expand, or a ServiceEntry DNS endpoint address leaves out the Service\'s namespace (`reviews.svc.cluster.local`), so it names nothing.',
  docs: [
    'Istio expands only a short name (`reviews`, no dot) to `reviews.<namespace>.svc.<cluster domain>`; any host with a',
    'dot is taken as written. A mesh VirtualService host `reviews.prod` or `reviews.svc.cluster.local` therefore matches',
    'no Service, sidecars build no route for it, and its routes, retries and faults never apply (istio/istio#41214 for the',
    'same slip in destinations, which `references/destination-host-exists` reports as IST0101). Likewise a ServiceEntry',
    'endpoint `address` under resolution DNS or DNS_ROUND_ROBIN of the form `<service>.svc.<cluster domain>` has no DNS',
    'record: Kubernetes DNS names a Service `<service>.<namespace>.svc.<cluster domain>`, so the endpoint never resolves',
    'and the cluster has no hosts (503 UH). Reported only when the host matches no Service or ServiceEntry and the full',
    'name it stands for is a Service of the input, so a host of a service defined elsewhere is not judged; VirtualServices',
    'bound only to gateways are not judged (`reviews.shop` may be a public name). When the same VirtualService also names that',
    'Service (`reviews`, or its FQDN), its routes do apply and the entry is merely redundant: an info finding. Fix: the FQDN the message suggests.',
  ].join(' '),
  kinds: ['VirtualService', 'ServiceEntry', 'Service'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      if (!isMeshBound(vs)) continue;
      const hosts = stringList(vs.spec.hosts) ?? [];
      // The services the VirtualService's other hosts name (short names expanded, FQDNs as written).
      const named = new Map<string, string>();
      for (const h of hosts) {
        if (h.includes('*')) continue;
        const fqdn = graph.resolveHost(h, vs.namespace).fqdn;
        if (!named.has(fqdn) && graph.services.forHost(fqdn, null).length > 0) named.set(fqdn, h);
      }
      hosts.forEach((h, i) => {
        if (h.includes('*') || !h.includes('.')) return;
        const resolved = graph.resolveHost(h, vs.namespace);
        if (!resolved.likely || graph.services.forHost(resolved.fqdn, null).length > 0) return;
        if (graph.servicesForHost(resolved.likely, vs.namespace).length === 0) return;
        const also = named.get(resolved.likely);
        if (also !== undefined) {
          ctx.report(vs, `Host "${h}" matches no Service or ServiceEntry (Istio expands only a name without a dot and takes "${h}" as written), but this VirtualService also names ` +
            `"${also}", which is ${resolved.likely}: its routes apply to that service, and this entry adds nothing; drop it`, { path: ['spec', 'hosts', i], severity: 'info' });
          return;
        }
        ctx.report(vs, `Host "${h}" matches no Service or ServiceEntry: Istio expands only a name without a dot, and takes "${h}" as written, so sidecars build no route for it and ` +
          `this VirtualService's routes never apply; did you mean "${resolved.likely}"?`, { path: ['spec', 'hosts', i] });
      });
    }
    for (const se of graph.ofKind('ServiceEntry')) {
      const resolution = typeof se.spec.resolution === 'string' ? se.spec.resolution : 'NONE';
      if (resolution !== 'DNS' && resolution !== 'DNS_ROUND_ROBIN') continue;
      const endpoints = Array.isArray(se.spec.endpoints) ? se.spec.endpoints : [];
      endpoints.forEach((e, i) => {
        const address = typeof e === 'object' && e !== null && typeof (e as { address?: unknown }).address === 'string' ? (e as { address: string }).address : undefined;
        if (!address) return;
        const m = address.toLowerCase().match(/^([a-z0-9-]+)\.svc\.(.+)$/);
        if (!m || m[2] !== graph.clusterDomain) return;
        const name = m[1]!;
        const services = graph.ofKind('Service').filter((s) => s.name === name);
        if (services.length === 0) return;
        const own = services.find((s) => s.namespace === se.namespace) ?? services[0]!;
        const fqdn = `${name}.${own.namespace}.svc.${graph.clusterDomain}`;
        ctx.report(se, `Endpoint address "${address}" leaves out the namespace: Kubernetes DNS names Service ${own.namespace}/${name} "${fqdn}", so "${address}" never resolves ` +
          `and this ServiceEntry's cluster has no endpoint (503 UH); write "${fqdn}"`, { path: ['spec', 'endpoints', i, 'address'] });
      });
    }
  },
};

export default hostNotExpanded;
