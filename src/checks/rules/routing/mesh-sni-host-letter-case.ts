import { isIP } from 'node:net';
import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, stringList } from '../../../mesh/object.js';
import { isTls } from '../../../mesh/protocol.js';
import { buildProxyView, describeProxy, proxyOf, type Origin, type ProxyIdentity, type ProxyView } from '../../../mesh/view/index.js';
import type { Rule } from '../../rule.js';

/** One filter chain istiod builds from a mesh `tls` match on a sidecar's outbound listener. */
interface Chain {
  /** `server_names`: the match's `sniHosts` as written. */
  readonly names: readonly string[];
  /** `prefix_ranges`: the match's `destinationSubnets`, else the service's CIDR address; `['']` for any address. */
  readonly cidrs: readonly string[];
  readonly origin: Origin;
}

/** A finding being gathered over the sidecars that share it. */
interface Found {
  readonly at: Origin;
  readonly message: (clients: string) => string;
  readonly clients: string[];
}

/**
 * `routing/mesh-sni-host-letter-case`: two `tls` matches on one sidecar outbound listener whose `sniHosts` differ only
 * in letter case. istiod builds one filter chain per applicable match (tls.go buildSidecarOutboundTLSFilterChainOpts)
 * and drops a match only when its `sniHosts` and `destinationSubnets` repeat an earlier one's as written
 * (`matchHasBeenHandled`, across every VirtualService of the host), or, for another service on the same listener,
 * when its SNI set repeats exactly (listener.go `mergeTCPFilterChains`, `conflictsWith`); Envoy lower-cases
 * `server_names` (filter_chain_manager_impl.cc setupFilterChainMatcher, `absl::AsciiStrToLower`), finds the chains
 * overlapping and refuses the whole listener.
 */
const meshSniHostLetterCase: Rule = {
  id: 'routing/mesh-sni-host-letter-case',
  severity: 'error',
  summary: 'Two mesh VirtualService `tls` matches on one sidecar outbound listener have SNI hosts that differ only in letter case (`API.example.com`, `api.example.com`): Envoy lower-cases server names, finds the filter chains overlapping and rejects the listener on every sidecar importing them.',
  docs: [
    'On a sidecar, every applicable `tls` match of the VirtualServices bound to `mesh` for a TLS or HTTPS service port',
    'becomes one filter chain of the port\'s outbound listener (the service address and port, or `0.0.0.0_<port>` for',
    'services without an IP address, where every such service\'s chains are merged), with the match\'s `sniHosts` as',
    '`filter_chain_match.server_names` and its `destinationSubnets` (else the service\'s CIDR) as `prefix_ranges`',
    '(tls.go buildSidecarOutboundTLSFilterChainOpts). istiod drops a match only when its `sniHosts` and',
    '`destinationSubnets` repeat an earlier match\'s exactly, in the same or an earlier VirtualService of the host',
    '(`matchHasBeenHandled`), and drops another service\'s chain on a shared listener only when its SNI set repeats',
    'exactly (listener.go mergeTCPFilterChains): both compare as written, so `API.example.com` and `api.example.com`,',
    'in one match or two, in one VirtualService or two, both reach Envoy. Envoy lower-cases `server_names` when it',
    'builds the listener (and the TLS inspector lower-cases the client\'s SNI, so the match itself is case-insensitive):',
    'the chains then match the same connections and Envoy rejects the listener with "multiple filter chains with',
    'overlapping matching rules are defined" (LDS NACK). Every sidecar importing those VirtualServices keeps the',
    'listener\'s previous version, or has none, so no change to that port applies until the names are fixed.',
    'Judged on the per-proxy view of one sidecar per namespace and Sidecar resource (per workload when a `tls` match',
    'names `sourceLabels`) of the input, and of one sidecar of each such VirtualService\'s namespace; views are built',
    'only when two `tls` match SNI hosts of the input differ only in letter case. Gateway listeners are',
    '`gateway/sni-host-letter-case`. Fix: write SNI hosts in lower case (DNS names are case-insensitive) and keep one',
    'match per name: merge the matches.',
  ].join(' '),
  kinds: ['VirtualService', 'ServiceEntry', 'Service', 'Sidecar', 'Namespace', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    const spelt = caseVariantSniHosts(graph);
    if (spelt === null) return;
    const found = new Map<string, Found>();
    for (const { proxy, name } of clientsOf(graph, spelt.namespaces, spelt.sourceLabels)) {
      for (const f of collisionsOf(buildProxyView(graph, proxy))) {
        const entry = found.get(f.key) ?? { at: f.at, message: f.message, clients: [] };
        entry.clients.push(name);
        found.set(f.key, entry);
      }
    }
    for (const { at, message, clients } of found.values()) {
      const object = graph.get(at.ref.kind, at.ref.namespace, at.ref.name);
      if (!object) continue;
      const shown = clients.slice(0, 3).join(', ') + (clients.length > 3 ? ` and ${clients.length - 3} more` : '');
      ctx.report(object, message(shown), { path: [...at.path] });
    }
  },
};

export default meshSniHostLetterCase;

/**
 * The cheap test before building views: whether two `tls` match SNI hosts of the input's VirtualServices differ only
 * in letter case; if so, the namespaces of the VirtualServices writing them, and whether any `tls` match names
 * `sourceLabels` (then sidecars of one namespace may import different matches). Null when none differ.
 */
function caseVariantSniHosts(graph: MeshGraph): { namespaces: Set<string>; sourceLabels: boolean } | null {
  const spellings = new Map<string, Map<string, Set<string>>>();
  let sourceLabels = false;
  for (const vs of graph.ofKind('VirtualService')) {
    for (const route of Array.isArray(vs.spec.tls) ? vs.spec.tls.filter(isRecord) : []) {
      for (const m of Array.isArray(route.match) ? route.match.filter(isRecord) : []) {
        if (isRecord(m.sourceLabels)) sourceLabels = true;
        for (const h of stringList(m.sniHosts) ?? []) {
          const byName = spellings.get(h.toLowerCase()) ?? new Map<string, Set<string>>();
          spellings.set(h.toLowerCase(), byName.set(h, (byName.get(h) ?? new Set()).add(vs.namespace)));
        }
      }
    }
  }
  const namespaces = new Set<string>();
  for (const byName of spellings.values()) if (byName.size > 1) for (const ns of byName.values()) for (const n of ns) namespaces.add(n);
  return namespaces.size > 0 ? { namespaces, sourceLabels } : null;
}

/**
 * The sidecars judged: one per namespace and Sidecar resource in force (per workload when `perWorkload`, as a match's
 * `sourceLabels` may tell them apart), then one for each namespace of `namespaces` without a sidecar of the input.
 */
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
    if (!covered.has(n)) out.set(`\u0000${n}`, { proxy: describeProxy({ name: 'meshproof-sni-host-letter-case', namespace: n }), name: `sidecars of namespace ${n}` });
  }
  return [...out.values()];
}

/**
 * The filter chains istiod puts on each of `view`'s outbound listeners from `tls` matches, by listener name, and the
 * names among them that differ only in letter case from an earlier chain's (or an earlier name of the same chain)
 * for the same `prefix_ranges`.
 */
function collisionsOf(view: ProxyView): { key: string; at: Origin; message: (clients: string) => string }[] {
  const services = new Map(view.services.map((s) => [s.host, s]));
  const listeners = new Map<string, Chain[]>();
  const kept = new Map<string, Set<string>>();
  for (const h of view.routes) {
    if (!isTls(h.protocol) || h.tls.length === 0) continue;
    const addresses = services.get(h.host)?.addresses ?? [];
    const vip = addresses.find((a) => isIP(a) !== 0);
    const serviceCidrs = vip ? [] : addresses.filter((a) => a.includes('/'));
    const listener = `${vip ?? '0.0.0.0'}_${h.port}`;
    const chains = listeners.get(listener) ?? [];
    const exact = kept.get(listener) ?? new Set<string>();
    const own = new Set<string>();
    for (const r of h.tls) {
      for (const m of r.match) {
        const cidrs = m.destinationSubnets.length > 0 ? m.destinationSubnets : serviceCidrs;
        // Another service's chain that repeats an earlier one's SNI set and CIDRs exactly is dropped (conflictsWith).
        const key = `${[...new Set(m.sniHosts.filter((n) => n !== '*'))].sort().join(',')}|${[...cidrs].sort().join(',')}`;
        if (exact.has(key)) continue;
        own.add(key);
        chains.push({ names: m.sniHosts, cidrs: cidrs.length > 0 ? cidrs : [''], origin: m.origin });
      }
    }
    for (const k of own) exact.add(k);
    listeners.set(listener, chains);
    kept.set(listener, exact);
  }
  const out: { key: string; at: Origin; message: (clients: string) => string }[] = [];
  for (const [listener, chains] of listeners) {
    const first = new Map<string, { name: string; chain: Chain }>();
    for (const chain of chains) {
      chain.names.forEach((name, i) => {
        if (name === '*') return;
        for (const cidr of chain.cidrs) {
          const folded = `${name.toLowerCase()}\u0000${cidr}`;
          const prev = first.get(folded);
          if (!prev) { first.set(folded, { name, chain }); continue; }
          if (prev.name === name) continue;
          const at: Origin = { ...chain.origin, path: [...chain.origin.path, 'sniHosts', i] };
          const lower = name.toLowerCase();
          out.push({
            key: `${at.ref.namespace}/${at.ref.name}\u0000${at.path.join('.')}\u0000${prev.name}\u0000${listener}`,
            at,
            message: (clients) => `SNI host "${name}" of ${describe(chain.origin)} differs only in letter case from "${prev.name}" of ${describe(prev.chain.origin)} ` +
              `on the sidecar outbound listener ${listener} (${clients}): istiod drops only exact repeats and sends both as filter chain server_names, but Envoy ` +
              `lower-cases server names, so the chains overlap and Envoy rejects listener ${listener} ("multiple filter chains with overlapping matching rules are ` +
              `defined"): every sidecar importing these routes keeps the listener's previous version, or has none, and no change to it applies. ` +
              `Fix: write "${lower}" in lower case and keep one match for it (merge the matches)`,
          });
          return;
        }
      });
    }
  }
  return out;
}

/** `VirtualService shop/api tls[0].match[1]`. */
function describe(o: Origin): string {
  const p = o.path;
  const i = p.indexOf('tls');
  const where = i >= 0 && typeof p[i + 1] === 'number' && p[i + 2] === 'match' && typeof p[i + 3] === 'number' ? ` tls[${p[i + 1]}].match[${p[i + 3]}]` : ' tls match';
  return `${o.ref.kind} ${o.ref.namespace}/${o.ref.name}${where}`;
}
