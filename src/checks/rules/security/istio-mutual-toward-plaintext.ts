import { destinationRuleReaches } from '../../../mesh/destination-rule-reach.js';
import type { ServiceInfo } from '../../../mesh/graph.js';
import type { MeshObject } from '../../../mesh/object.js';
import type { Rule, RuleContext } from '../../rule.js';
import { clientTlsSettings, describeTarget, firstForItsPort, portLevelPorts } from '../tls/_helpers.js';
import { describePolicy, describeWorkload } from './_helpers.js';
import { serverTarget } from './_server-target.js';

/** `security/istio-mutual-toward-plaintext`: Istio mTLS toward workloads that only accept plaintext. */
const istioMutualTowardPlaintext: Rule = {
  id: 'security/istio-mutual-toward-plaintext',
  severity: 'error',
  summary: 'A DestinationRule sets tls.mode ISTIO_MUTUAL toward workloads whose PeerAuthentication is DISABLE, or that have no sidecar (a MESH_EXTERNAL host included), so every connection fails.',
  docs: [
    'The mirror of `security/tls-disable-toward-strict`. `tls.mode: ISTIO_MUTUAL` makes client sidecars always',
    'originate Istio mTLS, without auto-mTLS\'s fallback to plaintext. A server whose effective PeerAuthentication',
    'is DISABLE (UNSET modes inherited, `portLevelMtls` applied to the target port) has no mTLS filter chain, and a',
    'server without a sidecar (membership `none`) speaks plaintext itself: either way the TLS handshake fails and',
    'clients see 503 (`UF`/`UC`, "upstream connect error"). Under DISABLE this holds whether or not the workload',
    'has a sidecar, so it is reported even when the workload\'s Namespace (and so its injection) is not in the input. A host that is only',
    'MESH_EXTERNAL ServiceEntries has no Istio proxy behind it at all: ISTIO_MUTUAL sends the mesh certificate and expects the Istio SAN from',
    'a server that has neither (use SIMPLE to originate TLS toward it). Wildcard DestinationRule hosts are checked against every',
    'service they cover. Fix: delete the `tls` block so auto-mTLS picks the right mode, use DISABLE toward such',
    'workloads, or switch the server to PERMISSIVE/STRICT.',
    'Only a block istiod hands to some client is judged: not a trafficPolicy merged behind an older rule of the same host and namespace (the first wins), a subset an older rule already defines, a wildcard or root-namespace rule a more specific one beats, or a rule whose workloadSelector selects no workload of the input.',
  ].join(' '),
  kinds: ['DestinationRule', 'PeerAuthentication', 'Namespace', 'Service', 'ServiceEntry', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    for (const dr of graph.ofKind('DestinationRule')) {
      if (typeof dr.spec.host !== 'string') continue;
      const named = graph.servicesForHost(dr.spec.host, dr.namespace);
      if (!dr.spec.host.includes('*') && named.length > 0 && named.every((s) => s.location === 'MESH_EXTERNAL')) {
        reportExternal(dr, named, ctx.report.bind(ctx));
        continue;
      }
      const services = named.filter((s) => s.selector !== null && s.location === 'MESH_INTERNAL');
      if (services.length === 0) continue;
      const portLevel = clientTlsSettings(dr, true);
      for (const at of [...clientTlsSettings(dr, false), ...portLevel]) {
        if (at.tls.mode !== 'ISTIO_MUTUAL') continue;
        if (!firstForItsPort(dr, at)) continue;
        const overridden = at.port === undefined ? portLevelPorts(dr, at.subset) : new Set<number>();
        // Only where istiod hands this rule's block to some client: not merged behind an older rule's
        // trafficPolicy or subset, not beaten by a more specific host, selecting some client workload.
        const reached = services.filter((s) => destinationRuleReaches(graph, dr, s.host, at.subset));
        const hit = serverTarget(graph, dr, reached, at, overridden, (w, decision) => {
          const dataplane = graph.membershipOf(w).dataplane;
          // With its Namespace missing from the input a workload may or may not have a sidecar, but under
          // DISABLE it speaks plaintext either way, so forced Istio mTLS fails all the same.
          return dataplane === 'none' || decision.mode === 'DISABLE';
        });
        if (!hit) continue;
        const why = graph.membershipOf(hit.workload).dataplane === 'none'
          ? `has no sidecar (${graph.membershipOf(hit.workload).reason})`
          : `accepts only plaintext${hit.port !== undefined ? ` on port ${hit.port}` : ''} (${describePolicy(hit.decision.policy)} is DISABLE)`;
        ctx.report(dr, `tls.mode ISTIO_MUTUAL ${describeTarget(dr, at)} originates Istio mTLS, but ${describeWorkload(hit.workload)} ${why}, so every connection fails (503); ` +
          'remove the tls block to let auto-mTLS apply, or set mode DISABLE toward it', { path: [...at.path, 'mode'] });
      }
    }
  },
};

/**
 * ISTIO_MUTUAL toward a host that only MESH_EXTERNAL ServiceEntries provide: no Istio proxy is behind it to
 * take the mesh certificate or present the Istio identity the client verifies (cluster_tls.go ISTIO_MUTUAL).
 */
function reportExternal(dr: MeshObject, entries: readonly ServiceInfo[], report: RuleContext['report']): void {
  const entry = entries[0]!;
  for (const at of [...clientTlsSettings(dr, false), ...clientTlsSettings(dr, true)]) {
    if (at.tls.mode !== 'ISTIO_MUTUAL') continue;
    report(dr, `tls.mode ISTIO_MUTUAL ${describeTarget(dr, at)} originates Istio mTLS, but ${entry.kind} ${entry.namespace}/${entry.object.name} declares it MESH_EXTERNAL: ` +
      'no Istio proxy is behind it to accept the mesh certificate or present an identity the mesh trusts, so every connection fails (503 UF); ' +
      'use mode SIMPLE (with caCertificates or credentialName) to originate TLS toward it, or remove the tls block when the application speaks TLS itself', { path: [...at.path, 'mode'] });
  }
}

export default istioMutualTowardPlaintext;
