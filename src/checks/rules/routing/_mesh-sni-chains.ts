import { isIP } from 'node:net';
import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, stringList } from '../../../mesh/object.js';
import { isTls } from '../../../mesh/protocol.js';
import { creationTime } from '../../../mesh/destination-rules.js';
import { buildProxyView, describeProxy, proxyOf, type HostRoutesView, type Origin, type ProxyIdentity, type ProxyView, type ServiceView } from '../../../mesh/view/index.js';
import type { RuleContext } from '../../rule.js';

/**
 * The filter chains istiod builds from mesh VirtualService `tls` matches on sidecar outbound listeners
 * (tls.go buildSidecarOutboundTLSFilterChainOpts, listener.go mergeTCPFilterChains), and the server names two
 * of them share, which Envoy refuses (filter_chain_manager_impl.cc: "multiple filter chains with overlapping
 * matching rules are defined"). Shared by `routing/mesh-sni-host-letter-case` and `routing/mesh-sni-host-repeated`.
 */

/** The kinds whose objects change sidecar outbound TLS chains: the `kinds` of both mesh SNI rules. */
export const MESH_SNI_KINDS = ['VirtualService', 'ServiceEntry', 'Service', 'Sidecar', 'Namespace', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'];

/** One filter chain istiod builds from a mesh `tls` match on a sidecar's outbound listener. */
interface Chain {
  /** `server_names`: the match's `sniHosts` as written. */
  readonly names: readonly string[];
  /** `prefix_ranges`: the match's `destinationSubnets`, else the service's CIDR address; `['']` for any address. */
  readonly cidrs: readonly string[];
  readonly origin: Origin;
}

/**
 * Two server names on one listener that Envoy matches alike, for the same `prefix_ranges`: `name` at `at` (a
 * `sniHosts` entry), after `earlier` in `earlierChain` (the same chain when one match lists it twice).
 */
export interface SniCollision {
  readonly listener: string;
  readonly name: string;
  readonly at: Origin;
  readonly chain: Origin;
  readonly earlier: string;
  readonly earlierChain: Origin;
  /** The two names are the same as written (else they differ only in letter case). */
  readonly same: boolean;
}

/**
 * Each `tls` match of the input's VirtualServices: its namespace, its `sniHosts` as written and whether it names
 * `sourceLabels`. The rules' cheap tests read these before building any view.
 */
export function tlsMatchesOf(graph: MeshGraph): { namespace: string; names: string[]; sourceLabels: boolean }[] {
  const out: { namespace: string; names: string[]; sourceLabels: boolean }[] = [];
  for (const vs of graph.ofKind('VirtualService')) {
    for (const route of Array.isArray(vs.spec.tls) ? vs.spec.tls.filter(isRecord) : []) {
      for (const m of Array.isArray(route.match) ? route.match.filter(isRecord) : []) {
        out.push({ namespace: vs.namespace, names: stringList(m.sniHosts) ?? [], sourceLabels: isRecord(m.sourceLabels) });
      }
    }
  }
  return out;
}

/**
 * Judges sidecars' outbound listeners and reports each collision `pick` keeps, with `message(collision, clients)`,
 * at the later `sniHosts` entry. The sidecars: one per namespace and Sidecar resource in force (per workload when
 * `perWorkload`, as a match's `sourceLabels` may tell them apart), then one for each namespace of `namespaces`
 * without a sidecar of the input.
 */
export function reportSniCollisions(
  graph: MeshGraph, ctx: RuleContext, namespaces: ReadonlySet<string>, perWorkload: boolean,
  pick: (c: SniCollision) => boolean, message: (c: SniCollision, clients: string) => string,
): void {
  const found = new Map<string, { c: SniCollision; clients: string[] }>();
  for (const { proxy, name } of clientsOf(graph, namespaces, perWorkload)) {
    for (const c of collisionsOf(graph, buildProxyView(graph, proxy))) {
      if (!pick(c)) continue;
      const key = `${c.at.ref.namespace}/${c.at.ref.name}\u0000${c.at.path.join('.')}\u0000${c.earlier}\u0000${c.listener}`;
      const entry = found.get(key) ?? { c, clients: [] };
      entry.clients.push(name);
      found.set(key, entry);
    }
  }
  for (const { c, clients } of found.values()) {
    const object = graph.get(c.at.ref.kind, c.at.ref.namespace, c.at.ref.name);
    if (!object) continue;
    const shown = clients.slice(0, 3).join(', ') + (clients.length > 3 ? ` and ${clients.length - 3} more` : '');
    ctx.report(object, message(c, shown), { path: [...c.at.path] });
  }
}

function clientsOf(graph: MeshGraph, namespaces: ReadonlySet<string>, perWorkload: boolean): { proxy: ProxyIdentity; name: string }[] {
  const out = new Map<string, { proxy: ProxyIdentity; name: string }>();
  const covered = new Set<string>();
  for (const w of graph.workloads.all) {
    if (graph.membershipOf(w).dataplane !== 'sidecar') continue;
    const sidecar = graph.sidecarsFor(w)[0];
    const key = perWorkload ? `${w.namespace}/${w.name}` : `${w.namespace}\u0000${sidecar ? sidecar.name : ''}`;
    covered.add(w.namespace);
    if (!out.has(key)) out.set(key, { proxy: proxyOf(graph, w), name: `sidecar ${w.namespace}/${w.name}` });
  }
  for (const n of [...namespaces].sort()) {
    if (!covered.has(n)) out.set(`\u0000${n}`, { proxy: describeProxy({ name: 'meshproof-sni-hosts', namespace: n }), name: `sidecars of namespace ${n}` });
  }
  return [...out.values()];
}

/**
 * The filter chains istiod puts on each of `view`'s outbound listeners from `tls` matches, by listener name, and the
 * names among them that Envoy matches like an earlier chain's (or an earlier name of the same chain) for the same
 * `prefix_ranges`. A match is dropped first where istiod drops it: one whose `sniHosts` and `destinationSubnets`,
 * joined as written, repeat an earlier match's of the same host (`matchHasBeenHandled`,
 * `hashRuntimeTLSMatchPredicates`), and, for a service joining a shared listener another service made, a chain whose
 * SNI set and CIDRs repeat one already on it, its own earlier chains included (`conflictsWith`).
 */
function collisionsOf(graph: MeshGraph, view: ProxyView): SniCollision[] {
  const services = new Map(view.services.map((s) => [s.host, s]));
  const listeners = new Map<string, Chain[]>();
  const kept = new Map<string, Set<string>>();
  for (const h of inServiceOrder(graph, services, view.routes)) {
    if (!isTls(h.protocol) || h.tls.length === 0) continue;
    const addresses = services.get(h.host)?.addresses ?? [];
    const vip = addresses.find((a) => isIP(a) !== 0);
    const serviceCidrs = vip ? [] : addresses.filter((a) => a.includes('/'));
    const listener = `${vip ?? '0.0.0.0'}_${h.port}`;
    // A service joining a listener an earlier service made is merged chain by chain (mergeTCPFilterChains): each of
    // its chains is also compared with its own earlier ones. The service making the listener keeps all of its chains.
    const joins = listeners.has(listener);
    const chains = listeners.get(listener) ?? [];
    const exact = kept.get(listener) ?? new Set<string>();
    const own = new Set<string>();
    const handled = new Set<string>();
    for (const r of h.tls) {
      for (const m of r.match) {
        if (handled.has(`${m.sniHosts.join(',')}|${m.destinationSubnets.join(',')}`)) continue;
        handled.add(`${m.sniHosts.join(',')}|${m.destinationSubnets.join(',')}`);
        const cidrs = m.destinationSubnets.length > 0 ? m.destinationSubnets : serviceCidrs;
        const key = `${[...new Set(m.sniHosts.filter((n) => n !== '*'))].sort().join(',')}|${[...cidrs].sort().join(',')}`;
        if (exact.has(key)) continue;
        (joins ? exact : own).add(key);
        chains.push({ names: m.sniHosts, cidrs: cidrs.length > 0 ? cidrs : [''], origin: m.origin });
      }
    }
    for (const k of own) exact.add(k);
    listeners.set(listener, chains);
    kept.set(listener, exact);
  }
  const out: SniCollision[] = [];
  for (const [listener, chains] of listeners) {
    const first = new Map<string, { name: string; chain: Chain }>();
    for (const chain of chains) {
      chain.names.forEach((name, i) => {
        if (name === '*') return;
        for (const cidr of chain.cidrs) {
          const folded = `${name.toLowerCase()}\u0000${cidr}`;
          const prev = first.get(folded);
          if (!prev) { first.set(folded, { name, chain }); continue; }
          out.push({ listener, name, at: { ...chain.origin, path: [...chain.origin.path, 'sniHosts', i] }, chain: chain.origin, earlier: prev.name, earlierChain: prev.chain.origin, same: prev.name === name });
          return;
        }
      });
    }
  }
  return out;
}

/**
 * `routes` in the order istiod builds the services' listeners (`SortServicesByCreationTime`: creation time, then the
 * service's name, a ServiceEntry host standing for its name, then namespace), which decides the service that makes a
 * shared listener.
 */
function inServiceOrder(graph: MeshGraph, services: ReadonlyMap<string, ServiceView>, routes: readonly HostRoutesView[]): HostRoutesView[] {
  const keyOf = (h: HostRoutesView): [string, string, string] => {
    const s = services.get(h.host);
    const o = s ? graph.get(s.origin.ref.kind, s.origin.ref.namespace, s.origin.ref.name) : undefined;
    if (!s || !o) return ['', h.host, ''];
    return [creationTime(o), s.kind === 'ServiceEntry' ? s.host : o.name, o.namespace];
  };
  const keys = new Map(routes.map((h) => [h, keyOf(h)]));
  return [...routes].sort((a, b) => {
    const ka = keys.get(a)!;
    const kb = keys.get(b)!;
    for (let i = 0; i < 3; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
    return 0;
  });
}

/** `VirtualService shop/api tls[0].match[1]`. */
export function describeTlsMatch(o: Origin): string {
  const p = o.path;
  const i = p.indexOf('tls');
  const where = i >= 0 && typeof p[i + 1] === 'number' && p[i + 2] === 'match' && typeof p[i + 3] === 'number' ? ` tls[${p[i + 1]}].match[${p[i + 3]}]` : ' tls match';
  return `${o.ref.kind} ${o.ref.namespace}/${o.ref.name}${where}`;
}
