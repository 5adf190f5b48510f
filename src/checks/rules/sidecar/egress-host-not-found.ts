import type { MeshGraph } from '../../../mesh/graph.js';
import { stringList } from '../../../mesh/object.js';
import { exportedTo, exportToOf, sidecarEgress } from '../../../mesh/visibility.js';
import type { Rule } from '../../rule.js';
import { otherDomainHint, otherDomainWildcardHint } from '../references/_helpers.js';

/** `sidecar/egress-host-not-found`: a Sidecar egress host names a host no service or VirtualService of that namespace has. */
const egressHostNotFound: Rule = {
  id: 'sidecar/egress-host-not-found',
  severity: 'warning',
  summary: 'A Sidecar `egress[].hosts` entry `namespace/host` names a concrete host that no Service, ServiceEntry or VirtualService of that namespace declares, or exports to the Sidecar\'s namespace, or is `namespace/*` for a namespace that exports nothing to the Sidecar\'s namespace, or is a wildcard under another cluster domain (`*/*.svc.cluster.local` with domain `corp.internal`), so it imports nothing.',
  docs: [
    'The dnsName part of a Sidecar egress host is matched literally against the hostnames of the namespace\'s services,',
    'ServiceEntries and VirtualServices (pilot/pkg/model/sidecar.go: host matching on the registry\'s FQDNs); unlike a',
    'VirtualService host it is never expanded, so `./bar.api` or `api/bar.api.svc` name no Service (the webhook already',
    'refuses the bare short name `./bar`). The entry then imports nothing, and the workload loses the service it meant',
    'to keep (with a narrow Sidecar or `REGISTRY_ONLY`: 502 `NR`/BlackHoleCluster). The same holds when the host exists there',
    'but is not exported to the Sidecar\'s namespace (exportTo `["."]` or other namespaces): istiod selects the scope\'s',
    'services from those exported to that namespace (servicesExportedToNamespace). Judged only for an exact host in a',
    'named namespace (`.` or a name, not `*`) whose services are in the input (at least one Service or ServiceEntry there),',
    'so a service defined in another repository is not reported. Likewise `namespace/*` imports nothing when none of',
    'that namespace\'s services and VirtualServices in the input is exported to the Sidecar\'s namespace.',
    'A host `<name>.<namespace>.svc.<domain>` of an input Service under another domain than the cluster domain says which',
    'domain was assumed (`cluster.local` unless `clusterDomain` or `--cluster-domain` says otherwise). Wildcard hosts are',
    'judged only against the cluster domain: `*.svc.<domain>` or `*.<namespace>.svc.<domain>` under another domain, or',
    '`*.local` / `*.cluster.local` under a set domain they do not cover, that match no service of the input import nothing.',
    'Fix: write the FQDN `<namespace>/<service>.<namespace>.svc.<cluster',
    'domain>`, or the ServiceEntry host as written.',
  ].join(' '),
  kinds: ['Sidecar', 'Service', 'ServiceEntry', 'VirtualService'],
  check(graph, ctx) {
    for (const sc of graph.ofKind('Sidecar')) {
      for (const l of sidecarEgress(sc).listeners) {
        for (const h of l.hosts) {
          if (!h.excluded && h.host === '*' && h.namespace !== '*' && h.namespace !== sc.namespace) {
            const hidden = nothingExported(graph, h.namespace, sc.namespace);
            if (hidden) {
              ctx.report(sc, `Egress host "${h.entry}" imports nothing: ${hidden} of namespace ${h.namespace} ${hidden.includes(', ') ? 'are' : 'is'} not exported to namespace ${sc.namespace}, ` +
                `and istiod builds the Sidecar's scope only from what is exported to its namespace; add "${sc.namespace}" (or "*") to their exportTo ` +
                '(for a Service, the networking.istio.io/exportTo annotation), or remove the entry', { path: h.path });
            }
            continue;
          }
          if (!h.excluded && h.host.includes('*')) {
            // `*.svc.corp.internal` under cluster.local, or `*.local` under a told corp.internal: no host of the registry matches.
            const wildcardHint = h.host === '*' ? undefined : otherDomainWildcardHint(graph, h.host);
            if (wildcardHint) ctx.report(sc, `Egress host "${h.entry}" imports nothing: ${wildcardHint}`, { path: h.path });
            continue;
          }
          // A host without a dot is refused by the webhook (validation/host-format says so).
          if (h.excluded || h.namespace === '*' || !h.host.includes('.')) continue;
          if (!graph.ofKind('Service').some((s) => s.namespace === h.namespace) && !graph.ofKind('ServiceEntry').some((s) => s.namespace === h.namespace)) continue;
          const services = graph.services.forHost(h.host, null).filter((s) => s.namespace === h.namespace);
          const virtualServices = graph.ofKind('VirtualService').filter((vs) => vs.namespace === h.namespace &&
            (stringList(vs.spec.hosts) ?? []).some((x) => graph.resolveHost(x, vs.namespace).fqdn === h.host));
          if (services.length > 0 || virtualServices.length > 0) {
            // The scope is built only from what is exported to the Sidecar's namespace (servicesExportedToNamespace).
            if (services.some((s) => exportedTo(s.exportTo, s.namespace, sc.namespace))) continue;
            if (virtualServices.some((vs) => exportedTo(exportToOf(vs, graph.meshConfig).values, vs.namespace, sc.namespace))) continue;
            const what = [...services.map((s) => `${s.kind} ${s.namespace}/${s.object.name} (exportTo [${s.exportTo.map((v) => `"${v}"`).join(', ')}])`),
              ...virtualServices.map((vs) => `VirtualService ${vs.namespace}/${vs.name}`)].join(', ');
            ctx.report(sc, `Egress host "${h.entry}" names ${h.host}, but ${what} ${services.length + virtualServices.length > 1 ? 'are' : 'is'} not exported to namespace ${sc.namespace}: ` +
              `istiod builds the Sidecar's scope only from what is exported to its namespace, so the entry imports nothing; ` +
              `add "${sc.namespace}" (or "*") to the exportTo of ${services[0] ? `${services[0].kind} ${services[0].namespace}/${services[0].object.name}` : 'it'}`, { path: h.path });
            continue;
          }
          ctx.report(sc, `Egress host "${h.entry}" names ${h.host}, which no Service, ServiceEntry or VirtualService in namespace ${h.namespace} declares: ` +
            `egress hosts are matched literally (never expanded like VirtualService short names), so it imports nothing${hint(graph, sc.namespace, h.namespace, h.host)}`, { path: h.path });
        }
      }
    }
  },
};

/**
 * The services and VirtualServices of `namespace` when the input holds at least one Service or ServiceEntry there
 * and none of them, nor any of its VirtualServices, is exported to `to`; undefined otherwise.
 */
function nothingExported(graph: MeshGraph, namespace: string, to: string): string | undefined {
  const services = graph.services.all.filter((s) => s.namespace === namespace);
  if (services.length === 0 || services.some((s) => exportedTo(s.exportTo, s.namespace, to))) return undefined;
  const virtualServices = graph.ofKind('VirtualService').filter((vs) => vs.namespace === namespace);
  if (virtualServices.some((vs) => exportedTo(exportToOf(vs, graph.meshConfig).values, vs.namespace, to))) return undefined;
  const shown = services.slice(0, 3).map((s) => `${s.kind} ${s.namespace}/${s.object.name} (exportTo [${s.exportTo.map((v) => `"${v}"`).join(', ')}])`);
  return services.length > 3 ? `${shown.join(', ')} and ${services.length - 3} more` : shown.join(', ');
}

/** `; write "api/bar.api.svc.cluster.local"` when the host's labels name an existing Service; else a generic fix. */
function hint(graph: MeshGraph, sidecarNamespace: string, namespace: string, host: string): string {
  // The host is declared, but in another namespace: the namespace part names where the service is defined.
  const elsewhere = graph.services.forHost(host, null).filter((s) => s.namespace !== namespace && exportedTo(s.exportTo, s.namespace, sidecarNamespace));
  if (elsewhere.length > 0) {
    const owner = elsewhere[0]!;
    return `; ${owner.kind} ${owner.namespace}/${owner.object.name} declares it in namespace ${owner.namespace} (the namespace part is where the service is defined): ` +
      `write "${owner.namespace === sidecarNamespace ? '.' : owner.namespace}/${host}" or "*/${host}"`;
  }
  // `orders.shop.svc.corp.internal` for Service shop/orders under another cluster domain: say which domain was
  // assumed, rather than advise rewriting the host to it (right only when the assumption is).
  const domainHint = otherDomainHint(graph, host);
  if (domainHint) return `; ${domainHint}`;
  const [name, ns = namespace] = host.split('.');
  const svc = graph.get('Service', ns, name!) ?? graph.get('Service', namespace, name!);
  if (svc) {
    return `; write "${svc.namespace === sidecarNamespace ? '.' : svc.namespace}/${svc.name}.${svc.namespace}.svc.${graph.clusterDomain}" for Service ${svc.namespace}/${svc.name}`;
  }
  return `; write the service's FQDN (<name>.${namespace}.svc.${graph.clusterDomain}) or the ServiceEntry host as written`;
}

export default egressHostNotFound;
