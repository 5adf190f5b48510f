import type { Rule } from '../../rule.js';
import { analyzerMissesScheme, credentialNameOf, credentialRef, podNamespaces, secretCatalog } from './_credentials.js';
import { gatewaysOf } from './_helpers.js';

/** `gateway/credential-not-found` (IST0101): a server's credentialName has no Secret where the gateway pods run. */
const credentialNotFound: Rule = {
  id: 'gateway/credential-not-found',
  istioCode: 'IST0101',
  severity: 'error',
  summary: 'A Gateway server\'s tls.credentialName names no Secret in the namespace of the gateway pods the Gateway selects.',
  docs: [
    'A gateway proxy reads the Secret named by `tls.credentialName` from its OWN namespace, the namespace of the',
    'gateway pods the Gateway selects, not the namespace of the Gateway resource (`ns/name` names another namespace).',
    'When the Secret is not there the server has no certificate and TLS handshakes fail. Fix: create the Secret',
    '(type kubernetes.io/tls) in the namespace of the gateway pods, or move the Gateway\'s pods. A cert-manager',
    'Certificate (`spec.secretName`), ExternalSecret or SealedSecret that writes the Secret counts as the Secret.',
    'Mirrors `istioctl analyze` IST0101 from gateway.SecretAnalyzer. Deliberate differences: GitOps repositories',
    'usually keep Secrets out of git, so a missing Secret is reported only when the input holds Secrets of that',
    'namespace or a Secret of that name elsewhere (then the message names where it is); and every namespace the',
    'selected pods run in is checked, where Istio checks the first matching pod\'s. Gateways selecting no workload',
    'are left to `gateway/selector-matches-no-workload`. As Istio\'s analyzer does, a `kubernetes://` or',
    '`kubernetes-gateway://` credentialName is reported as not found (it splits the name at the first `/`), with the',
    'plain name to write instead; other schemes (`sds://`) name SDS providers and are not looked up.',
  ].join(' '),
  kinds: ['Gateway', 'Secret', 'Deployment', 'Rollout', 'Pod'],
  check(graph, ctx) {
    const catalog = secretCatalog(graph);
    for (const g of gatewaysOf(graph)) {
      const namespaces = podNamespaces(g);
      if (namespaces.length === 0) continue;
      for (const s of g.servers) {
        const cn = credentialNameOf(s);
        if (!cn) continue;
        if (analyzerMissesScheme(cn)) {
          const ref = credentialRef(cn, namespaces[0]!)!;
          if (!catalog.find(ref.namespace, ref.name) && !catalog.covers(ref.namespace) && catalog.namespacesOf(ref.name).length === 0) continue;
          const bare = ref.namespace === namespaces[0] && !cn.slice(cn.indexOf('://') + 3).includes('/') ? ref.name : `${ref.namespace}/${ref.name}`;
          const slash = cn.indexOf('/');
          ctx.report(
            g.gateway,
            `Referenced credentialName not found: istioctl analyze splits "${cn}" at the first "/" and looks up Secret "${cn.slice(slash + 1)}" in namespace "${cn.slice(0, slash)}", ` +
              `which cannot exist (istiod strips the scheme and reads Secret ${ref.namespace}/${ref.name}); write credentialName "${bare}"`,
            { path: [...s.path, 'tls', 'credentialName'] },
          );
          continue;
        }
        const missing: string[] = [];
        let name = cn;
        for (const ns of namespaces) {
          const ref = credentialRef(cn, ns);
          if (!ref) break;
          name = ref.name;
          if (catalog.find(ref.namespace, ref.name)) continue;
          if (catalog.covers(ref.namespace) || catalog.namespacesOf(ref.name).length > 0) missing.push(ref.namespace);
        }
        if (missing.length === 0) continue;
        const elsewhere = catalog.namespacesOf(name).filter((ns) => !missing.includes(ns));
        // A server that terminates nothing never loads its credential (validateTLSOptions: "mode does not use
        // certificates, they will be ignored"); Istio's analyzer still looks the name up, whatever the mode.
        const mode = typeof s.tls?.mode === 'string' ? s.tls.mode : 'PASSTHROUGH';
        const unused = (mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') && (s.protocol === 'HTTPS' || s.protocol === 'TLS');
        const hint = unused
          ? `; the server is ${mode}${typeof s.tls?.mode === 'string' ? '' : ' (tls.mode unset)'} and never loads a certificate, so remove credentialName (or set mode SIMPLE if it should terminate TLS)`
          : elsewhere.length > 0
          ? `; a Secret "${name}" exists in namespace ${elsewhere.join(', ')}, but the gateway proxy only reads Secrets of its own namespace: create it in ${missing.join(', ')}`
          : `; create a kubernetes.io/tls Secret "${name}" in namespace ${missing.join(', ')}`;
        ctx.report(
          g.gateway,
          `Referenced credentialName not found: "${cn}" is not a Secret in namespace ${missing.join(', ')}, where the gateway pods selected by "${g.selectorText}" run${hint}`,
          { path: [...s.path, 'tls', 'credentialName'] },
        );
      }
    }
  },
};

export default credentialNotFound;
