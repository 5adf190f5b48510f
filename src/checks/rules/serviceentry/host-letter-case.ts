import { routeHostKey } from '../../../mesh/hosts.js';
import { stringList } from '../../../mesh/object.js';
import { buildProxyView, describeProxy, proxyOf, type ProxyIdentity } from '../../../mesh/view/index.js';
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
    'one in the ServiceEntry\'s own namespace. Fix: write the host in lower case (DNS names are case-insensitive), keep',
    'one of two hosts that differ only in case, or route the host with a VirtualService whose destination host is',
    'written as the ServiceEntry writes it.',
  ].join(' '),
  kinds: ['ServiceEntry', 'VirtualService', 'Service', 'Sidecar', 'Namespace', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    const capitalised = graph.ofKind('ServiceEntry').filter((se) => (stringList(se.spec.hosts) ?? []).some((h) => h !== routeHostKey(h)));
    if (capitalised.length === 0) return;
    const clients = new Map<string, ProxyIdentity>();
    for (const w of graph.workloads.all) {
      if (!clients.has(w.namespace) && graph.membershipOf(w).dataplane === 'sidecar') clients.set(w.namespace, proxyOf(graph, w));
    }
    for (const se of capitalised) {
      if (!clients.has(se.namespace)) clients.set(se.namespace, describeProxy({ name: 'meshproof-host-letter-case', namespace: se.namespace }));
    }
    const found = new Map<string, { namespaces: string[]; message: string; path: readonly (string | number)[]; object: (typeof capitalised)[number] }>();
    for (const [namespace, proxy] of clients) {
      for (const problem of buildProxyView(graph, proxy).problems) {
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
