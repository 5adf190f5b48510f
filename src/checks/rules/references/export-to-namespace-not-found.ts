import { builtinNamespaces } from '../../../mesh/builtin-namespaces.js';
import { exportToOf } from '../../../mesh/visibility.js';
import type { Rule } from '../../rule.js';

const KINDS = ['VirtualService', 'DestinationRule', 'ServiceEntry', 'Service'] as const;

/** `references/export-to-namespace-not-found`: an `exportTo` entry names a namespace that does not exist. */
const exportToNamespaceNotFound: Rule = {
  id: 'references/export-to-namespace-not-found',
  severity: 'warning',
  summary: 'An `exportTo` entry of a VirtualService, DestinationRule, ServiceEntry or Service names a Service of the input, or a capitalised name, not a namespace.',
  docs: [
    'Besides `.` (own namespace), `*` (all) and `~` (none), an `exportTo` entry (`spec.exportTo`, or for a Service the',
    'annotation `networking.istio.io/exportTo`) is a namespace name: proxies of that namespace see the object. A name',
    'that is no namespace exports the object nowhere; the namespace it was meant for does not see it (its sidecars',
    'keep the default route, lose the traffic policy, or cannot reach the host). A common slip is writing the name of',
    'the client Service instead of its namespace. Reported when the entry is the name of a Service of the input and no',
    'namespace of the input (no Namespace object, no object in it; the root namespace and Kubernetes\' own namespaces',
    'always exist): namespaces of other repositories are not in the input, so other unknown names are not judged.',
    'A name with capitals is reported too: Istio\'s webhook admits it (labels.IsDNS1123Label), but no Kubernetes',
    'namespace can carry it. Fix: the namespace of the clients.',
  ].join(' '),
  kinds: [...KINDS, 'Namespace'],
  check(graph, ctx) {
    const namespaces = new Set([...graph.namespaces(), ...builtinNamespaces(graph.rootNamespace)]);
    for (const kind of KINDS) {
      for (const o of graph.ofKind(kind)) {
        const exportTo = exportToOf(o, graph.meshConfig);
        const path = exportTo.path;
        if (exportTo.source === 'mesh-default' || path === null) continue;
        exportTo.values.forEach((ns, i) => {
          if (ns === '.' || ns === '*' || ns === '~' || namespaces.has(ns)) return;
          const where = exportTo.source === 'annotation' ? `networking.istio.io/exportTo "${ns}"` : `exportTo "${ns}"`;
          const at = exportTo.source === 'annotation' ? path : [...path, i];
          if (ns !== ns.toLowerCase()) {
            // Istio's webhook admits capitals (labels.IsDNS1123Label), but a Kubernetes namespace name is lower case.
            ctx.report(o, `${where} names no namespace that can exist (Kubernetes namespace names are lower case, and istiod compares them as written), ` +
              `so it exports this ${kind} nowhere; write "${ns.toLowerCase()}"`, { path: at });
            return;
          }
          // Namespaces of other repositories are not in the input: only a name that is evidently no namespace is judged.
          const service = graph.get('Service', o.namespace, ns) ?? graph.ofKind('Service').find((s) => s.name === ns);
          if (!service) return;
          ctx.report(o, `${where} names namespace "${ns}", which does not exist, so it exports this ${kind} to no namespace; "${ns}" is a Service ` +
            `in namespace ${service.namespace}: export to "${service.namespace === o.namespace ? '.' : service.namespace}" for its clients there`, {
            path: at,
          });
        });
      }
    }
  },
};

export default exportToNamespaceNotFound;
