import { closest } from '../../config/did-you-mean.js';
import { builtinNamespaces } from '../../../mesh/builtin-namespaces.js';
import { sidecarEgress } from '../../../mesh/visibility.js';
import type { Rule } from '../../rule.js';

/** `sidecar/egress-namespace-not-found`: a Sidecar egress host names a namespace that does not exist. */
const egressNamespaceNotFound: Rule = {
  id: 'sidecar/egress-namespace-not-found',
  severity: 'warning',
  summary: 'A Sidecar `egress[].hosts` entry `namespace/host` names a namespace that is not in the input.',
  docs: [
    'Sidecar egress hosts are `namespace/dnsName`: the part before `/` is a namespace whose services (and exported',
    'VirtualServices, DestinationRules) the workload may reach; `.` is the Sidecar\'s own, `*` any, `~` none. A',
    'common slip is writing a service name there (`bar/*` meaning the Service bar): the entry then imports nothing,',
    'and with `REGISTRY_ONLY` or a narrow Sidecar the workload cannot reach the service at all (502 `NR`/',
    'BlackHoleCluster). Reported when the namespace has no Namespace object and no object in the input (the root',
    'namespace and Kubernetes\' own `default`, `kube-system`, `kube-public`, `kube-node-lease` always exist). Fix: `./bar.<namespace>.svc.cluster.local` for one service, or the right namespace.',
  ].join(' '),
  kinds: ['Sidecar', 'Namespace', 'Service'],
  check(graph, ctx) {
    const namespaces = new Set([...graph.namespaces(), ...builtinNamespaces(graph.rootNamespace)]);
    for (const sc of graph.ofKind('Sidecar')) {
      for (const l of sidecarEgress(sc).listeners) {
        for (const h of l.hosts) {
          if (h.namespace === '*' || h.namespace === '~' || namespaces.has(h.namespace)) continue;
          const near = closest(h.namespace, namespaces);
          const service = graph.get('Service', sc.namespace, h.namespace) ?? graph.ofKind('Service').find((s) => s.name === h.namespace);
          // An exclusion (Istio 1.31 `~ns/host`) keeps its "~" in the suggestion: without it the entry would import what it meant to leave out.
          const tilde = h.excluded ? '~' : '';
          const hint = service
            ? `; "${h.namespace}" is a Service in namespace ${service.namespace}: write ` +
              `"${tilde}${service.namespace === sc.namespace && !h.excluded ? '.' : service.namespace}/${h.namespace}.${service.namespace}.svc.${graph.clusterDomain}"`
            : near !== undefined ? `; did you mean "${tilde}${near}/${h.entry.slice(h.entry.indexOf('/') + 1)}"?` : '; fix the namespace, or add the Namespace to the input';
          ctx.report(sc, `Egress host "${h.entry}" names namespace "${h.namespace}", which does not exist, so it ${h.excluded ? 'excludes' : 'imports'} nothing${hint}`, { path: h.path });
        }
      }
    }
  },
};

export default egressNamespaceNotFound;
