import type { MeshGraph } from '../../../mesh/graph.js';
import type { Rule } from '../../rule.js';
import { describeTlsMatch, MESH_SNI_KINDS, reportSniCollisions, tlsMatchesOf } from './_mesh-sni-chains.js';

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
  kinds: MESH_SNI_KINDS,
  check(graph, ctx) {
    const spelt = caseVariantSniHosts(graph);
    if (spelt === null) return;
    reportSniCollisions(graph, ctx, spelt.namespaces, spelt.sourceLabels, (c) => !c.same, (c, clients) =>
      `SNI host "${c.name}" of ${describeTlsMatch(c.chain)} differs only in letter case from "${c.earlier}" of ${describeTlsMatch(c.earlierChain)} ` +
      `on the sidecar outbound listener ${c.listener} (${clients}): istiod drops only exact repeats and sends both as filter chain server_names, but Envoy ` +
      `lower-cases server names, so the chains overlap and Envoy rejects listener ${c.listener} ("multiple filter chains with overlapping matching rules are ` +
      `defined"): every sidecar importing these routes keeps the listener's previous version, or has none, and no change to it applies. ` +
      `Fix: write "${c.name.toLowerCase()}" in lower case and keep one match for it (merge the matches)`);
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
  for (const m of tlsMatchesOf(graph)) {
    if (m.sourceLabels) sourceLabels = true;
    for (const h of m.names) {
      const byName = spellings.get(h.toLowerCase()) ?? new Map<string, Set<string>>();
      spellings.set(h.toLowerCase(), byName.set(h, (byName.get(h) ?? new Set()).add(m.namespace)));
    }
  }
  const namespaces = new Set<string>();
  for (const byName of spellings.values()) if (byName.size > 1) for (const ns of byName.values()) for (const n of ns) namespaces.add(n);
  return namespaces.size > 0 ? { namespaces, sourceLabels } : null;
}
