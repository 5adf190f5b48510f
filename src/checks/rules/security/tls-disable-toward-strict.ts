import { destinationRuleReaches } from '../../../mesh/destination-rule-reach.js';
import type { Rule } from '../../rule.js';
import { clientTlsSettings, describeTarget, firstForItsPort, portLevelPorts, type ClientTlsAt } from '../tls/_helpers.js';
import { describePolicy, describeWorkload } from './_helpers.js';
import { serverTarget } from './_server-target.js';

/** `security/tls-disable-toward-strict`: plaintext toward workloads that only accept mTLS. */
const tlsDisableTowardStrict: Rule = {
  id: 'security/tls-disable-toward-strict',
  severity: 'error',
  summary: 'A DestinationRule sets tls.mode DISABLE (or SIMPLE) toward workloads whose PeerAuthentication is STRICT, so every connection is rejected.',
  docs: [
    '`tls.mode: DISABLE` (top level, in a subset, or in `portLevelSettings`) makes client sidecars send plaintext',
    'and turns off auto-mTLS for that traffic. When the destination workloads accept only mTLS (their effective',
    'PeerAuthentication, with UNSET modes inherited and `portLevelMtls` applied to the target port, is STRICT),',
    'the server sidecar resets every such connection and clients see 503 (`UC`/`URX`). `tls.mode: SIMPLE` fails the',
    'same way: the client sidecar originates TLS without a client certificate, and a STRICT inbound listener has',
    'only Istio mTLS filter chains (client certificate from the mesh CA, Istio ALPN). Fix: delete the `tls`',
    'block so auto-mTLS applies, or set `mode: ISTIO_MUTUAL`; if plaintext is really wanted, add a documented',
    'PERMISSIVE exception for that workload or port. Only hosts backed by a Service or ServiceEntry with a',
    'selector are checked, since only their workloads are known. A workload without a sidecar (membership `none`:',
    'an injection opt-out, or a namespace without injection) enforces no PeerAuthentication, so plaintext toward it',
    'is right and not reported.',
    'Only a block istiod hands to some client is judged: not a trafficPolicy merged behind an older rule of the same host and namespace (the first wins), a subset an older rule already defines, a wildcard or root-namespace rule a more specific one beats, or a rule whose workloadSelector selects no workload of the input.',
  ].join(' '),
  kinds: ['DestinationRule', 'PeerAuthentication', 'Service', 'ServiceEntry', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    for (const dr of graph.ofKind('DestinationRule')) {
      if (typeof dr.spec.host !== 'string') continue;
      const services = graph.servicesForHost(dr.spec.host, dr.namespace).filter((s) => s.selector !== null);
      if (services.length === 0) continue;
      const portLevel = clientTlsSettings(dr, true);
      for (const at of [...clientTlsSettings(dr, false), ...portLevel]) {
        if (at.tls.mode !== 'DISABLE' && at.tls.mode !== 'SIMPLE') continue;
        if (!firstForItsPort(dr, at)) continue;
        const overridden = at.port === undefined ? portLevelPorts(dr, at.subset) : new Set<number>();
        // Only where istiod hands this rule's block to some client: not merged behind an older rule's
        // trafficPolicy or subset, not beaten by a more specific host, selecting some client workload.
        const reached = services.filter((s) => destinationRuleReaches(graph, dr, s.host, at.subset));
        const hit = serverTarget(graph, dr, reached, at, overridden, (w, decision) => decision.mode === 'STRICT' && graph.membershipOf(w).dataplane !== 'none');
        if (!hit) continue;
        const simple = at.tls.mode === 'SIMPLE';
        ctx.report(dr, `tls.mode ${at.tls.mode} ${describeTarget(dr, at)} ${simple ? 'originates TLS without a client certificate (not Istio mTLS)' : 'sends plaintext'}, but ${describeWorkload(hit.workload)} accepts only mTLS` +
          `${hit.port !== undefined ? ` on port ${hit.port}` : ''} (${describePolicy(hit.decision.policy)} is STRICT), so ${graph.membershipOf(hit.workload).dataplane === 'ambient' ? 'ztunnel (ambient) rejects' : 'its sidecar rejects'} ` +
          `these connections (503); remove the tls block to let auto-mTLS apply, or use mode ISTIO_MUTUAL${simple ? ' (an app that serves TLS itself is reached through a PERMISSIVE port)' : ''}`, { path: [...at.path, 'mode'] });
      }
    }
  },
};

export default tlsDisableTowardStrict;
