import { destinationRuleServices } from '../../../mesh/destination-rule-host.js';
import { stringList, type MeshObject } from '../../../mesh/object.js';
import { namesAsWritten } from '../../../mesh/services.js';
import type { Rule } from '../../rule.js';
import { letterCaseFix, nameOf, otherDomainHint, otherDomainWildcardHint } from './_helpers.js';

/** `references/destination-rule-host-exists` (IST0174): a DestinationRule's host names a known service. */
const destinationRuleHostExists: Rule = {
  id: 'references/destination-rule-host-exists',
  istioCode: 'IST0174',
  severity: 'warning',
  summary: 'A DestinationRule host resolves to no Service or ServiceEntry visible from its namespace.',
  docs: [
    'A DestinationRule only takes effect for a host in the service registry. A short host resolves against the',
    'DestinationRule namespace (`reviews` in `prod` is `reviews.prod.svc.cluster.local`), so a rule written in the',
    'wrong namespace with a short host silently configures nothing; `name.namespace` forms are not expanded.',
    'Fix: use the full `name.namespace.svc.cluster.local` host, or add the missing Service or ServiceEntry.',
    'A `name.ns.svc.<domain>` host of an input Service under another cluster domain says which domain was assumed.',
    'A DestinationRule with `exportTo` is judged where it applies: the host must be visible from one of the namespaces',
    'it is exported to (`.` its own; without `exportTo`, its own namespace), so one in `shop` exported to `payments`',
    'configures a Service that only `payments` sees. Wildcard hosts (`*.example.com`, `*.local`) are policy for hosts',
    'that may not exist yet and are not checked (istioctl reports them unless a wildcard ServiceEntry covers them),',
    'except a cluster-internal wildcard (`*.shop.svc.corp.internal`, `*.svc.corp.internal`) under another domain than',
    'the cluster domain, written for Services of the input that it then covers none of: the finding says which domain',
    'was assumed; and except `*.local` or `*.cluster.local` (the documented mesh-wide host) when the cluster domain is',
    'set to one they do not cover (`corp.internal`): then no Service of the input gets its policy.',
    'Hosts are compared as written: `Reviews.prod.svc.cluster.local` names no Kubernetes Service. Beside a ServiceEntry',
    'host written with capitals the message advises lowering that host (see `serviceentry/host-letter-case`).',
    'Mirrors `istioctl analyze` IST0174.',
  ].join(' '),
  kinds: ['DestinationRule', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    let servicesByName: Map<string, MeshObject> | undefined;
    for (const dr of graph.ofKind('DestinationRule')) {
      const host = dr.spec.host;
      if (typeof host !== 'string' || host === '') continue;
      if (host.includes('*')) {
        const wildcardHint = otherDomainWildcardHint(graph, host);
        if (wildcardHint) ctx.report(dr, `DestinationRule host "${host}" applies to nothing: ${wildcardHint}`, { path: ['spec', 'host'] });
        continue;
      }
      if (destinationRuleServices(graph, dr).length > 0) continue;
      const resolved = graph.resolveHost(host, dr.namespace);
      const anyCase = graph.services.forHostIgnoringCase(resolved.fqdn, null);
      const hidden = anyCase.filter((s) => namesAsWritten(s, host, dr.namespace, graph.clusterDomain));
      const written = `"${host}"${resolved.form === 'short' ? ` (resolved to ${resolved.fqdn})` : ''}`;
      let hint = 'add the Service or ServiceEntry, or correct the host';
      const domainHint = anyCase.length > 0 ? undefined : otherDomainHint(graph, resolved.fqdn);
      if (hidden.length === 0 && anyCase.length > 0) {
        hint = letterCaseFix(anyCase[0]!.kind, nameOf(anyCase[0]!.object), anyCase[0]!.host, resolved.fqdn);
      } else if (hidden.length > 0) {
        const scopes = stringList(dr.spec.exportTo)?.filter((e) => e !== '.') ?? [];
        hint = `${hidden[0]!.kind} ${nameOf(hidden[0]!.object)} exists but is not exported to ${scopes.length > 0 ? `the namespaces this DestinationRule is exported to (${[dr.namespace, ...scopes].join(', ')})` : `namespace ${dr.namespace}`}`;
      } else if (domainHint) {
        hint = domainHint;
      } else if (resolved.likely && graph.services.forHost(resolved.likely, dr.namespace).length > 0) {
        hint = `Istio does not expand "${host}": write "${resolved.likely}"`;
      } else if (resolved.form === 'short') {
        servicesByName ??= new Map(graph.ofKind('Service').map((s) => [s.name, s]));
        const elsewhere = servicesByName.get(host.toLowerCase());
        if (elsewhere) hint = `Service ${nameOf(elsewhere)} exists in another namespace: write "${host}.${elsewhere.namespace}.svc.${graph.clusterDomain}"`;
      }
      ctx.report(dr, `DestinationRule host ${written} matches no Service or ServiceEntry, so its traffic policy and subsets apply to nothing; ${hint}`, { path: ['spec', 'host'] });
    }
  },
};

export default destinationRuleHostExists;
