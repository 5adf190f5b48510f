import { isRecord } from '../../../mesh/object.js';
import { buildProxyView, proxiesOf, type GatewayServerView, type Origin } from '../../../mesh/view/index.js';
import type { MeshGraph } from '../../../mesh/graph.js';
import type { Rule } from '../../rule.js';

/** One filter chain istiod builds on a gateway listener, with the SNI names it matches (`server_names`, as written). */
interface Chain {
  readonly names: readonly string[];
  /** Where each name is written (same order as `names`). */
  readonly paths: readonly Origin[];
  readonly what: string;
  /** What istiod's `model.CheckDuplicates` compares: a server's `hosts` entries as written, or a match's `sniHosts`. */
  readonly duplicateKeys: readonly string[];
  readonly kind: 'server' | 'match';
}

/**
 * `gateway/sni-host-letter-case`: two filter chains on one gateway listener whose SNI names differ only in letter case.
 * istiod drops a later TLS server or PASSTHROUGH `tls` match only when it repeats an SNI host exactly
 * (`model.CheckDuplicates`, from `mergeGateways` and `gateway.go` buildGatewayNetworkFiltersFromTLSRoutes), and copies
 * the names as written into `filter_chain_match.server_names`; Envoy lower-cases `server_names` when it indexes the
 * chains (`filter_chain_manager_impl.cc` setupFilterChainMatcher: `absl::AsciiStrToLower`), so the two chains collide
 * and it refuses the whole listener ("multiple filter chains with overlapping matching rules are defined").
 */
const sniHostLetterCase: Rule = {
  id: 'gateway/sni-host-letter-case',
  severity: 'error',
  summary: 'Two TLS filter chains on one gateway port have SNI hosts that differ only in letter case (`API.example.com`, `api.example.com`): Envoy lower-cases server names, finds the chains overlapping and rejects the listener.',
  docs: [
    'On a gateway, every TLS server (SIMPLE, MUTUAL, ISTIO_MUTUAL, OPTIONAL_MUTUAL: its hosts without the `namespace/`',
    'part) and every `tls` match of a VirtualService bound to a PASSTHROUGH server (its `sniHosts`) becomes one filter',
    'chain of the port\'s listener, with those names as `filter_chain_match.server_names`; servers of every Gateway',
    'selecting the workload are merged per port. istiod skips a server or match only when it repeats a name exactly',
    '(`model.CheckDuplicates`, case-sensitive: the whole server or match is then dropped, and not judged here), so',
    '`API.example.com` and `api.example.com`, in two chains or in one server\'s `hosts`, both reach Envoy. Envoy',
    'lower-cases `server_names` when it builds the listener (and the TLS inspector lower-cases the client\'s SNI, so the',
    'match itself is case-insensitive): the two chains then match the same connections, and Envoy rejects the listener',
    'with "multiple filter chains with overlapping matching rules are defined" (LDS NACK). The gateway keeps serving',
    'the port\'s previous listener, or nothing on that port if it never had one, and no later change to that port',
    'applies until the names are fixed. Judged on the per-proxy view of every gateway workload in the input, per',
    'listener port and `bind`. Fix: write SNI hosts in lower case (DNS names are case-insensitive) and keep one chain',
    'per name: merge the servers or matches.',
  ].join(' '),
  kinds: ['Gateway', 'VirtualService', 'Service', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    if (!graph.ofKind('Gateway').some(hasCapitalSni(graph))) return;
    const reported = new Set<string>();
    for (const proxy of proxiesOf(graph)) {
      if (proxy.type !== 'router') continue;
      const view = buildProxyView(graph, proxy);
      const byListener = new Map<string, Chain[]>();
      for (const server of view.gatewayServers) {
        const key = `${server.listenerPort}\u0000${bindOf(graph, server)}`;
        const list = byListener.get(key) ?? [];
        list.push(...chainsOf(server));
        byListener.set(key, list);
      }
      for (const [key, chains] of byListener) {
        const port = key.split('\u0000')[0]!;
        const first = new Map<string, { name: string; chain: Chain }>();
        // istiod skips a server, or a PASSTHROUGH match, that repeats a host of an earlier one exactly (one map for
        // servers in mergeGateways, another for matches in buildGatewayNetworkFiltersFromTLSRoutes): no chain for it.
        const known = { server: new Set<string>(), match: new Set<string>() };
        for (const chain of chains) {
          if (chain.duplicateKeys.some((k) => known[chain.kind].has(k))) continue;
          for (const k of chain.duplicateKeys) known[chain.kind].add(k);
          chain.names.forEach((name, i) => {
            if (name === '*') return;
            const folded = name.toLowerCase();
            const prev = first.get(folded);
            if (!prev) { first.set(folded, { name, chain }); return; }
            if (prev.name === name) return;
            const at = chain.paths[i]!;
            const object = graph.get(at.ref.kind, at.ref.namespace, at.ref.name);
            const id = `${at.ref.kind}/${at.ref.namespace}/${at.ref.name}\u0000${at.path.join('.')}\u0000${prev.name}`;
            if (!object || reported.has(id)) return;
            reported.add(id);
            ctx.report(object, `SNI host "${name}" of ${chain.what} differs only in letter case from "${prev.name}" of ${prev.chain.what} on port ${port} of gateway ` +
              `${proxy.namespace}/${proxy.name}: istiod drops only exact repeats and sends both as filter chain server_names, but Envoy lower-cases server names, ` +
              `so the two chains overlap and Envoy rejects listener 0.0.0.0_${port} ("multiple filter chains with overlapping matching rules are defined"): the gateway ` +
              `keeps the port's previous listener, or serves nothing on it, and no change to the port applies. Fix: write "${folded}" in lower case and keep one chain for it (merge the servers or matches)`,
            { path: [...at.path] });
          });
        }
      }
    }
  },
};

export default sniHostLetterCase;

/** Whether a Gateway has a TLS server host with capitals, or a PASSTHROUGH server while some VirtualService `tls` match has an SNI host with capitals: the cheap test before building views. */
function hasCapitalSni(graph: MeshGraph): (gateway: { readonly spec: Record<string, unknown> }) => boolean {
  const capital = (xs: unknown): boolean => Array.isArray(xs) && xs.some((h) => typeof h === 'string' && h !== h.toLowerCase());
  const records = (xs: unknown): Record<string, unknown>[] => (Array.isArray(xs) ? xs.filter(isRecord) : []);
  const capitalTlsMatch = graph.ofKind('VirtualService').some((vs) => records(vs.spec.tls).some((r) => records(r.match).some((m) => capital(m.sniHosts))));
  return (gateway) => records(gateway.spec.servers).some((s) => isRecord(s.tls) && (s.tls.mode === 'PASSTHROUGH' ? capitalTlsMatch : capital(s.hosts)));
}

/** `bind` of the server as written (`''` when unset): servers bound to different addresses get different listeners. */
function bindOf(graph: MeshGraph, server: GatewayServerView): string {
  const { ref, path } = server.origin;
  const o = graph.get(ref.kind, ref.namespace, ref.name);
  const servers = o && Array.isArray(o.spec.servers) ? o.spec.servers : [];
  const raw = typeof path[2] === 'number' && isRecord(servers[path[2]]) ? (servers[path[2]] as Record<string, unknown>).bind : undefined;
  return typeof raw === 'string' ? raw : '';
}

/**
 * The filter chains istiod builds for `server` that match on SNI: one for a terminating TLS server (its hosts, the
 * `namespace/` part dropped: `GetSNIHostsForServer`), one per applicable `tls` match of a PASSTHROUGH server. An
 * AUTO_PASSTHROUGH server (chains named after clusters) and a plain-text server build none.
 */
function chainsOf(server: GatewayServerView): Chain[] {
  const tls = server.tls;
  if (!tls || Object.keys(tls).every((k) => k === 'httpsRedirect')) return [];
  const mode = typeof tls.mode === 'string' ? tls.mode : 'SIMPLE';
  const where = `Gateway ${server.gateway} server port ${server.port}`;
  if (mode === 'AUTO_PASSTHROUGH') return [];
  if (mode !== 'PASSTHROUGH') {
    const names: string[] = [];
    const paths: Origin[] = [];
    server.hosts.forEach((h, i) => {
      const name = h.includes('/') ? h.slice(h.indexOf('/') + 1) : h;
      if (names.includes(name)) return;
      names.push(name);
      paths.push({ ...server.origin, path: [...server.origin.path, 'hosts', i] });
    });
    return [{ names, paths, what: where, duplicateKeys: server.hosts, kind: 'server' }];
  }
  const out: Chain[] = [];
  const seen = new Set<string>();
  for (const r of server.routes) for (const route of r.tls) for (const m of route.match) {
    const key = `${m.origin.ref.namespace}/${m.origin.ref.name}\u0000${m.origin.path.join('.')}`;
    if (seen.has(key) || m.sniHosts.length === 0) continue;
    seen.add(key);
    out.push({
      names: m.sniHosts,
      paths: m.sniHosts.map((_, k) => ({ ...m.origin, path: [...m.origin.path, 'sniHosts', k] })),
      what: `VirtualService ${m.origin.ref.namespace}/${m.origin.ref.name} tls match (${where}, PASSTHROUGH)`,
      duplicateKeys: m.sniHosts,
      kind: 'match',
    });
  }
  return out;
}
