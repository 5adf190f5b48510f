import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, stringList } from '../../../mesh/object.js';
import type { Origin } from '../../../mesh/view/index.js';
import type { Rule } from '../../rule.js';
import { sniOverlaps, type SniOverlap } from './_sni-chains.js';

/**
 * `gateway/duplicate-sni-host`: two filter chains on one gateway listener with the same SNI name, which istiod keeps
 * because it compares the servers' hosts as written (`model.CheckDuplicates` after `sanitizeServerHostNamespace`:
 * `shop/api.example.com` and `api.example.com` differ) or de-duplicates servers and PASSTHROUGH matches separately;
 * Envoy refuses the listener (filter_chain_manager_impl.cc: "multiple filter chains with overlapping matching rules").
 */
const duplicateSniHost: Rule = {
  id: 'gateway/duplicate-sni-host',
  severity: 'error',
  summary: 'Two TLS filter chains on one gateway port serve the same SNI host written in different forms (`shop/api.example.com` in one Gateway, `api.example.com` in another), which istiod keeps both of: Envoy finds the chains overlapping and rejects the listener.',
  docs: [
    'On a gateway, every TLS server (SIMPLE, MUTUAL, ISTIO_MUTUAL, OPTIONAL_MUTUAL) becomes one filter chain of the',
    'port\'s listener whose `filter_chain_match.server_names` are its hosts without the `namespace/` part',
    '(`GetSNIHostsForServer`), and every `tls` match of a VirtualService bound to a PASSTHROUGH server one chain with',
    'its `sniHosts`; servers of every Gateway selecting the workload are merged per port and `bind`. istiod skips a',
    'later server only when one of its hosts repeats an earlier server\'s as written, after `./` became the Gateway\'s',
    'namespace and a `*` namespace was dropped (`sanitizeServerHostNamespace`, `model.CheckDuplicates`), and skips a',
    'PASSTHROUGH match only when it repeats an earlier match\'s SNI host (a separate map). So `shop/api.example.com` in',
    'one Gateway and `api.example.com` (or `*/api.example.com`, or `./api.example.com` in another namespace) in',
    'another, or a SIMPLE server and a PASSTHROUGH match for the same name, both reach Envoy with the same server',
    'name: Envoy rejects the listener with "multiple filter chains with overlapping matching rules are defined" (LDS',
    'NACK). The gateway keeps the port\'s previous listener, or serves nothing on that port if it never had one, and no',
    'later change to that port applies. Servers writing the host identically are `gateway/conflicting-gateways`',
    '(IST0145) or `gateway/conflicting-gateways-on-shared-workload`, which say what istiod does with them (it keeps the first',
    'server only, unless `./host` stands for two namespaces); names differing only in letter case are `gateway/sni-host-letter-case`. Judged on',
    'the per-proxy view of every gateway workload in the input, per listener port and `bind`. Fix: serve the host from',
    'one server or match (move it, or merge the servers), or bind the servers to different addresses.',
  ].join(' '),
  kinds: ['Gateway', 'VirtualService', 'Service', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    if (!sharesSniName(graph)) return;
    const reported = new Set<string>();
    for (const o of sniOverlaps(graph)) {
      if (o.prev.name !== o.name || writtenAlike(graph, o)) continue;
      const object = graph.get(o.at.ref.kind, o.at.ref.namespace, o.at.ref.name);
      const id = `${o.at.ref.kind}/${o.at.ref.namespace}/${o.at.ref.name}\u0000${o.at.path.join('.')}\u0000${o.port}`;
      if (!object || reported.has(id)) continue;
      reported.add(id);
      ctx.report(object, messageOf(graph, o), { path: [...o.at.path] });
    }
  },
};

export default duplicateSniHost;

/**
 * Two servers writing the host alike (`./api.example.com` in Gateways of two namespaces): the gateway conflict rules
 * (`gateway/conflicting-gateways`, `gateway/conflicting-gateways-on-shared-workload`) pair them and say the same.
 */
function writtenAlike(graph: MeshGraph, o: SniOverlap): boolean {
  return o.chain.kind === 'server' && o.prev.chain.kind === 'server' && written(graph, o.at) === written(graph, prevAtOf(o));
}

function prevAtOf(o: SniOverlap): Origin {
  return o.prev.chain.paths[o.prev.chain.names.indexOf(o.prev.name)]!;
}

function messageOf(graph: MeshGraph, o: SniOverlap): string {
  const prevAt = prevAtOf(o);
  const mine = written(graph, o.at) ?? o.name;
  const theirs = written(graph, prevAt) ?? o.prev.name;
  const why = o.chain.kind === 'server' && o.prev.chain.kind === 'server'
    ? `istiod skips a server only when a host repeats an earlier server's as written (after "./" became the Gateway's namespace and a "*" namespace was dropped), so "${mine}" and "${theirs}" are both kept`
    : 'istiod de-duplicates TLS servers and PASSTHROUGH matches separately, so both are kept';
  const as = (w: string) => (w === o.name ? '' : ` (written "${w}")`);
  return `SNI host "${o.name}" of ${o.chain.what}${as(mine)} is also served by ${o.prev.chain.what}${as(theirs)} on port ${o.port} of gateway ` +
    `${o.proxy.namespace}/${o.proxy.name}: ${why}, and both filter chains match server name "${o.name}"; Envoy rejects listener ${o.listener} ` +
    '("multiple filter chains with overlapping matching rules are defined"): the gateway keeps the port\'s previous listener, or serves nothing on it, and no change ' +
    'to the port applies. Fix: serve the host from one server or match (move it, or merge the servers), or bind the servers to different addresses';
}

/** The host entry at `at` as written (a Gateway `hosts` entry with its `namespace/` part, or an `sniHosts` entry). */
function written(graph: MeshGraph, at: Origin): string | undefined {
  let node: unknown = graph.get(at.ref.kind, at.ref.namespace, at.ref.name);
  for (const step of at.path) {
    if (Array.isArray(node) && typeof step === 'number') node = node[step];
    else if (isRecord(node) && typeof step === 'string') node = node[step];
    else return undefined;
  }
  return typeof node === 'string' ? node : undefined;
}

/**
 * The cheap test before building views: whether one SNI name (letter case ignored) is written by two TLS servers of
 * the input's Gateways, or by one and a VirtualService `tls` match while some Gateway has a PASSTHROUGH server.
 */
function sharesSniName(graph: MeshGraph): boolean {
  const sources = new Map<string, number>();
  let passthrough = false;
  const add = (name: string) => {
    if (name === '*') return false;
    const k = name.toLowerCase();
    const n = (sources.get(k) ?? 0) + 1;
    sources.set(k, n);
    return n > 1;
  };
  let shared = false;
  for (const gw of graph.ofKind('Gateway')) {
    for (const s of Array.isArray(gw.spec.servers) ? gw.spec.servers.filter(isRecord) : []) {
      if (!isRecord(s.tls)) continue;
      // An unset mode is PASSTHROUGH (the TLSmode enum's zero value).
      if (s.tls.mode === 'PASSTHROUGH' || typeof s.tls.mode !== 'string') { passthrough = true; continue; }
      if (s.tls.mode === 'AUTO_PASSTHROUGH') continue;
      const names = new Set((stringList(s.hosts) ?? []).map((h) => h.slice(h.indexOf('/') + 1).toLowerCase()));
      for (const n of names) shared = add(n) || shared;
    }
  }
  if (shared) return true;
  if (!passthrough) return false;
  for (const vs of graph.ofKind('VirtualService')) {
    for (const r of Array.isArray(vs.spec.tls) ? vs.spec.tls.filter(isRecord) : []) {
      for (const m of Array.isArray(r.match) ? r.match.filter(isRecord) : []) {
        for (const h of new Set(stringList(m.sniHosts) ?? [])) if (add(h)) return true;
      }
    }
  }
  return false;
}
