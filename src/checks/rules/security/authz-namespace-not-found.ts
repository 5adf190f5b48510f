import { builtinNamespaces } from '../../../mesh/builtin-namespaces.js';
import { isRecord, stringList } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { namespacePatternMatches } from './_helpers.js';

/** `security/authz-namespace-not-found` (IST0101): a source namespace that matches no namespace. */
const authzNamespaceNotFound: Rule = {
  id: 'security/authz-namespace-not-found',
  istioCode: 'IST0101',
  severity: 'error',
  summary: 'An AuthorizationPolicy source.namespaces (or notNamespaces) entry matches no namespace in the input.',
  docs: [
    'Each entry of `rules[].from[].source.namespaces` and `notNamespaces` should name a namespace that exists:',
    'a Namespace object, a namespace some object in the input lives in, one every cluster has (`default`,',
    '`kube-system`, `kube-public`, `kube-node-lease`), or the mesh root namespace. `*` matches every namespace;',
    '`prefix*` and `*suffix` match by prefix and suffix. A typo (`bookinfo` vs `book-info`) silently makes an',
    'ALLOW rule match nobody (callers get 403) or a DENY rule protect nothing. Fix the name, or add the',
    'namespace to the input. Mirrors `istioctl analyze` IST0101 for AuthorizationPolicy.',
  ].join(' '),
  kinds: ['AuthorizationPolicy', 'Namespace'],
  check(graph, ctx) {
    const namespaces = [...new Set([...graph.namespaces(), ...builtinNamespaces(graph.rootNamespace)])];
    const exact = new Set(namespaces.map((n) => n.toLowerCase()));
    const known = (p: string) => (p.includes('*') ? namespaces.some((n) => namespacePatternMatches(p, n)) : exact.has(p.toLowerCase()));
    const listed = namespaces.length === 0 ? 'there are none' : `known: ${namespaces.slice(0, 8).join(', ')}${namespaces.length > 8 ? ', …' : ''}`;
    for (const ap of graph.ofKind('AuthorizationPolicy')) {
      const rules = Array.isArray(ap.spec.rules) ? ap.spec.rules : [];
      rules.forEach((rule, i) => {
        const from = isRecord(rule) && Array.isArray(rule.from) ? rule.from : [];
        from.forEach((f, j) => {
          const source = isRecord(f) && isRecord(f.source) ? f.source : {};
          for (const field of ['namespaces', 'notNamespaces'] as const) {
            (stringList(source[field]) ?? []).forEach((ns, k) => {
              if (known(ns)) return;
              ctx.report(ap, `Referenced namespace not found: "${ns}" (in ${field}); no namespace in the input matches it (${listed}). Fix the name, or add the Namespace`, {
                path: ['spec', 'rules', i, 'from', j, 'source', field, k],
              });
            });
          }
        });
      });
    }
  },
};

export default authzNamespaceNotFound;
