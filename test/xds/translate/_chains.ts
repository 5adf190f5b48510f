/**
 * Which listener and filter chain a TCP connection reaches, the way Envoy picks them: the listener
 * bound to the exact destination `ip:port` (bound or `bind_to_port: false`), else `0.0.0.0:port`;
 * then the chain by destination IP (longest `prefix_ranges` match, else chains without ranges),
 * then by SNI (exact `server_names`, then `*.suffix`, then chains without names). IPv4 only.
 */
import { type Any, anyUnpack } from '@bufbuild/protobuf/wkt';
import type { FilterChain } from '../../../src/xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import type { Listener } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { TcpProxySchema } from '../../../src/xds/gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { DownstreamTlsContextSchema, type DownstreamTlsContext } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';

export interface TestConnection {
  readonly ip: string;
  readonly port: number;
  /** SNI of the ClientHello; undefined for plaintext. */
  readonly sni?: string;
}

function addressOf(l: Listener): [string, number] | undefined {
  const a = l.address?.address;
  if (a?.case !== 'socketAddress') return undefined;
  const p = a.value.portSpecifier;
  return [a.value.address, p.case === 'portValue' ? p.value : 0];
}

function ipNum(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function inRange(ip: string, prefix: string, len: number): boolean {
  const block = 2 ** (32 - len);
  return Math.floor(ipNum(ip) / block) === Math.floor(ipNum(prefix) / block);
}

/** The listener a connection reaches, or undefined. */
export function selectListener(listeners: readonly Listener[], c: TestConnection): Listener | undefined {
  return listeners.find((l) => { const a = addressOf(l); return a?.[0] === c.ip && a[1] === c.port; })
    ?? listeners.find((l) => { const a = addressOf(l); return a?.[0] === '0.0.0.0' && a[1] === c.port; });
}

/** The filter chain a connection reaches, or undefined (Envoy closes the connection). */
export function selectChain(listeners: readonly Listener[], c: TestConnection): FilterChain | undefined {
  const l = selectListener(listeners, c);
  if (!l) return undefined;
  let cands = l.filterChains;
  const ranged = cands.map((ch) => ({ ch, best: Math.max(-1, ...(ch.filterChainMatch?.prefixRanges ?? []).filter((r) => inRange(c.ip, r.addressPrefix, r.prefixLen ?? 32)).map((r) => r.prefixLen ?? 32)) }));
  const best = Math.max(-1, ...ranged.map((r) => r.best));
  cands = best >= 0 ? ranged.filter((r) => r.best === best).map((r) => r.ch) : cands.filter((ch) => (ch.filterChainMatch?.prefixRanges.length ?? 0) === 0);
  const names = (ch: FilterChain) => ch.filterChainMatch?.serverNames ?? [];
  if (c.sni !== undefined) {
    const exact = cands.filter((ch) => names(ch).includes(c.sni!));
    if (exact.length > 0) return exact[0];
    const wild = cands.filter((ch) => names(ch).some((n) => n.startsWith('*.') && c.sni!.endsWith(n.slice(1))));
    if (wild.length > 0) return wild[0];
  }
  return cands.find((ch) => names(ch).length === 0);
}

/** Where a chain's tcp_proxy sends the connection: `cluster`, or `a=90,b=10`; `hcm` for an HTTP chain; `none`. */
export function tcpTarget(ch: FilterChain | undefined): string {
  const f = ch?.filters[0];
  if (!f) return 'none';
  if (f.name === 'envoy.filters.network.http_connection_manager') return 'hcm';
  const tcp = anyUnpack(f.configType.value as Any, TcpProxySchema);
  const cs = tcp?.clusterSpecifier;
  if (cs?.case === 'cluster') return cs.value;
  if (cs?.case === 'weightedClusters') return cs.value.clusters.map((w) => `${w.name}=${w.weight}`).join(',');
  return 'none';
}

/** The chain's downstream TLS context, when it terminates TLS. */
export function downstreamTls(ch: FilterChain | undefined): DownstreamTlsContext | undefined {
  const v = ch?.transportSocket?.configType.value;
  return v ? anyUnpack(v as Any, DownstreamTlsContextSchema) : undefined;
}

/** Listeners with two filter chains of equal `filter_chain_match` (Envoy rejects such a listener): `listener: match`. */
export function duplicateChainMatches(listeners: readonly Listener[]): string[] {
  const out: string[] = [];
  for (const l of listeners) {
    const seen = new Set<string>();
    for (const ch of l.filterChains) {
      const m = ch.filterChainMatch;
      const key = JSON.stringify([m?.serverNames ?? [], (m?.prefixRanges ?? []).map((r) => `${r.addressPrefix}/${r.prefixLen}`), m?.applicationProtocols ?? [], m?.transportProtocol ?? '', m?.destinationPort ?? null]);
      if (seen.has(key)) out.push(`${l.name}: ${key}`);
      seen.add(key);
    }
  }
  return out;
}
