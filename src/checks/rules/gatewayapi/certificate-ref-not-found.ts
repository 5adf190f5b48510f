import { GATEWAY_API_GROUP, gatewayApiOf } from '../../../mesh/gateway-api.js';
import { referenceGrantFor } from '../../../mesh/gateway-api-attachment.js';
import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { secretCatalog } from '../gateway/_credentials.js';
import { terminatingListeners } from './_terminating-listeners.js';

/**
 * `gatewayapi/certificate-ref-not-found`: a Gateway API listener that terminates TLS names certificates istiod
 * cannot use (pilot/pkg/config/kube/gateway conversion buildTLS / buildSecretReference).
 */
const certificateRefNotFound: Rule = {
  id: 'gatewayapi/certificate-ref-not-found',
  severity: 'error',
  summary: 'A Gateway API listener that terminates TLS names a certificate that is not a Secret, is in another namespace without a ReferenceGrant, or does not exist.',
  docs: [
    'A listener with `tls.mode: Terminate` (the default) serves the Secrets its `tls.certificateRefs` name. They',
    'resolve in the Gateway\'s own namespace (not the gateway pods\', unlike an Istio Gateway\'s credentialName);',
    'another namespace needs a ReferenceGrant there from Gateway to Secret (`RefNotPermitted`), only core Secrets',
    'are taken (`only secret is allowed`), at most two may be listed, and a Secret that does not exist is',
    '`secret … not found`. istiod then marks the listener `ResolvedRefs: False` (InvalidCertificateRef); when no',
    'reference is usable the listener is not programmed and its TLS handshakes fail. As for Istio Gateways',
    '(`gateway/credential-not-found`), GitOps repositories usually keep Secrets out of git, so a missing Secret is',
    'reported only when the input holds Secrets (or cert-manager Certificates, ExternalSecrets, SealedSecrets) of',
    'that namespace, or one of that name elsewhere. Fix: create the Secret in the Gateway\'s namespace, add the',
    'ReferenceGrant, or fix the name. Judged only for Gateways istiod programs (an Istio gatewayClassName, or a',
    'GatewayClass with an istio.io controllerName): another controller\'s Gateway has its own rules and status.',
  ].join(' '),
  kinds: ['Gateway', 'ListenerSet', 'Secret', 'ReferenceGrant'],
  check(graph, ctx) {
    const k8s = gatewayApiOf(graph);
    const catalog = secretCatalog(graph);
    for (const { gateway: gw, index: i, refs, where } of terminatingListeners(graph)) {
      if (refs.length > 2) {
        ctx.report(gw, `${where} lists ${refs.length} certificateRefs: TLS mode can only support up to 2 server certificates (istiod refuses the listener); keep one RSA and one ECDSA certificate`,
          { path: ['spec', 'listeners', i, 'tls', 'certificateRefs'] });
        continue;
      }
      refs.forEach((r, j) => {
        if (!isRecord(r) || typeof r.name !== 'string') return;
        const path = ['spec', 'listeners', i, 'tls', 'certificateRefs', j];
        const kind = typeof r.kind === 'string' ? r.kind : 'Secret';
        const group = typeof r.group === 'string' ? r.group : '';
        if (kind !== 'Secret' || group !== '') {
          ctx.report(gw, `${where} certificateRef ${group ? `${group}/` : ''}${kind} "${r.name}": only secret is allowed (InvalidCertificateRef); reference a Secret of type kubernetes.io/tls`, { path });
          return;
        }
        const ns = typeof r.namespace === 'string' && r.namespace !== '' ? r.namespace : gw.namespace;
        if (ns !== gw.namespace && !referenceGrantFor(k8s, { group: GATEWAY_API_GROUP, kind: gw.kind, namespace: gw.namespace }, { group: '', kind: 'Secret', namespace: ns, name: r.name })) {
          ctx.report(gw, `${where} certificateRef ${ns}/${r.name} is not accessible to a ${gw.kind} in namespace ${gw.namespace} (RefNotPermitted): add a ReferenceGrant in namespace ${ns} ` +
            `from ${gw.kind} in ${gw.namespace} to Secret ${r.name}, or keep the Secret in ${gw.namespace}`, { path });
          return;
        }
        if (catalog.find(ns, r.name) || !(catalog.covers(ns) || catalog.namespacesOf(r.name).length > 0)) return;
        const elsewhere = catalog.namespacesOf(r.name);
        ctx.report(gw, `${where} certificateRef Secret ${ns}/${r.name} not found (InvalidCertificateRef): the listener has no certificate and its TLS handshakes fail; ` +
          (elsewhere.length > 0 ? `a Secret ${r.name} exists in ${elsewhere.join(', ')}, but a Gateway API listener reads Secrets from the ${gw.kind}'s namespace ${gw.namespace} (set namespace and a ReferenceGrant, or move the Secret)`
            : `create it in namespace ${ns}, or fix the name`), { path });
      });
    }
  },
};

export default certificateRefNotFound;
