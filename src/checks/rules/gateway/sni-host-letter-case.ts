import { isRecord } from '../../../mesh/object.js';
import type { MeshGraph } from '../../../mesh/graph.js';
import type { Rule } from '../../rule.js';
import { sniOverlaps } from './_sni-chains.js';

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
    for (const { proxy, port, listener, name, at, chain, prev } of sniOverlaps(graph)) {
      if (prev.name === name) continue;
      const object = graph.get(at.ref.kind, at.ref.namespace, at.ref.name);
      const id = `${at.ref.kind}/${at.ref.namespace}/${at.ref.name}\u0000${at.path.join('.')}\u0000${prev.name}`;
      if (!object || reported.has(id)) continue;
      reported.add(id);
      const folded = name.toLowerCase();
      ctx.report(object, `SNI host "${name}" of ${chain.what} differs only in letter case from "${prev.name}" of ${prev.chain.what} on port ${port} of gateway ` +
        `${proxy.namespace}/${proxy.name}: istiod drops only exact repeats and sends both as filter chain server_names, but Envoy lower-cases server names, ` +
        `so the two chains overlap and Envoy rejects listener ${listener} ("multiple filter chains with overlapping matching rules are defined"): the gateway ` +
        `keeps the port's previous listener, or serves nothing on it, and no change to the port applies. Fix: write "${folded}" in lower case and keep one chain for it (merge the servers or matches)`,
      { path: [...at.path] });
    }
  },
};

export default sniHostLetterCase;

/** Whether a Gateway has a TLS server host with capitals, or a PASSTHROUGH server while some VirtualService `tls` match has an SNI host with capitals: the cheap test before building views. */
function hasCapitalSni(graph: MeshGraph): (gateway: { readonly spec: Record<string, unknown> }) => boolean {
  const capital = (xs: unknown): boolean => Array.isArray(xs) && xs.some((h) => typeof h === 'string' && h !== h.toLowerCase());
  const records = (xs: unknown): Record<string, unknown>[] => (Array.isArray(xs) ? xs.filter(isRecord) : []);
  const capitalTlsMatch = graph.ofKind('VirtualService').some((vs) => records(vs.spec.tls).some((r) => records(r.match).some((m) => capital(m.sniHosts))));
  return (gateway) => records(gateway.spec.servers).some((s) => isRecord(s.tls) && (s.tls.mode === 'PASSTHROUGH' || typeof s.tls.mode !== 'string' ? capitalTlsMatch : capital(s.hosts)));
}
