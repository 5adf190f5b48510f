import { gatewayApiOf, isInternalGatewayReference, listenerHostnames } from '../../../mesh/gateway-api.js';
import { hostsIntersect } from '../../../mesh/hosts.js';
import { stringList } from '../../../mesh/object.js';
import { analyzerGatewayName, isLegacyGatewayRef } from '../../../mesh/routing.js';
import type { Rule } from '../../rule.js';
import { listOrNone } from './_helpers.js';

/**
 * Whether Gateway server host `entry` (`[namespace/]host`) and VirtualService host `written` match as istiod
 * compares them (gateway.go pickMatchingGatewayHosts, `host.Name.Matches`): as written, case-sensitively; a
 * short VirtualService host also as `<name>.<namespace>.svc.<domain>`.
 */
function sameCase(entry: string, written: string, namespace: string, domain: string): boolean {
  const server = entry.slice(entry.indexOf('/') + 1);
  const short = !written.includes('.') && !written.includes('*');
  return hostsIntersect(server, written) || (short && hostsIntersect(server, `${written}.${namespace}.svc.${domain}`));
}

/** `routing/gateway-host-mismatch` (IST0132): a gateway-bound VirtualService has a host the gateway serves. */
const gatewayHostMismatch: Rule = {
  id: 'routing/gateway-host-mismatch',
  istioCode: 'IST0132',
  severity: 'warning',
  summary: 'None of a VirtualService\'s hosts matches a host of a Gateway it is bound to (or the Gateway is missing).',
  docs: [
    'A VirtualService bound to a Gateway only configures the gateway for hosts the Gateway\'s servers accept.',
    'Server hosts are `host`, `namespace/host`, `./host` (the gateway\'s namespace) or `*/host`; the namespace part',
    'says which namespaces\' VirtualServices may bind. Wildcards match both ways (`*.example.com` accepts',
    '`api.example.com`). When nothing matches, the routes never reach the gateway and requests get 404 (`NR`).',
    'Fix: add the host to a server of the Gateway (with the right namespace part) or correct the VirtualService',
    'host. Also reported when the Gateway does not exist. A Kubernetes Gateway API Gateway of that name is matched',
    'by its listeners\' `hostname` (a listener without one accepts every host), compared as written as the analyzer does',
    '(a VirtualService host differing only in letter case is reported as info: istiod binds it); Istio Gateway hosts too, so',
    '`Shop.example.com` on the server does not bind a VirtualService host `shop.example.com`; references to Gateways istiod',
    'generates internally are IST0165 and skipped here. Mirrors `istioctl analyze` IST0132, which reads a reference',
    'without "/" as a Gateway of the VirtualService\'s namespace: a legacy `name.namespace` reference finds no Gateway',
    'and so no host there (info naming the `namespace/name` to write), although istiod resolves it.',
  ].join(' '),
  kinds: ['VirtualService', 'Gateway'],
  check(graph, ctx) {
    const k8s = gatewayApiOf(graph);
    for (const vs of graph.ofKind('VirtualService')) {
      const hosts = stringList(vs.spec.hosts) ?? [];
      if (hosts.length === 0) continue; // a delegate VirtualService binds through its parent
      for (const g of graph.gatewaysOf(vs)) {
        if (g.mesh || isInternalGatewayReference(g.ref)) continue;
        const kube = g.gateway ? undefined : k8s.get('Gateway', g.namespace, g.name);
        if ((g.gateway || kube) && isLegacyGatewayRef(g.ref)) {
          const a = analyzerGatewayName(g.ref, vs.namespace);
          if (!graph.get('Gateway', a.namespace, a.name) && !k8s.get('Gateway', a.namespace, a.name)) {
            ctx.report(vs, `istioctl analyze finds no Gateway "${g.ref}" (it reads a name without "/" as ${a.namespace}/${a.name}), so it finds no gateway host serving this VirtualService's hosts (${hosts.join(', ')}); istiod reads the legacy form as ${g.key}. Fix: write "${g.key}"`,
              { path: g.path, severity: 'info' });
            continue;
          }
        }
        if (kube) {
          const names = listenerHostnames(kube);
          // host.Name.Matches compares as written (listener hostnames are lower case by the CRD's pattern).
          if (names === null || names.some((n) => hosts.some((h) => hostsIntersect(n, h)))) continue;
          const folded = names.find((n) => hosts.some((h) => hostsIntersect(n, h.toLowerCase())));
          if (folded !== undefined) {
            ctx.report(vs, `No host of this VirtualService (${hosts.join(', ')}) matches a listener hostname of Kubernetes Gateway ${g.key} as istioctl analyze compares them (case-sensitively: listener "${folded}"); istiod lower-cases gateway virtual hosts and binds it all the same. Fix: write the host in lower case`,
              { path: g.path, severity: 'info' });
            continue;
          }
          ctx.report(vs, `No host of this VirtualService (${hosts.join(', ')}) is served by Kubernetes Gateway ${g.key} (listener hostnames: ${listOrNone(names)}); add a listener for the host or fix the VirtualService hosts`, { path: g.path });
          continue;
        }
        if (!g.gateway) {
          ctx.report(vs, `Gateway "${g.ref}" (${g.key}) does not exist, so no host of this VirtualService (${hosts.join(', ')}) is served by it; create it or fix the reference`, { path: g.path });
          continue;
        }
        const gw = g.gateway;
        const matching = hosts.flatMap((h) => {
          const fqdn = graph.resolveHost(h, vs.namespace).fqdn;
          return [...graph.gatewayServersForHost(gw, h, vs.namespace), ...graph.gatewayServersForHost(gw, fqdn, vs.namespace)]
            .map((m) => ({ written: h, server: m.host }));
        });
        if (matching.some((m) => sameCase(m.server, m.written, vs.namespace, graph.clusterDomain))) continue;
        if (matching.length > 0) {
          const m = matching[0]!;
          ctx.report(
            vs,
            `No host of this VirtualService (${hosts.join(', ')}) is served by Gateway ${g.key}: server host "${m.server}" differs from "${m.written}" only in letter case, ` +
              'and istiod binds a VirtualService to a server by comparing hosts as written (case-sensitively), so the gateway answers 404 for it; write both in lower case',
            { path: g.path },
          );
          continue;
        }
        const offered = [...new Set((Array.isArray(gw.spec.servers) ? gw.spec.servers : []).flatMap((s) => (typeof s === 'object' && s !== null ? stringList((s as Record<string, unknown>).hosts) ?? [] : [])))];
        const nsHint = hosts.some((h) => graph.gatewayServersForHost(gw, h).length > 0)
          ? `; a server host matches but its namespace part does not admit VirtualServices from namespace ${vs.namespace}: ` +
            `use "*/host" or "${vs.namespace}/host" in the Gateway, or move the VirtualService`
          : '; add the host to a server of the Gateway or fix the VirtualService hosts';
        ctx.report(
          vs,
          `No host of this VirtualService (${hosts.join(', ')}) is served by Gateway ${g.key} (server hosts: ${listOrNone(offered)})${nsHint}`,
          { path: g.path },
        );
      }
    }
  },
};

export default gatewayHostMismatch;
