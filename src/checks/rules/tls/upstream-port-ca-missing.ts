import type { Rule } from '../../rule.js';
import { CA_FIX, clientTlsSettings, describeTarget, lacksServerVerification, tlsMode } from './_helpers.js';

/** `tls/upstream-port-ca-missing` (IST0129): port-level TLS origination that does not say how to verify the server. */
const upstreamPortCaMissing: Rule = {
  id: 'tls/upstream-port-ca-missing',
  istioCode: 'IST0129',
  severity: 'warning',
  summary: 'A DestinationRule portLevelSettings entry originates TLS (SIMPLE or MUTUAL) without caCertificates to verify the server.',
  docs: [
    'The port-level twin of `tls/upstream-ca-missing`: a `portLevelSettings[].tls` with mode SIMPLE or MUTUAL and',
    'no `caCertificates` leaves the server identity on that port unverified unless istiod falls back to the',
    'system roots (`VERIFY_CERTIFICATE_AT_CLIENT`). Typical case: egress TLS origination (plain HTTP on port 80,',
    'TLS to 443). Set `caCertificates`, or `credentialName` together with a `workloadSelector`. If you rely on',
    'the system roots on purpose, say so with `meshproof.dev/suppress: IST0129` and a `meshproof.dev/suppress-reason`.',
    "Subsets' port-level settings are checked too. Mirrors `istioctl analyze` IST0129.",
  ].join(' '),
  kinds: ['DestinationRule'],
  check(graph, ctx) {
    for (const dr of graph.ofKind('DestinationRule')) {
      for (const at of clientTlsSettings(dr, true)) {
        if (!lacksServerVerification(dr, at.tls)) continue;
        ctx.report(dr, `tls.mode ${tlsMode(at.tls)} ${describeTarget(dr, at)} has no caCertificates to validate the server identity; ${CA_FIX}`, {
          path: [...at.path, 'mode'],
        });
      }
    }
  },
};

export default upstreamPortCaMissing;
