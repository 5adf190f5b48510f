/**
 * Filter chain selection for a new connection, pure, in Envoy's order
 * (`source/common/listener_manager/filter_chain_manager_impl.cc`, `FilterChainMatch` proto):
 *
 * 1. `destination_port`: chains naming the connection's port; only when none does, port-less chains.
 *    A port that has chains but none that matches further gets the default chain, not port-less ones.
 * 2. `prefix_ranges` on the destination IP: the most specific range (empty = any address).
 * 3. `server_names` on the SNI: exact, then wildcards `*.b.example.com`, `*.example.com`, `*.com`
 *    (longest suffix first, multi-label), then chains without server names.
 * 4. `transport_protocol`: exact (`tls` from tls_inspector, else `raw_buffer`), then chains without.
 * 5. `application_protocols`: the first offered protocol (ALPN, or http_inspector's) that some chain
 *    names, then chains without.
 * 6. `direct_source_prefix_ranges`, 7. `source_type` (SAME_IP_OR_LOOPBACK / EXTERNAL before ANY),
 * 8. `source_prefix_ranges`: most specific, 9. `source_ports`: exact, then chains without.
 *
 * Each level commits to the best branch; there is no backtracking to a less specific branch when a
 * deeper level fails. No chain: the listener's `default_filter_chain`, else `undefined` (Envoy closes
 * the connection).
 */
import type { FilterChain, FilterChainMatch } from '../xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import { FilterChainMatch_ConnectionSourceType as SourceType } from '../xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import type { Listener } from '../xds/gen/envoy/config/listener/v3/listener_pb.js';
import type { CidrRange } from '../xds/gen/envoy/config/core/v3/address_pb.js';
import { inCidr, isLoopback, parseCidr, parseIp } from './rbac/cidr.js';

/** What is known about a connection when its filter chain is chosen. */
export interface ConnectionMatchInput {
  /** Local (destination) address and port of the accepted socket. */
  readonly destinationAddress?: string;
  readonly destinationPort: number;
  /** Remote address and port (after PROXY protocol, which meshproof does not read: the peer socket). */
  readonly sourceAddress?: string;
  readonly sourcePort?: number;
  /** The peer socket's address. @default sourceAddress */
  readonly directSourceAddress?: string;
  /** SNI from tls_inspector, lower case; `''` when none. @default '' */
  readonly serverName?: string;
  /** `tls` when tls_inspector saw a ClientHello, else `raw_buffer`. @default 'raw_buffer' */
  readonly transportProtocol?: string;
  /** ALPN offered by the client (tls_inspector) or the protocol http_inspector sniffed. @default [] */
  readonly applicationProtocols?: readonly string[];
}

type Chain = { readonly chain: FilterChain; readonly m: FilterChainMatch | undefined };
type Level = (cands: readonly Chain[], input: ConnectionMatchInput) => readonly Chain[];

/** The chain Envoy would pick for this connection, or `undefined` when it would close it. */
export function selectFilterChain(listener: Pick<Listener, 'filterChains' | 'defaultFilterChain'>, input: ConnectionMatchInput): FilterChain | undefined {
  const all: Chain[] = listener.filterChains.map((chain) => ({ chain, m: chain.filterChainMatch }));
  const fallback = listener.defaultFilterChain;
  const specificPort = all.filter((c) => (c.m?.destinationPort ?? 0) === input.destinationPort && input.destinationPort !== 0);
  let cands: readonly Chain[] = specificPort.length > 0 ? specificPort : all.filter((c) => !c.m?.destinationPort);
  for (const level of LEVELS) {
    if (cands.length === 0) break;
    cands = level(cands, input);
  }
  return cands[0]?.chain ?? fallback;
}

/** Keeps the candidates whose CIDR list holds the address with the longest prefix (empty list = /0 of any family). */
function mostSpecific(ranges: (m: FilterChainMatch | undefined) => readonly CidrRange[], address: (i: ConnectionMatchInput) => string | undefined): Level {
  return (cands, input) => {
    const ip = parseIp(address(input));
    let best = -1;
    const scored = cands.map((c) => {
      const rs = ranges(c.m);
      let score = -1;
      if (rs.length === 0) score = 0;
      for (const r of rs) {
        const cidr = parseCidr(r);
        if (typeof cidr !== 'string' && inCidr(cidr, ip)) score = Math.max(score, cidr.prefixLen);
      }
      // A non-IP address (Unix socket) only reaches catch-all chains, as Envoy's fake address does.
      if (!ip && rs.length > 0) score = -1;
      best = Math.max(best, score);
      return { c, score };
    });
    return best < 0 ? [] : scored.filter((s) => s.score === best).map((s) => s.c);
  };
}

/** A chain's `server_names` in lower case, as Envoy stores them (the SNI is lower-cased too: names compare case-insensitively). */
const LOWER_NAMES = new WeakMap<readonly string[], readonly string[]>();
function serverNamesOf(c: { readonly m?: { readonly serverNames: readonly string[] } | undefined }): readonly string[] {
  const names = c.m?.serverNames ?? [];
  let lower = LOWER_NAMES.get(names);
  if (!lower) LOWER_NAMES.set(names, (lower = names.map((n) => n.toLowerCase())));
  return lower;
}

const byServerName: Level = (cands, input) => {
  const name = (input.serverName ?? '').toLowerCase();
  const exact = cands.filter((c) => name !== '' && serverNamesOf(c).includes(name));
  if (exact.length) return exact;
  for (let pos = name.indexOf('.', 1); pos !== -1 && pos < name.length - 1; pos = name.indexOf('.', pos + 1)) {
    const wildcard = `*${name.slice(pos)}`;
    const hit = cands.filter((c) => serverNamesOf(c).includes(wildcard));
    if (hit.length) return hit;
  }
  return cands.filter((c) => !c.m?.serverNames.length);
};

const byTransportProtocol: Level = (cands, input) => {
  const tp = input.transportProtocol || 'raw_buffer';
  const exact = cands.filter((c) => c.m?.transportProtocol === tp);
  return exact.length ? exact : cands.filter((c) => !c.m?.transportProtocol);
};

const byApplicationProtocols: Level = (cands, input) => {
  for (const p of input.applicationProtocols ?? []) {
    const hit = cands.filter((c) => c.m?.applicationProtocols.includes(p));
    if (hit.length) return hit;
  }
  return cands.filter((c) => !c.m?.applicationProtocols.length);
};

const bySourceType: Level = (cands, input) => {
  const src = input.sourceAddress;
  const local = isLoopback(src) || (src !== undefined && parseIp(src)?.value === parseIp(input.destinationAddress)?.value && parseIp(src)?.v6 === parseIp(input.destinationAddress)?.v6);
  const want = local ? SourceType.SAME_IP_OR_LOOPBACK : SourceType.EXTERNAL;
  const typed = cands.filter((c) => (c.m?.sourceType ?? SourceType.ANY) === want);
  return typed.length ? typed : cands.filter((c) => (c.m?.sourceType ?? SourceType.ANY) === SourceType.ANY);
};

const bySourcePort: Level = (cands, input) => {
  const exact = cands.filter((c) => input.sourcePort !== undefined && c.m?.sourcePorts.includes(input.sourcePort));
  return exact.length ? exact : cands.filter((c) => !c.m?.sourcePorts.length);
};

const LEVELS: readonly Level[] = [
  mostSpecific((m) => m?.prefixRanges ?? [], (i) => i.destinationAddress),
  byServerName,
  byTransportProtocol,
  byApplicationProtocols,
  mostSpecific((m) => m?.directSourcePrefixRanges ?? [], (i) => i.directSourceAddress ?? i.sourceAddress),
  bySourceType,
  mostSpecific((m) => m?.sourcePrefixRanges ?? [], (i) => i.sourceAddress),
  bySourcePort,
];

/** A filter chain match Envoy refuses: where (`filter_chains[1] (name).filter_chain_match.server_names[0]`) and why. */
export interface FilterChainProblem {
  readonly path: string;
  readonly detail: string;
}

/**
 * Most match combinations one listener may spell out (the product of a chain's repeated match fields):
 * Envoy builds one tree leaf per combination; past this the proxy refuses the listener rather than
 * hold them all.
 */
export const MAX_FILTER_CHAIN_COMBINATIONS = 100_000;

/**
 * Config problems Envoy refuses when it loads a listener, each naming the chain: a match combination
 * two chains share, or one chain spells twice (Envoy `addFilterChainForSourcePorts`: "multiple filter
 * chains with overlapping matching rules are defined"; server names compared in lower case, as Envoy
 * stores them), bad CIDR prefixes, `server_names` with a `*` anywhere but a leading `*.`. Stops at
 * the first overlap of a chain; refuses a listener spelling out more than
 * {@link MAX_FILTER_CHAIN_COMBINATIONS} combinations.
 */
export function filterChainProblems(listener: Pick<Listener, 'filterChains'>): FilterChainProblem[] {
  const problems: FilterChainProblem[] = [];
  const seen = new Map<string, number>();
  let combinations = 0;
  for (const [i, chain] of listener.filterChains.entries()) {
    const m = chain.filterChainMatch;
    const at = `filter_chains[${i}]${chain.name ? ` (${chain.name})` : ''}.filter_chain_match`;
    for (const [field, rs] of [['prefix_ranges', m?.prefixRanges], ['direct_source_prefix_ranges', m?.directSourcePrefixRanges], ['source_prefix_ranges', m?.sourcePrefixRanges]] as const) {
      (rs ?? []).forEach((r, j) => { const c = parseCidr(r); if (typeof c === 'string') problems.push({ path: `${at}.${field}[${j}]`, detail: c }); });
    }
    // Envoy (setupFilterChainMatcher) refuses a `*` only when the name does not start with `*.`.
    (m?.serverNames ?? []).forEach((n, j) => {
      if (n.includes('*') && !n.startsWith('*.')) problems.push({ path: `${at}.server_names[${j}]`, detail: `${JSON.stringify(n)} is not a server name; only a leading "*." wildcard is allowed, e.g. "*.example.com"` });
    });
    if (m?.addressSuffix || m?.suffixLen !== undefined) problems.push({ path: `${at}.${m.addressSuffix ? 'address_suffix' : 'suffix_len'}`, detail: 'address_suffix and suffix_len are not implemented by Envoy, which refuses a chain setting them ("contains unimplemented fields"); remove them' });
    // Keys as Envoy's match tree holds them: CIDRs as CidrRange::asString() (host bits cleared, length
    // clamped), `*.example.com` as `.example.com`, no source ports as port 0.
    const axes = [
      [String(m?.destinationPort ?? 0)],
      or((m?.prefixRanges ?? []).map(cidrKey)),
      or(serverNamesOf({ m }).map((n) => (n.startsWith('*.') ? n.slice(1) : n))),
      [m?.transportProtocol ?? ''],
      or(m?.applicationProtocols ?? []),
      or((m?.directSourcePrefixRanges ?? []).map(cidrKey)),
      [String(m?.sourceType ?? 0)],
      or((m?.sourcePrefixRanges ?? []).map(cidrKey)),
      (m?.sourcePorts.length ? m.sourcePorts : [0]).map(String),
    ];
    combinations += axes.reduce((n, a) => n * a.length, 1);
    if (combinations > MAX_FILTER_CHAIN_COMBINATIONS) {
      problems.push({ path: at, detail: `the listener's chains spell out more than ${MAX_FILTER_CHAIN_COMBINATIONS.toLocaleString('en-US')} match combinations (the product of each chain's server_names, prefix_ranges, application_protocols, source ranges and ports); this proxy refuses it: split the listener or match on fewer values` });
      break;
    }
    for (const key of product(axes)) {
      const prev = seen.get(key);
      if (prev !== undefined) {
        const same = `same ${key.replaceAll('\u0000', ' | ')}`;
        problems.push(prev === i
          ? { path: at, detail: `lists one match twice (${same}: a repeated value, server names compared in lower case), which Envoy refuses as "multiple filter chains with overlapping matching rules are defined"; remove the repeated value` }
          : { path: at, detail: `overlaps filter_chains[${prev}] (${same}), which Envoy refuses as "multiple filter chains with overlapping matching rules are defined"; make one of the matches more specific or merge the chains` });
        break;
      }
      seen.set(key, i);
    }
  }
  return problems;
}

/** {@link filterChainProblems} as lines naming the listener: `listener "0.0.0.0_443" filter_chains[1] (b).filter_chain_match: overlaps …`. */
export function checkFilterChains(listener: Pick<Listener, 'name' | 'filterChains'>): string[] {
  return filterChainProblems(listener).map((p) => `listener ${JSON.stringify(listener.name)} ${p.path}: ${p.detail}`);
}

function or(xs: readonly string[]): readonly string[] {
  return xs.length ? xs : [''];
}

/**
 * A CidrRange as Envoy's `CidrRange::asString()` spells it: `10.0.0.1/8` and `10.0.0.0/8` are one
 * range. The family is the literal's (`::ffff:10.0.0.0/104` stays IPv6, as in Envoy).
 */
function cidrKey(r: CidrRange): string {
  const c = parseCidr(r);
  if (typeof c === 'string') return `${r.addressPrefix}/${r.prefixLen ?? 0}`;
  const v6 = r.addressPrefix.includes(':');
  const width = v6 ? 128 : 32;
  const value = v6 && !c.ip.v6 ? (0xffffn << 32n) | c.ip.value : c.ip.value;
  const len = Math.min(r.prefixLen ?? 0, width);
  const shift = BigInt(width - len);
  const masked = (value >> shift) << shift;
  const parts = v6
    ? Array.from({ length: 8 }, (_, i) => ((masked >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':')
    : Array.from({ length: 4 }, (_, i) => String((masked >> BigInt(24 - 8 * i)) & 0xffn)).join('.');
  return `${parts}/${len}`;
}

function product(axes: readonly (readonly string[])[]): string[] {
  let out = [''];
  for (const axis of axes) out = out.flatMap((p) => axis.map((v) => (p ? `${p}\u0000${v}` : v)));
  return out;
}
