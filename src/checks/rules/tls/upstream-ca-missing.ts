import type { Rule } from '../../rule.js';
import { CA_FIX, clientTlsSettings, describeTarget, lacksServerVerification, tlsMode } from './_helpers.js';

/** `tls/upstream-ca-missing` (IST0128): TLS origination that does not say how to verify the server. */
const upstreamCaMissing: Rule = {
  id: 'tls/upstream-ca-missing',
  istioCode: 'IST0128',
  severity: 'warning',
  summary: 'A DestinationRule originates TLS (mode SIMPLE or MUTUAL) without caCertificates to verify the server.',
  docs: [
    'With `trafficPolicy.tls.mode` SIMPLE or MUTUAL the sidecar opens TLS to the upstream. `caCertificates` names',
    'the CA bundle that must have signed the server certificate; without it nothing in the configuration pins the',
    'server identity, and the connection is verified only if istiod runs with `VERIFY_CERTIFICATE_AT_CLIENT`',
    '(system roots) — otherwise a man in the middle is accepted. Set `caCertificates`, or `credentialName` (a',
    'Secret holding `ca.crt`) together with a `workloadSelector`. Subset traffic policies are checked too',
    '(istioctl only checks the top level). Port-level settings are `tls/upstream-port-ca-missing`.',
    'Mirrors `istioctl analyze` IST0128.',
  ].join(' '),
  kinds: ['DestinationRule'],
  check(graph, ctx) {
    for (const dr of graph.ofKind('DestinationRule')) {
      for (const at of clientTlsSettings(dr, false)) {
        if (!lacksServerVerification(dr, at.tls)) continue;
        ctx.report(dr, `tls.mode ${tlsMode(at.tls)} ${describeTarget(dr, at)} has no caCertificates to validate the server identity; ${CA_FIX}`, {
          path: [...at.path, 'mode'],
        });
      }
    }
  },
};

export default upstreamCaMissing;
