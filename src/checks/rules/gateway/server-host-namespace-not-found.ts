import { closest } from '../../config/did-you-mean.js';
import { builtinNamespaces } from '../../../mesh/builtin-namespaces.js';
import type { Rule } from '../../rule.js';
import { gatewaysOf } from './_helpers.js';

/** `gateway/server-host-namespace-not-found`: a Gateway server host `namespace/host` names a namespace that does not exist. */
const gatewayServerHostNamespaceNotFound: Rule = {
  id: 'gateway/server-host-namespace-not-found',
  severity: 'warning',
  summary: 'A Gateway server `hosts` entry `namespace/host` names a namespace that is not in the input but a Service name or a near typo of a namespace that is.',
  docs: [
    'Gateway server hosts are `namespace/dnsName` (Istio `Server.hosts`): only VirtualServices of that namespace may',
    'bind the host (`.` is the Gateway\'s own namespace, `*` or no prefix any). When the namespace does not exist, no',
    'VirtualService can bind and the gateway answers every request for the host 404 (`NR`). A common slip is writing',
    'a service name there (`bar/*` meaning the Service bar), or a typo. Reported when the namespace has no Namespace',
    'object and no object in the input (the root namespace and Kubernetes\' own `default`, `kube-system`,',
    '`kube-public`, `kube-node-lease` always exist) and the name is a Service of the input or a near spelling of a',
    'namespace that is: a Gateway commonly admits namespaces whose objects live in other repositories, so other',
    'unknown names are not judged. Fix: the namespace of the VirtualServices that serve the host, or `*/host`.',
  ].join(' '),
  kinds: ['Gateway', 'Namespace', 'Service'],
  check(graph, ctx) {
    const namespaces = new Set([...graph.namespaces(), ...builtinNamespaces(graph.rootNamespace)]);
    for (const g of gatewaysOf(graph)) {
      for (const s of g.servers) {
        for (const h of s.hosts) {
          const slash = h.entry.indexOf('/');
          if (slash < 0) continue;
          const ns = h.entry.slice(0, slash);
          if (ns === '.' || ns === '*' || ns === '' || namespaces.has(ns)) continue;
          const rest = h.entry.slice(slash + 1);
          const service = graph.get('Service', g.gateway.namespace, ns) ?? graph.ofKind('Service').find((x) => x.name === ns);
          const near = closest(ns, namespaces);
          // Gateways often admit namespaces of other repositories: only a Service name or a near typo is judged.
          if (!service && near === undefined) continue;
          const hint = service
            ? `; "${ns}" is a Service in namespace ${service.namespace}: write "${service.namespace}/${rest}" to admit the VirtualServices of that namespace`
            : `; did you mean "${near}/${rest}"?`;
          ctx.report(g.gateway, `Server host "${h.entry}" on port ${s.port ?? '?'} names namespace "${ns}", which does not exist, so no VirtualService can bind ` +
            `the host and the gateway answers it 404 (NR)${hint}`, { path: h.path });
        }
      }
    }
  },
};

export default gatewayServerHostNamespaceNotFound;
