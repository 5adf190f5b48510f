import { destinationRuleReaches } from '../../../mesh/destination-rule-reach.js';
import { workloadPortOf } from '../../../mesh/endpoint-port.js';
import type { MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { clientTlsSettings } from '../tls/_helpers.js';
import { describeWorkload } from './_helpers.js';

/** `security/plaintext-without-auto-mtls`: auto mTLS is off and no DestinationRule sets TLS toward STRICT workloads. */
const plaintextWithoutAutoMtls: Rule = {
  id: 'security/plaintext-without-auto-mtls',
  severity: 'error',
  summary: 'MeshConfig `enableAutoMtls: false`, and no DestinationRule sets TLS for a service whose workloads accept only mTLS: clients send plaintext and are rejected.',
  docs: [
    'With `enableAutoMtls: false` (MeshConfig) a client sidecar originates Istio mTLS only where a DestinationRule says',
    '`tls.mode: ISTIO_MUTUAL`; without any `tls` block its cluster has no transport socket and it sends plaintext',
    '(pilot/pkg/networking/core/cluster_tls.go: auto mTLS is what would have upgraded it). A server sidecar whose',
    'effective PeerAuthentication is STRICT on that port resets every such connection, so callers get 503 (`UC`/`URX`).',
    'Reported on the STRICT PeerAuthentication, once per Service whose selected workloads (not known to run without a',
    'proxy) it makes STRICT on a',
    'Service port, when no DestinationRule of the input (in any namespace) covers that Service with a `tls` block: a',
    'rule in a client namespace may still set ISTIO_MUTUAL, and a `DISABLE`/`SIMPLE` one is',
    '`security/tls-disable-toward-strict`. Fix: enable auto mTLS again, or add a DestinationRule for the host with',
    '`trafficPolicy.tls.mode: ISTIO_MUTUAL` (in the root namespace to cover every client).',
    'Only a block istiod hands to some client is judged: not a trafficPolicy merged behind an older rule of the same host and namespace (the first wins), a subset an older rule already defines, a wildcard or root-namespace rule a more specific one beats, or a rule whose workloadSelector selects no workload of the input.',
  ].join(' '),
  kinds: ['ConfigMap', 'PeerAuthentication', 'DestinationRule', 'Service', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    if (graph.meshConfig.enableAutoMtls) return;
    const withTls = new Set<unknown>();
    for (const dr of graph.ofKind('DestinationRule')) {
      if (typeof dr.spec.host !== 'string') continue;
      const blocks = [...clientTlsSettings(dr, false), ...clientTlsSettings(dr, true)];
      if (blocks.length === 0) continue;
      // A tls block counts only where istiod hands it to some client (not merged away, not beaten by a more specific rule).
      for (const s of graph.servicesForHost(dr.spec.host, dr.namespace)) {
        if (blocks.some((at) => destinationRuleReaches(graph, dr, s.host, at.subset))) withTls.add(s.object);
      }
    }
    const source = graph.meshConfigSource ? ` (${graph.meshConfigSource.kind} ${graph.meshConfigSource.namespace}/${graph.meshConfigSource.name})` : '';
    const reported = new Set<string>();
    for (const s of graph.services.all) {
      if (s.selector === null || withTls.has(s.object)) continue;
      for (const w of graph.workloadsSelectedBy(s.namespace, s.selector)) {
        if (graph.membershipOf(w).dataplane === 'none') continue; // no sidecar: no PeerAuthentication is enforced
        const port = s.ports.map((p) => workloadPortOf(s, p, w) ?? p.number).find((p) => graph.mtlsModeFor(w, p).mode === 'STRICT');
        if (port === undefined) continue;
        const policy: MeshObject | null = graph.mtlsModeFor(w, port).policy;
        const key = `${policy?.key ?? ''}\u0000${s.namespace}/${s.host}`;
        if (!policy || reported.has(key)) continue;
        reported.add(key);
        ctx.report(policy, `MeshConfig enableAutoMtls is false${source} and no DestinationRule sets tls for ${s.host}, so client sidecars send it plaintext, but ` +
          `${describeWorkload(w)} accepts only mTLS on port ${port} (this PeerAuthentication is STRICT) and its sidecar rejects them (503); ` +
          `add a DestinationRule for ${s.host} with trafficPolicy.tls.mode: ISTIO_MUTUAL (in ${graph.rootNamespace} to cover every client), or enable auto mTLS`, { path: ['spec', 'mtls', 'mode'] });
      }
    }
  },
};

export default plaintextWithoutAutoMtls;
