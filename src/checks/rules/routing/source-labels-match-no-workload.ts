import type { MeshGraph, Workload } from '../../../mesh/graph.js';
import { isRecord, stringList, stringMap, type MeshObject } from '../../../mesh/object.js';
import { exportedTo, exportToOf } from '../../../mesh/visibility.js';
import type { Rule } from '../../rule.js';

type Rec = Readonly<Record<string, unknown>>;

/** Route kinds whose match entries carry `sourceLabels` (HTTPMatchRequest, L4MatchAttributes, TLSMatchAttributes). */
const ROUTE_KINDS = ['http', 'tcp', 'tls'] as const;

/** `routing/source-labels-match-no-workload`: a VirtualService match's `sourceLabels` that no client workload of the input carries. */
const sourceLabelsMatchNoWorkload: Rule = {
  id: 'routing/source-labels-match-no-workload',
  severity: 'info',
  summary: 'A VirtualService match\'s `sourceLabels` select no workload of the input that could be a client, so the match applies to no request the input can send.',
  docs: [
    'istiod builds a route from a match entry with `sourceLabels` only into the proxies whose workload labels carry',
    'every pair (route.go sourceMatchHTTP, and the L4/TLS equivalents): `sourceLabels: {app: web-canary}` when the',
    'pods are labelled `app: web, track: canary` routes nothing, and the canary quietly gets the default. The clients',
    'counted are the workloads of the input that may run a proxy (sidecar, gateway, or a namespace not in the input)',
    'with the labels the injector adds, in the match\'s `sourceNamespace` when set, else in the namespaces the',
    'VirtualService is exported to (any namespace for a gateway-only VirtualService). Info, not a warning: the',
    'clients may live outside the input (istioctl analyze has no analyzer for it); nothing is said when the input',
    'holds no workload at all, or none in any namespace the clients could be in (they live elsewhere: pass their',
    'manifests with --context to have them judged). Fix the labels, or the sourceNamespace.',
  ].join(' '),
  kinds: ['VirtualService', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod', 'WorkloadEntry', 'Namespace'],
  check(graph, ctx) {
    if (graph.workloads.inInput.length === 0) return;
    for (const vs of graph.ofKind('VirtualService')) {
      for (const kind of ROUTE_KINDS) {
        const routes = Array.isArray(vs.spec[kind]) ? vs.spec[kind] : [];
        routes.forEach((route, i) => {
          if (!isRecord(route) || !Array.isArray(route.match)) return;
          const matches: readonly unknown[] = route.match;
          matches.forEach((m, j) => {
            if (!isRecord(m) || !isRecord(m.sourceLabels)) return;
            const labels = stringMap(m.sourceLabels);
            if (Object.keys(labels).length === 0) return;
            const why = noClient(graph, vs, m, labels);
            if (why === undefined) return;
            const name = typeof route.name === 'string' ? ` "${route.name}"` : '';
            ctx.report(vs, `${kind}[${i}]${name} match[${j}] sourceLabels ${text(labels)} select no workload of the input ${why}, so istiod builds this match into no client's routes${matches.length === 1 ? ' and the rule routes no request of theirs' : ''}. Fix the labels (they must all be on the client's pods), or pass the clients' manifests with --context if they live outside the input`, {
              path: ['spec', kind, i, 'match', j, 'sourceLabels'],
            });
          });
        });
      }
    }
  },
};

/**
 * Where the match's clients were looked for, when no workload there carries `labels` (` in namespace shop`);
 * undefined when one does, or when none of those namespaces has a workload in the input (the clients live elsewhere).
 */
function noClient(graph: MeshGraph, vs: MeshObject, m: Rec, labels: Readonly<Record<string, string>>): string | undefined {
  const mayHaveProxy = (w: Workload) => {
    const membership = graph.membershipOf(w);
    return membership.meshed || membership.dataplane === 'unknown';
  };
  const injected = (w: Workload) => graph.membershipOf(w).dataplane === 'sidecar';
  const sourceNamespace = typeof m.sourceNamespace === 'string' && m.sourceNamespace !== '' ? m.sourceNamespace : undefined;
  const gateways = stringList(vs.spec.gateways) ?? [];
  const meshBound = gateways.length === 0 || gateways.includes('mesh');
  const exportTo = exportToOf(vs, graph.meshConfig).values;
  const could = (ns: string) => (sourceNamespace !== undefined ? ns === sourceNamespace : !meshBound || exportedTo(exportTo, vs.namespace, ns));
  const present = graph.workloads.all.filter((w) => could(w.namespace) && mayHaveProxy(w));
  if (present.length === 0) return undefined;
  if (present.some((w) => graph.workloads.somePodSelectedBy(w.namespace, labels, injected).includes(w))) return undefined;
  const elsewhere = graph.workloads.somePodSelectedBy(null, labels, injected).find(mayHaveProxy);
  const hint = elsewhere ? ` (${elsewhere.kind} ${elsewhere.namespace}/${elsewhere.name} carries them, but ${sourceNamespace !== undefined ? `sourceNamespace is ${sourceNamespace}` : 'this VirtualService is not exported to its namespace'})` : '';
  const where = sourceNamespace !== undefined ? `in namespace ${sourceNamespace}` : !meshBound ? 'in any namespace' : exportTo.includes('*') ? 'in any namespace' : `in the namespaces it is exported to`;
  return `${where}${hint}`;
}

/** `app=web, track=canary`. */
function text(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ');
}

export default sourceLabelsMatchNoWorkload;
