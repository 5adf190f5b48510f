import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, stringList } from '../../../mesh/object.js';
import { isTls } from '../../../mesh/protocol.js';
import { buildProxyView, describeProxy, proxyOf, type Origin, type ProxyIdentity, type ProxyView } from '../../../mesh/view/index.js';
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
  /** `prefix_ranges`: the match's own or carried `destinationSubnets`, else the service's CIDR address; `['']` for any address. */
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
 * Each `tls` match of the input's VirtualServices: its namespace, its `sniHosts` and `destinationSubnets` as written
 * and whether it names `sourceLabels`. The rules' cheap tests read these before building any view.
 */
export function tlsMatchesOf(graph: MeshGraph): { namespace: string; names: string[]; subnets: string[]; sourceLabels: boolean }[] {
  const out: { namespace: string; names: string[]; subnets: string[]; sourceLabels: boolean }[] = [];
  for (const vs of graph.ofKind('VirtualService')) {
    for (const route of Array.isArray(vs.spec.tls) ? vs.spec.tls.filter(isRecord) : []) {
      for (const m of Array.isArray(route.match) ? route.match.filter(isRecord) : []) {
        out.push({ namespace: vs.namespace, names: stringList(m.sniHosts) ?? [], subnets: stringList(m.destinationSubnets) ?? [], sourceLabels: isRecord(m.sourceLabels) });
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
    for (const c of collisionsOf(buildProxyView(graph, proxy))) {
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
 * The names among the `tls` match chains of `view`'s outbound listeners (the view's `outboundL4Listeners`, where
 * istiod's drops are already made: repeated matches of a host, and a later service's chains that conflict with one
 * already on a shared listener) that Envoy matches like an earlier chain's (or an earlier name of the same chain)
 * for the same `prefix_ranges`. A chain whose `sniHosts` hold `*` has no `server_names` at all (listener.go
 * `toFilterChainMatch`): it stands for every SNI, reported at its `*`, and its other names are not sent.
 */
function collisionsOf(view: ProxyView): SniCollision[] {
  const out: SniCollision[] = [];
  for (const l of view.outboundL4Listeners) {
    const first = new Map<string, { name: string; chain: Chain }>();
    for (const c of l.chains) {
      if (c.match === null || c.sniHosts.length === 0 || !isTls(c.routes.protocol)) continue;
      const chain: Chain = { names: c.sniHosts, cidrs: c.prefixRanges.length > 0 ? c.prefixRanges : [''], origin: c.match.origin };
      const any = c.sniHosts.indexOf('*');
      const entries: [string, number][] = any >= 0 ? [['*', any]] : c.sniHosts.map((n, i) => [n, i]);
      for (const [name, i] of entries) {
        const clash = chain.cidrs.map((cidr) => `${name === '*' ? '' : name.toLowerCase()}\u0000${cidr}`).find((k) => first.has(k));
        if (clash === undefined) { for (const cidr of chain.cidrs) first.set(`${name === '*' ? '' : name.toLowerCase()}\u0000${cidr}`, { name, chain }); continue; }
        const prev = first.get(clash)!;
        out.push({ listener: l.name, name, at: { ...chain.origin, path: [...chain.origin.path, 'sniHosts', i] }, chain: chain.origin, earlier: prev.name, earlierChain: prev.chain.origin, same: prev.name === name });
      }
    }
  }
  return out;
}

/** `VirtualService shop/api tls[0].match[1]`. */
export function describeTlsMatch(o: Origin): string {
  const p = o.path;
  const i = p.indexOf('tls');
  const where = i >= 0 && typeof p[i + 1] === 'number' && p[i + 2] === 'match' && typeof p[i + 3] === 'number' ? ` tls[${p[i + 1]}].match[${p[i + 3]}]` : ' tls match';
  return `${o.ref.kind} ${o.ref.namespace}/${o.ref.name}${where}`;
}
