import { backendTlsOf } from '../../../mesh/gateway-api-backend-tls.js';
import type { Rule } from '../../rule.js';

/**
 * `gatewayapi/backend-tls-policy-ca-unusable`: a BackendTLSPolicy whose CA istiod cannot read
 * (`getBackendTLSCredentialName` returns `invalid://`), or whose `wellKnownCACertificates` it does not know.
 */
const backendTlsPolicyCaUnusable: Rule = {
  id: 'gatewayapi/backend-tls-policy-ca-unusable',
  severity: 'error',
  summary: 'A BackendTLSPolicy whose caCertificateRefs istiod cannot use (not a ConfigMap, not in the input, no ca.crt), so it sends the credential invalid:// and connections to the backend fail, whose ConfigMap CA is not PEM (Envoy refuses it), or whose wellKnownCACertificates is not System.',
  docs: [
    'istiod reads the CA of a BackendTLSPolicy from the first `validation.caCertificateRefs` entry, and only from a',
    'ConfigMap of the policy\'s namespace with a non-empty `ca.crt` (or `cacert`) key (`getBackendTLSCredentialName`;',
    'Secrets are not supported yet). Anything else gets status ResolvedRefs False and the credential `invalid://`, "to',
    'ensure traffic is blocked": a gateway\'s connections to the backend fail their TLS handshake, and a sidecar, which',
    'drops a credential it may not look up (`buildUpstreamClusterTLSContext`), sends plaintext to the TLS port. Only the',
    'first reference is used. A `wellKnownCACertificates` other than `System` is refused (Accepted False, Invalid) while',
    'TLS still uses the system roots. A ConfigMap outside the input cannot be judged here: add it to the input or',
    'to `--context`. A `ca.crt` that is not a PEM certificate (say base64 of one: ConfigMap data is plain text) is served',
    'all the same (`configmap://<ns>/<name>-cacert`), and Envoy refuses it, so the cluster never warms. Fix: point `caCertificateRefs[0]` at a ConfigMap (group "", kind ConfigMap) of the policy\'s',
    'namespace whose `ca.crt` holds the backend\'s CA in PEM, or use `wellKnownCACertificates: System`.',
  ].join(' '),
  kinds: ['BackendTLSPolicy', 'ConfigMap'],
  check(graph, ctx) {
    for (const view of backendTlsOf(graph).policies) {
      const ca = view.ca;
      if (ca.status === 'invalid') {
        ctx.report(view.policy, `spec.validation.caCertificateRefs[0] gives istiod no CA: ${ca.reason}; istiod sends the credential invalid:// (ResolvedRefs False), ` +
          'so gateways fail every TLS handshake with the backend and sidecars send it plaintext; point it at a ConfigMap of this namespace whose ca.crt holds the backend\'s CA in PEM', { path: ca.path });
      } else if (ca.status === 'configmap' && !ca.pem) {
        const cm = ca.configMap;
        ctx.report(view.policy, `spec.validation.caCertificateRefs[0] names ConfigMap ${cm.namespace}/${cm.name}, whose data."${ca.key}" is not a PEM certificate: istiod serves it as the CA ` +
          `(configmap://${cm.namespace}/${cm.name}-cacert), Envoy refuses it and the backend's cluster never warms; write the CA's PEM text there (ConfigMap data is plain text, not base64)`,
          { path: ['spec', 'validation', 'caCertificateRefs', 0] });
      } else if (ca.status === 'unknown-well-known') {
        ctx.report(view.policy, `spec.validation.wellKnownCACertificates is "${ca.value}": istiod knows only System (status Accepted False, Invalid) and verifies the backend against the system roots anyway; write System, or use caCertificateRefs`,
          { path: ['spec', 'validation', 'wellKnownCACertificates'] });
      }
    }
  },
};

export default backendTlsPolicyCaUnusable;
