import { gatewayServerHostKey } from '../../../mesh/hosts.js';
import { isHttp } from '../../../mesh/protocol.js';
import { buildProxyView, gatewayListenerName, gatewayServerTlsMode, mergeGatewayServers, proxiesOf, type GatewayServerView, type Origin, type ProxyIdentity } from '../../../mesh/view/index.js';
import type { MeshGraph } from '../../../mesh/graph.js';

/** One filter chain istiod builds on a gateway listener, with the SNI names it matches (`server_names`, as written). */
export interface SniChain {
  readonly names: readonly string[];
  /** Where each name is written (same order as `names`). */
  readonly paths: readonly Origin[];
  readonly what: string;
  /** What istiod's `model.CheckDuplicates` compares: a server's `hosts` entries after `sanitizeServerHostNamespace`, or a match's `sniHosts`. */
  readonly duplicateKeys: readonly string[];
  readonly kind: 'server' | 'match';
}

/** A name of a chain that matches the same SNI as an earlier name on the same gateway listener. */
export interface SniOverlap {
  readonly proxy: ProxyIdentity;
  readonly port: string;
  /** The Envoy listener: `<bind>_<port>`, `0.0.0.0_<port>` without bind. */
  readonly listener: string;
  /** The name as this chain writes it, and where. */
  readonly name: string;
  readonly at: Origin;
  readonly chain: SniChain;
  /** The earlier name (equal to `name`, or differing only in letter case) and its chain. */
  readonly prev: { readonly name: string; readonly chain: SniChain };
}

/**
 * Every SNI name that two filter chains istiod keeps on one gateway listener (per workload, port and `bind`) both
 * match, in istiod's merge order: the later name, once per written location. istiod skips a server, or a PASSTHROUGH
 * match, that repeats a key of an earlier one exactly (`model.CheckDuplicates`: one map for servers in
 * `mergeGateways`, another for matches in `buildGatewayNetworkFiltersFromTLSRoutes`), so a chain reaching here
 * collides with the earlier one in Envoy, which lower-cases `server_names` and refuses overlapping chains.
 */
export function sniOverlaps(graph: MeshGraph): SniOverlap[] {
  const out: SniOverlap[] = [];
  for (const proxy of proxiesOf(graph)) {
    if (proxy.type !== 'router') continue;
    const view = buildProxyView(graph, proxy);
    // Per listener (listener port and `bind`), the servers istiod keeps (`mergeGatewayServers`): a server it skips builds no chain.
    const byListener = new Map<string, { port: string; chains: SniChain[] }>();
    for (const group of mergeGatewayServers(view.gatewayServers).serverPorts) {
      if (isHttp(group.protocol)) continue;
      const name = gatewayListenerName(group);
      const entry = byListener.get(name) ?? { port: String(group.port), chains: [] };
      for (const server of group.servers) entry.chains.push(...chainsOf(server));
      byListener.set(name, entry);
    }
    for (const [listener, { port, chains }] of byListener) {
      const first = new Map<string, { name: string; chain: SniChain }>();
      const known = { server: new Set<string>(), match: new Set<string>() };
      for (const chain of chains) {
        if (chain.duplicateKeys.some((k) => known[chain.kind].has(k))) continue;
        for (const k of chain.duplicateKeys) known[chain.kind].add(k);
        chain.names.forEach((name, i) => {
          if (name === '*') return;
          const folded = name.toLowerCase();
          const prev = first.get(folded);
          if (!prev) { first.set(folded, { name, chain }); return; }
          out.push({ proxy, port, listener, name, at: chain.paths[i]!, chain, prev });
        });
      }
    }
  }
  return out;
}

/**
 * The filter chains istiod builds for `server` that match on SNI: one for a terminating TLS server (its hosts, the
 * `namespace/` part dropped: `GetSNIHostsForServer`), one per applicable `tls` match of a PASSTHROUGH server. An
 * AUTO_PASSTHROUGH server (chains named after clusters) and a plain-text server build none.
 */
function chainsOf(server: GatewayServerView): SniChain[] {
  const mode = gatewayServerTlsMode(server);
  if (mode === null) return [];
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
    const namespace = server.origin.ref.namespace;
    return [{ names, paths, what: where, duplicateKeys: server.hosts.map((h) => gatewayServerHostKey(h, namespace)), kind: 'server' }];
  }
  const out: SniChain[] = [];
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
