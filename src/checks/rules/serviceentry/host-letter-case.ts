import { routeHostKey } from '../../../mesh/hosts.js';
import { stringList } from '../../../mesh/object.js';
import type { MeshGraph } from '../../../mesh/graph.js';
import { buildProxyView, describeProxy, proxyOf, type ProxyIdentity } from '../../../mesh/view/index.js';
import { matchesNameTheClient, namespacesSeeingDifferently } from '../../../mesh/view/push-index.js';
import type { Rule } from '../../rule.js';

/**
 * `serviceentry/host-letter-case`: a ServiceEntry host written with capitals whose sidecar default route does not
 * reach its own cluster. Surfaces the per-proxy view's `view/host-letter-case` problem (the one the xDS translation
 * follows), so the check and the translation agree by construction.
 */
const hostLetterCase: Rule = {
  id: 'serviceentry/host-letter-case',
  severity: 'error',
  summary: 'A ServiceEntry host written with capital letters that sidecars route, without a VirtualService, to a cluster other than its own: none (503 NC), or that of a host differing only in letter case.',
  docs: [
    'istiod keeps ServiceEntry hosts as written: the cluster of `API.Partner.example` is `outbound|443||API.Partner.example`.',
    'But a sidecar builds its HTTP virtual hosts and their default routes from a lower-cased copy of each service',
    '(`httproute.go` BuildSidecarOutboundVirtualHosts), so the default route names `outbound|443||api.partner.example`:',
    'a cluster CDS does not have, so every request fails with 503 `NC` (error), or the cluster of another Service or',
    'ServiceEntry whose host differs only in letter case, which then gets the traffic meant for this one (warning).',
    'Judged from meshproof\'s per-proxy view for one sidecar of each namespace with meshed workloads in the input, and',
    'one in the ServiceEntry\'s own namespace; a view is built only for the namespaces that may see a capitalised host or',
    'its lower-case twin differently (those its Service, ServiceEntry, VirtualService or DestinationRule name, and those a',
    'Sidecar configures) and for one other namespace, whose outcome every other namespace shares. Fix: write the host in lower case (DNS names are case-insensitive), keep',
    'one of two hosts that differ only in case, or route the host with a VirtualService whose destination host is',
    'written as the ServiceEntry writes it.',
  ].join(' '),
  kinds: ['ServiceEntry', 'VirtualService', 'Service', 'Sidecar', 'Namespace', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    const capitalised = graph.ofKind('ServiceEntry').filter((se) => (stringList(se.spec.hosts) ?? []).some((h) => h !== routeHostKey(h)));
    if (capitalised.length === 0) return;
    const clients = clientsOf(graph, capitalised);
    const judged = judgedNamespaces(graph, clients);
    // Every namespace outside `judged` sees the capitalised hosts as the first of them does: its view stands for theirs.
    const outsider = [...clients.keys()].find((n) => !judged.has(n));
    const problemsOf = new Map<string, ReturnType<typeof buildProxyView>['problems']>();
    const problems = (namespace: string) => {
      const judge = judged.has(namespace) ? namespace : outsider!;
      let list = problemsOf.get(judge);
      if (!list) problemsOf.set(judge, (list = buildProxyView(graph, clients.get(judge)!.proxy).problems));
      return list;
    };
    const found = new Map<string, { namespaces: string[]; message: string; path: readonly (string | number)[]; object: (typeof capitalised)[number] }>();
    for (const namespace of clients.keys()) {
      for (const problem of problems(namespace)) {
        const { ref, path } = problem.origin;
        if (problem.code !== 'view/host-letter-case' || ref.kind !== 'ServiceEntry') continue;
        const object = graph.get('ServiceEntry', ref.namespace, ref.name);
        if (!object) continue;
        const key = `${ref.namespace}/${ref.name}\u0000${path.join('.')}\u0000${problem.message}`;
        const entry = found.get(key) ?? { namespaces: [], message: problem.message, path, object };
        entry.namespaces.push(namespace);
        found.set(key, entry);
      }
    }
    for (const { namespaces, message, path, object } of found.values()) {
      const shown = namespaces.slice(0, 5).join(', ') + (namespaces.length > 5 ? ` and ${namespaces.length - 5} more` : '');
      ctx.report(object, `For the sidecars of namespace${namespaces.length === 1 ? '' : 's'} ${shown}: ${message}`, {
        path: [...path], ...(message.includes('503 NC') ? {} : { severity: 'warning' as const }),
      });
    }
  },
};

export default hostLetterCase;

/** A client sidecar of one namespace, and whether a Sidecar resource configures it. */
export interface Client { readonly proxy: ProxyIdentity; readonly scoped: boolean }

/**
 * One sidecar per namespace with sidecar workloads (the first in input order), then one for each capitalised
 * ServiceEntry's own namespace without workloads; in that order, which is the order findings list namespaces in.
 */
function clientsOf(graph: MeshGraph, capitalised: readonly { readonly namespace: string }[]): Map<string, Client> {
  const clients = new Map<string, Client>();
  for (const w of graph.workloads.all) {
    if (!clients.has(w.namespace) && graph.membershipOf(w).dataplane === 'sidecar') clients.set(w.namespace, { proxy: proxyOf(graph, w), scoped: graph.sidecarsFor(w).length > 0 });
  }
  for (const se of capitalised) {
    if (!clients.has(se.namespace)) clients.set(se.namespace, { proxy: describeProxy({ name: 'meshproof-host-letter-case', namespace: se.namespace }), scoped: true });
  }
  return clients;
}

/**
 * The client namespaces whose sidecars may see a capitalised ServiceEntry host, or the lower-case host it is folded
 * to, unlike the others (`namespacesSeeingDifferently`: the namespaces of the services, VirtualServices and
 * DestinationRules of those hosts and the ones their exportTo names, and the root namespace), and those a Sidecar
 * configures (its egress decides what is imported). Every client namespace when a route match names its client
 * (`sourceLabels`, `sourceNamespace`: routes then differ between namespaces alike) or a capitalised host is a wildcard.
 * Exported for tests.
 */
export function judgedNamespaces(graph: MeshGraph, clients: ReadonlyMap<string, Client>): Set<string> {
  const all = new Set(clients.keys());
  if (matchesNameTheClient(graph)) return all;
  const out = new Set<string>();
  for (const s of graph.services.all) {
    if (s.kind !== 'ServiceEntry' || s.host === routeHostKey(s.host)) continue;
    for (const h of [s.host, routeHostKey(s.host)]) {
      const special = namespacesSeeingDifferently(graph, h);
      if (special === null) return all;
      for (const n of special) if (all.has(n)) out.add(n);
    }
  }
  for (const [n, c] of clients) if (c.scoped) out.add(n);
  return out;
}
