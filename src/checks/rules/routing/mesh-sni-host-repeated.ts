import type { MeshGraph } from '../../../mesh/graph.js';
import type { Rule } from '../../rule.js';
import { describeTlsMatch, MESH_SNI_KINDS, reportSniCollisions, tlsMatchesOf } from './_mesh-sni-chains.js';

/**
 * `routing/mesh-sni-host-repeated`: one SNI host in two mesh `tls` matches of one sidecar outbound listener that istiod
 * keeps apart, or twice in one match. istiod drops a match only when its `sniHosts` and `destinationSubnets`, joined as
 * written, repeat an earlier one's of the host (tls.go `hashRuntimeTLSMatchPredicates`, `matchHasBeenHandled`), and
 * another service's chain only when its SNI set repeats exactly (listener.go `conflictsWith`); so `[a, b]` beside
 * `[b]`, or `[a, b]` beside `[b, a]`, both become filter chains naming `b`, and Envoy refuses the overlapping chains
 * (filter_chain_manager_impl.cc) and with them the whole listener.
 */
const meshSniHostRepeated: Rule = {
  id: 'routing/mesh-sni-host-repeated',
  severity: 'error',
  summary: 'One SNI host is matched by two mesh VirtualService `tls` matches on one sidecar outbound listener that istiod keeps apart (`[a, b]` and `[b]`), or listed twice in one match: Envoy finds the filter chains overlapping and rejects the listener on every sidecar importing them.',
  docs: [
    'On a sidecar, every `tls` match of the VirtualServices bound to `mesh` for a TLS or HTTPS service port becomes one',
    'filter chain of the port\'s outbound listener, its `sniHosts` as `server_names` and its `destinationSubnets` (else',
    'the service\'s CIDR) as `prefix_ranges` (tls.go buildSidecarOutboundTLSFilterChainOpts). istiod drops a match only',
    'when its `sniHosts` and `destinationSubnets`, joined in the order written, repeat an earlier match\'s of the same host',
    '(`hashRuntimeTLSMatchPredicates`), and a chain of a service joining a shared `0.0.0.0_<port>` listener that an',
    'earlier-created service made only when its SNI set repeats one already there, its own earlier chains included',
    '(listener.go mergeTCPFilterChains). So a host named in two matches with different lists',
    '(`[a.example.com, b.example.com]` and `[b.example.com]`, or the same names in another order), or twice in one list,',
    'reaches Envoy in two filter chains, or twice in one: Envoy rejects the listener ("multiple filter chains with',
    'overlapping matching rules are defined", LDS NACK), and every sidecar importing those routes keeps the listener\'s',
    'previous version, or has none. Matches on different `destinationSubnets` do not overlap, but a match without',
    '`destinationSubnets` takes those of the latest earlier match of the host that had some (tls.go, Istio 1.23 and',
    'later), so `[a]` after `[a]` on `10.1.0.0/16` overlaps it. A `*` among `sniHosts` leaves its chain without',
    '`server_names` (listener.go toFilterChainMatch: every SNI matches): two such chains on the same prefixes overlap,',
    'reported at the later `*`. Judged on the per-proxy',
    'view of one sidecar per namespace and Sidecar resource (per workload when a `tls` match names `sourceLabels`), and',
    'of one sidecar of each such VirtualService\'s namespace; views are built only when an SNI host of the input is',
    'written in two different matches or twice in one. Names differing only in letter case are',
    '`routing/mesh-sni-host-letter-case`; Gateway listeners are `gateway/duplicate-sni-host`. Fix: name each SNI host in',
    'one match only (merge the matches, or remove the host from one of them).',
  ].join(' '),
  kinds: MESH_SNI_KINDS,
  check(graph, ctx) {
    const repeated = repeatedSniHosts(graph);
    if (repeated === null) return;
    reportSniCollisions(graph, ctx, repeated.namespaces, repeated.sourceLabels, (c) => c.same, (c, clients) => {
      const where = c.chain === c.earlierChain ? `is listed twice in ${describeTlsMatch(c.chain)}` : `of ${describeTlsMatch(c.chain)} is also matched by ${describeTlsMatch(c.earlierChain)}`;
      return `SNI host "${c.name}" ${where} on the sidecar outbound listener ${c.listener} (${clients}): istiod drops a match only when its whole sniHosts and ` +
        `destinationSubnets repeat an earlier one's, so Envoy gets "${c.name}" in ${c.chain === c.earlierChain ? 'one filter chain twice' : 'two filter chains'}, ` +
        `which overlap, and rejects listener ${c.listener} ("multiple filter chains with overlapping matching rules are defined"): every sidecar importing these ` +
        `routes keeps the listener's previous version, or has none, and no change to it applies. Fix: name "${c.name}" in one match only (merge the matches, or remove it from one)`;
    });
  },
};

export default meshSniHostRepeated;

/**
 * The cheap test before building views: whether an SNI host (as written, `*` included) is in two `tls` matches whose
 * lists or subnets differ, or twice in one; if so, the namespaces of the VirtualServices writing it, and whether any `tls` match names
 * `sourceLabels`. Null when none is. Identical lists and subnets are de-duplicated by istiod, so they never collide.
 */
function repeatedSniHosts(graph: MeshGraph): { namespaces: Set<string>; sourceLabels: boolean } | null {
  const lists = new Map<string, Map<string, Set<string>>>();
  const namespaces = new Set<string>();
  let sourceLabels = false;
  for (const m of tlsMatchesOf(graph)) {
    if (m.sourceLabels) sourceLabels = true;
    // With its subnets: a match without them takes an earlier match's (tls.go), so `[a]` beside `[a]` on
    // 10.1.0.0/16 may become two chains on one prefix.
    const list = `${m.names.join(',')}|${m.subnets.join(',')}`;
    m.names.forEach((h, i) => {
      if (m.names.indexOf(h) !== i) namespaces.add(m.namespace);
      const byList = lists.get(h) ?? new Map<string, Set<string>>();
      lists.set(h, byList.set(list, (byList.get(list) ?? new Set()).add(m.namespace)));
    });
  }
  for (const byList of lists.values()) if (byList.size > 1) for (const ns of byList.values()) for (const n of ns) namespaces.add(n);
  return namespaces.size > 0 ? { namespaces, sourceLabels } : null;
}
