/**
 * A sidecar's outbound TCP and TLS listeners and their filter chains, as istiod builds them
 * (pilot/pkg/networking/core listener.go buildSidecarOutboundListener, tls.go
 * buildSidecarOutboundTLSFilterChainOpts / buildSidecarOutboundTCPFilterChainOpts): a service with an IP address
 * gets `<vip>_<port>`, services without one share `0.0.0.0_<port>` (a CIDR address becomes `prefix_ranges`).
 * istiod walks the services in their creation order (`SortServicesByCreationTime`); the first service on a
 * listener keeps all its chains, and each chain of a later one is dropped when it conflicts with one already there,
 * its own earlier chains included (`mergeTCPFilterChains`, `conflictsWith`). The checks and the xDS translator
 * both read the result, so what `meshproof check` judges is what `meshproof xds compile` sends.
 */
import { isIP } from 'node:net';
import { isTls } from '../protocol.js';
import { isTerminalTcpRoute } from './sidecar-l4-routes.js';
import { servedByHcm } from './routes.js';
import type { HostRoutesView, L4MatchView, L4RouteView, OutboundL4ChainView, OutboundL4ListenerView, ServiceView } from './types.js';

/**
 * The outbound L4 listeners of `routes` (a sidecar's), `rank` giving each host's place in istiod's service order.
 * Listeners come in the order of their first host in `routes`; chains in istiod's order. HTTP hosts add no chains
 * but, when earlier in service order, make `0.0.0.0_<port>`, so every TCP or TLS service joins it.
 */
export function buildOutboundL4Listeners(routes: readonly HostRoutesView[], services: readonly ServiceView[], rank: (host: string) => number): OutboundL4ListenerView[] {
  const byHost = new Map(services.map((s) => [s.host, s]));
  const listeners = new Map<string, { address: string; port: number; chains: OutboundL4ChainView[]; made: boolean }>();
  const placeOf = (h: HostRoutesView) => {
    const addresses = byHost.get(h.host)?.addresses ?? [];
    const vip = servedByHcm(h) ? undefined : addresses.find((a) => isIP(a) !== 0);
    const address = vip ?? '0.0.0.0';
    const name = `${address}_${h.port}`;
    if (!listeners.has(name)) listeners.set(name, { address, port: h.port, chains: [], made: false });
    return { entry: listeners.get(name)!, vip, cidrs: vip ? [] : addresses.filter((a) => a.includes('/')) };
  };
  for (const h of routes) placeOf(h);
  const ordered = routes.map((h, i) => ({ h, i, r: rank(h.host) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.h);
  for (const h of ordered) {
    const { entry, vip, cidrs } = placeOf(h);
    const incoming = servedByHcm(h) ? [] : hostChains(h, vip === undefined, cidrs);
    if (!entry.made) {
      entry.chains.push(...incoming);
      entry.made = true;
      continue;
    }
    for (const c of incoming) if (!entry.chains.some((e) => conflicts(e, c))) entry.chains.push(c);
  }
  return [...listeners].filter(([, l]) => l.chains.length > 0).map(([name, l]) => ({ name, address: l.address, port: l.port, chains: l.chains }));
}

/**
 * One host's chains on one port (istiod's `filterChainOpts` of buildSidecarOutboundTCPListenerOpts):
 * - TLS and HTTPS ports: a chain per `tls` match the view kept (repeats already dropped, `destinationCidrs`
 *   carried); without any, one chain to the service's cluster, matched on SNI `[host]` when `sniDefault` (a
 *   listener bound to 0.0.0.0, where SNI is all that tells services apart).
 * - other ports: `tcp` routes in order; the first terminal one (no match, or a match without `destinationSubnets`)
 *   ends the list; subnet-only routes become `prefix_ranges` chains; without a terminal one, a last chain to the
 *   service's cluster.
 * `cidrs`: the service's own CIDR address, used where a match names no subnets.
 */
function hostChains(h: HostRoutesView, sniDefault: boolean, cidrs: readonly string[]): OutboundL4ChainView[] {
  const chain = (route: L4RouteView | null, match: L4MatchView | null, sniHosts: readonly string[], own: readonly string[]) =>
    chainView(h, route, match, sniHosts, own.length > 0 ? own : cidrs);
  if (isTls(h.protocol)) {
    const out = h.tls.flatMap((r) => r.match.map((m) => chain(r, m, m.sniHosts, m.destinationCidrs)));
    return out.length > 0 ? out : [chain(null, null, sniDefault ? [h.host] : [], [])];
  }
  const out: OutboundL4ChainView[] = [];
  for (const r of h.tcp) {
    if (isTerminalTcpRoute(r)) return [...out, chain(r, r.match.find((m) => m.destinationSubnets.length === 0) ?? null, [], [])];
    out.push(chain(r, r.match[0] ?? null, [], r.match.flatMap((m) => m.destinationSubnets)));
  }
  return [...out, chain(null, null, [], [])];
}

function chainView(h: HostRoutesView, route: L4RouteView | null, match: L4MatchView | null, sniHosts: readonly string[], destinationCidrs: readonly string[]): OutboundL4ChainView {
  return {
    routes: h, route, match, sniHosts, destinationCidrs,
    serverNames: sniHosts.includes('*') ? [] : [...sniHosts].sort(),
    prefixRanges: destinationCidrs.filter((c) => c.split('/')[0] !== '0.0.0.0').sort(),
  };
}

/**
 * listener.go `conflictsWith` for L4 chains: the same SNI set, `*` ignored, and the same CIDR set, each masked to
 * its prefix, `0.0.0.0` ones ignored. (It ignores `*` where `toFilterChainMatch` drops every server name, so
 * `[*, a]` and `[a]` conflict although Envoy would tell them apart.)
 */
function conflicts(a: OutboundL4ChainView, b: OutboundL4ChainView): boolean {
  return sameSet(sniSet(a.sniHosts), sniSet(b.sniHosts)) && sameSet(cidrSet(a.destinationCidrs), cidrSet(b.destinationCidrs));
}

function sniSet(names: readonly string[]): Set<string> {
  return new Set(names.filter((n) => n !== '*'));
}

function cidrSet(cidrs: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const c of cidrs) {
    const masked = maskedPrefix(c);
    if (masked !== null && !masked.startsWith('0.0.0.0/')) out.add(masked);
  }
  return out;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

/** `10.1.2.3/8` → `10.0.0.0/8`; a bare address is /32 (/128 for IPv6); null when not an address (istiod skips it). */
export function maskedPrefix(cidr: string): string | null {
  const [ip = '', len] = cidr.split('/');
  const family = isIP(ip);
  if (family === 0) return null;
  const bits = family === 4 ? 32 : 128;
  const prefix = len === undefined ? bits : Number(len);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return null;
  let value = family === 4 ? ip.split('.').reduce((v, o) => (v << 8n) | BigInt(Number(o)), 0n) : ipv6Value(ip);
  value &= ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  return `${family === 4 ? ipv4Text(value) : ipv6Text(value)}/${prefix}`;
}

function ipv6Value(ip: string): bigint {
  const [head = '', tail] = ip.split('::');
  const words = (s: string) => (s === '' ? [] : s.split(':')).flatMap((w) => {
    if (!w.includes('.')) return [parseInt(w, 16)];
    const v = w.split('.').map(Number);
    return [(v[0]! << 8) | v[1]!, (v[2]! << 8) | v[3]!];
  });
  const h = words(head);
  const t = tail === undefined ? [] : words(tail);
  const all = [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.reduce((v, w) => (v << 16n) | BigInt(w), 0n);
}

function ipv4Text(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
}

function ipv6Text(v: bigint): string {
  return Array.from({ length: 8 }, (_, i) => ((v >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':');
}
