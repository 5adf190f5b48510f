import { GATEWAY_API_GROUP, gatewayApiOf } from '../../../mesh/gateway-api.js';
import { referenceGrantFor } from '../../../mesh/gateway-api-attachment.js';
import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { isPlaceholderSecret, secretCatalog } from '../gateway/_credentials.js';
import { keyPairProblem } from '../gateway/_key-pair.js';
import { TERMINATE_MODE } from '../../../mesh/gateway-api-gateway-routes.js';
import { terminatingListeners } from './_terminating-listeners.js';


/**
 * `gatewayapi/invalid-certificate-ref`: a certificateRef of a Gateway API listener names a Secret of the input that
 * holds no usable PEM certificate and key (pilot/pkg/config/kube/gateway conversion.go `buildSecretReference`).
 */
const invalidCertificateRef: Rule = {
  id: 'gatewayapi/invalid-certificate-ref',
  severity: 'error',
  summary: 'A Gateway API listener that terminates TLS names a Secret that holds no PEM certificate and matching private key, so istiod drops the reference (InvalidCertificateRef).',
  docs: [
    'For each `tls.certificateRefs` Secret of a Terminate listener, istiod reads `tls.crt` and `tls.key` (or `cert`',
    'and `key`), both non-empty, and loads them as Go\'s `tls.X509KeyPair` does: the certificate must hold a',
    '`CERTIFICATE` PEM block that parses as X.509, the key a `PRIVATE KEY` (PKCS #8), `RSA PRIVATE KEY` or',
    '`EC PRIVATE KEY` block that parses, and the key must belong to the first certificate. A Secret that fails is',
    'dropped from the listener with `ResolvedRefs: False` (InvalidCertificateRef) and `Programmed: False`; with no',
    'usable reference left the listener serves no certificate and its TLS handshakes fail. Unlike an Istio Gateway\'s',
    'credentialName (`gateway/invalid-credential`), validity dates are not judged by istiod here. Only Secrets in the',
    'input are judged (missing ones are `gatewayapi/certificate-ref-not-found`\'s), and not a Secret whose every value is',
    'empty (a placeholder another tool fills at deploy time); Secrets written by controllers (cert-manager, External',
    'Secrets) are not in git. Fix: store the PEM certificate chain under tls.crt and its',
    'private key under tls.key (`kubectl create secret tls NAME --cert=… --key=…`), not switched, not encrypted.',
  ].join(' '),
  kinds: ['Gateway', 'ListenerSet', 'Secret', 'ReferenceGrant'],
  check(graph, ctx) {
    const k8s = gatewayApiOf(graph);
    const catalog = secretCatalog(graph);
    for (const { gateway: gw, listener: l, index: i, refs, where } of terminatingListeners(graph)) {
      const tls = l.tls as Readonly<Record<string, unknown>>;
      const option = isRecord(tls.options) ? tls.options[TERMINATE_MODE] : undefined;
      if (option === 'ISTIO_SIMPLE' || option === 'ISTIO_MUTUAL') continue; // the proxy's own certificate: refs unread
      if (refs.length > 2) continue; // gatewayapi/certificate-ref-not-found reports it
      const problems = refs.map((r) => {
        if (!isRecord(r) || typeof r.name !== 'string' || (r.kind ?? 'Secret') !== 'Secret' || (r.group ?? '') !== '') return undefined;
        const ns = typeof r.namespace === 'string' && r.namespace !== '' ? r.namespace : gw.namespace;
        if (ns !== gw.namespace && !referenceGrantFor(k8s, { group: GATEWAY_API_GROUP, kind: gw.kind, namespace: gw.namespace }, { group: '', kind: 'Secret', namespace: ns, name: r.name })) return undefined;
        const secret = catalog.find(ns, r.name)?.secret;
        const problem = secret && !isPlaceholderSecret(secret) ? keyPairProblem(secret) : undefined;
        return problem ? { ns, name: r.name, problem } : undefined;
      });
      const bad = problems.filter((p) => p !== undefined).length;
      problems.forEach((p, j) => {
        if (!p) return;
        const effect = bad === refs.length ? 'the listener has no certificate left and its TLS handshakes fail' : 'the listener serves only its other certificate';
        ctx.report(gw, `${where} certificateRef Secret ${p.ns}/${p.name} is not a usable certificate (ResolvedRefs: False, InvalidCertificateRef): ${p.problem}; ` +
          `istiod drops it and ${effect}; store a PEM certificate chain under tls.crt and its private key under tls.key (kubectl create secret tls)`,
        { path: ['spec', 'listeners', i, 'tls', 'certificateRefs', j] });
      });
    }
  },
};

export default invalidCertificateRef;
