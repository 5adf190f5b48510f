import type { Rule } from '../../rule.js';
import { analyzerMissesScheme, certificateProblem, credentialNameOf, credentialRef, podNamespaces, secretCatalog } from './_credentials.js';
import { gatewaysOf } from './_helpers.js';

/** `gateway/invalid-credential` (IST0161): the Secret a server's credentialName names holds no usable certificate. */
const invalidCredential: Rule = {
  id: 'gateway/invalid-credential',
  istioCode: 'IST0161',
  severity: 'error',
  summary: 'The Secret named by a Gateway server\'s tls.credentialName lacks a certificate and key, or its certificate does not parse or is not valid now.',
  docs: [
    'The gateway proxy loads `tls.crt` and `tls.key` (or `cert` and `key`) from the Secret in the namespace of the',
    'gateway pods. istiod refuses the credential when either is missing or empty, when the first PEM block of the',
    'certificate is not an X.509 certificate, or when the current time is outside its NotBefore..NotAfter; the server',
    'then has no certificate and TLS handshakes fail. Fix: store a PEM certificate chain and key under tls.crt and',
    'tls.key (`kubectl create secret tls`), and renew expired certificates. Option `now` (an ISO date) fixes the time',
    'checked against; default the time of the run. Secrets written by controllers (cert-manager, External Secrets)',
    'are not in the input and are not checked. Mirrors `istioctl analyze` IST0161 (InvalidGatewayCredential).',
  ].join(' '),
  kinds: ['Gateway', 'Secret', 'Deployment', 'Rollout', 'Pod'],
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { now: { description: 'The instant certificates are checked against (ISO 8601); default the current time.', type: 'string', minLength: 1 } },
  },
  check(graph, ctx) {
    const now = typeof ctx.options.now === 'string' && !Number.isNaN(Date.parse(ctx.options.now)) ? new Date(ctx.options.now) : new Date();
    const catalog = secretCatalog(graph);
    for (const g of gatewaysOf(graph)) {
      for (const s of g.servers) {
        const cn = credentialNameOf(s);
        if (!cn || analyzerMissesScheme(cn)) continue; // gateway/credential-not-found reports it
        for (const ns of podNamespaces(g)) {
          const ref = credentialRef(cn, ns);
          const secret = ref && catalog.find(ref.namespace, ref.name)?.secret;
          if (!ref || !secret) continue;
          const problem = certificateProblem(secret, now);
          if (!problem) continue;
          ctx.report(
            g.gateway,
            `Invalid credential: Secret ${ref.namespace}/${ref.name} named by credentialName "${cn}" cannot serve as the certificate of this server: ${problem}; ` +
              'store a PEM certificate and key under tls.crt and tls.key (kubectl create secret tls)',
            { path: [...s.path, 'tls', 'credentialName'] },
          );
        }
      }
    }
  },
};

export default invalidCredential;
