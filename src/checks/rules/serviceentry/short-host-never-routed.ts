import type { MeshGraph, ServiceInfo } from '../../../mesh/graph.js';
import { isWildcard } from '../../../mesh/hosts.js';
import { stringList, type MeshObject } from '../../../mesh/object.js';
import { push } from '../../../mesh/services.js';
import { exportedTo } from '../../../mesh/visibility.js';
import type { Rule } from '../../rule.js';
import { destinationsOf, hostOf } from '../references/_helpers.js';
import { isMeshBound } from '../routing/_helpers.js';

/**
 * `serviceentry/short-host-never-routed`: a VirtualService (or a DestinationRule) names, by its short name or its Kubernetes FQDN, a
 * ServiceEntry host written without a dot. istiod keeps ServiceEntry hosts as written
 * (`serviceentry/conversion.go` `convertServices`: `host.Name(hostname)`) but expands a VirtualService's short hosts
 * and destinations in the VirtualService's namespace, and a DestinationRule's host in its own (`model.ResolveShortnameToFQDN`), so the two never meet.
 * The model keeps the host as written too (`ServiceInfo.host`), so the per-proxy view and xDS reproduce the miss;
 * `istioctl analyze` (`util.InitServiceEntryHostMap`) expands it (`ServiceInfo.analyzerHost`), so IST0101 sees a
 * match. This rule reports the gap istiod leaves.
 */
const shortHostNeverRouted: Rule = {
  id: 'serviceentry/short-host-never-routed',
  severity: 'warning',
  summary: 'A VirtualService host or destination, or a DestinationRule host, names a ServiceEntry host written without a dot (`payments`): istiod keeps the ServiceEntry host as written but expands the other\'s to `payments.<namespace>.svc.<cluster domain>`, so they never meet.',
  docs: [
    'istiod keeps a ServiceEntry host as written: `hosts: [payments]` is the service `payments`, with the cluster',
    '`outbound|<port>||payments` (`serviceentry/conversion.go`). A VirtualService host or destination without a dot is',
    'expanded in the VirtualService\'s namespace (`ResolveShortnameToFQDN`): `payments` in namespace `shop` is',
    '`payments.shop.svc.cluster.local`, and no VirtualService host can stay short. So a mesh VirtualService for',
    '`payments` (or `payments.shop.svc.cluster.local`) binds to no service, and sidecars serve the ServiceEntry',
    'traffic from its default route without the VirtualService\'s routes, retries and faults (warning); a route',
    'destination `payments` names the cluster `outbound|<port>||payments.shop.svc.cluster.local`, which CDS never has,',
    'so Envoy answers 503 NC (error). `istioctl analyze` expands the ServiceEntry host as well and reports neither',
    '(IST0101 keeps its verdict; a destination is reported here only where the ServiceEntry is in the VirtualService\'s namespace, since elsewhere IST0101 reports it). Reported when the ServiceEntry is exported to the VirtualService\'s namespace and',
    'no Service or ServiceEntry of the input has the expanded name. Fix: write the ServiceEntry host as the',
    'VirtualService resolves it (`payments.shop.svc.cluster.local`, or another name with a dot) and name that same',
    'host in the VirtualService; a short ServiceEntry host can only be reached by its default route.',
    'A DestinationRule host is expanded the same way, so a DestinationRule `payments` never configures the ServiceEntry',
    'host `payments`: its load balancing, connection pool, outlier detection, TLS and subsets are lost (warning;',
    'reported where the ServiceEntry is in the DestinationRule\'s namespace, since elsewhere IST0174 reports it).',
  ].join(' '),
  kinds: ['VirtualService', 'DestinationRule', 'ServiceEntry', 'Service'],
  check(graph, ctx) {
    const short = shortEntryHosts(graph);
    if (short.size === 0) return;
    for (const vs of graph.ofKind('VirtualService')) {
      if (isMeshBound(vs)) {
        (stringList(vs.spec.hosts) ?? []).forEach((h, i) => {
          const miss = missedEntries(graph, short, vs, h);
          if (!miss) return;
          ctx.report(vs, `Host "${h}" ${resolution(h, miss.fqdn, "a VirtualService's")}, but ${miss.entries} ` +
            `declares the host "${miss.name}", which istiod keeps as written: the two never meet, so sidecars send calls to "${miss.name}" by the ServiceEntry's default route ` +
            `and this VirtualService's routes, retries and faults never apply. Fix: write the ServiceEntry host as "${miss.fqdn}" (or another name with a dot) and name that host here`,
          { path: ['spec', 'hosts', i] });
        });
      }
      for (const d of destinationsOf(vs)) {
        const h = hostOf(d.destination);
        // Only where IST0101 is silent (the entry expanded in this namespace): elsewhere it reports the destination itself.
        const miss = h === undefined ? undefined : missedEntries(graph, short, vs, h, true);
        if (!miss) continue;
        ctx.report(vs, `Destination host "${h}" resolves to ${miss.fqdn} (istiod expands a short host in the VirtualService's namespace), but ${miss.entries} ` +
          `declares the host "${miss.name}", which istiod keeps as written: the ${d.what} names cluster outbound|<port>||${miss.fqdn}, which CDS never has, so Envoy answers 503 NC. ` +
          `Fix: write the ServiceEntry host as "${miss.fqdn}" (or another name with a dot) and use that host here`,
        { path: [...d.path, 'host'], severity: 'error' });
      }
    }
    for (const dr of graph.ofKind('DestinationRule')) {
      const h = dr.spec.host;
      // Only where IST0174 is silent (the entry expanded in this namespace): elsewhere it reports the host itself.
      const miss = typeof h === 'string' && h !== '' ? missedEntries(graph, short, dr, h, true) : undefined;
      if (!miss) continue;
      ctx.report(dr, `Host "${h}" ${resolution(String(h), miss.fqdn, "a DestinationRule's")}, but ${miss.entries} ` +
        `declares the host "${miss.name}", which istiod keeps as written: this DestinationRule's traffic policy and subsets never apply to it ` +
        `(its clusters keep the mesh defaults, and a route to one of these subsets finds no cluster). ` +
        `Fix: write the ServiceEntry host as "${miss.fqdn}" (or another name with a dot) and name that host here`,
      { path: ['spec', 'host'] });
    }
  },
};

export default shortHostNeverRouted;

/**
 * ServiceEntry hosts written without a dot (and not `*`), by the host istiod keeps, with the registry entry of each:
 * exactly the services whose `analyzerHost` (the analyzers' expansion) differs from their `host`.
 */
function shortEntryHosts(graph: MeshGraph): Map<string, ServiceInfo[]> {
  const out = new Map<string, ServiceInfo[]>();
  for (const s of graph.services.all) if (s.analyzerHost !== s.host) push(out, s.host, s);
  return out;
}

/**
 * For `host` written in `vs` (a VirtualService or a DestinationRule): the short ServiceEntry hosts it was meant for and never meets. `host` is a short name,
 * or a Kubernetes FQDN whose first label is one; the ServiceEntry must be exported to the VirtualService's namespace,
 * and no Service or ServiceEntry may have the expanded name as its istiod host (then the VirtualService applies to
 * that one). `sameName`: only entries that `istioctl analyze` expands to that very name (`analyzerHost`).
 */
function missedEntries(graph: MeshGraph, short: ReadonlyMap<string, ServiceInfo[]>, vs: MeshObject, host: string, sameName = false): { fqdn: string; name: string; entries: string } | undefined {
  if (isWildcard(host)) return undefined;
  const fqdn = graph.resolveHost(host, vs.namespace).fqdn;
  const name = host.includes('.') ? kubernetesShortName(fqdn, graph.clusterDomain) : host;
  const entries = name === undefined ? undefined : short.get(name)?.filter((s) => exportedTo(s.exportTo, s.namespace, vs.namespace) && (!sameName || s.analyzerHost === fqdn));
  if (!entries || entries.length === 0) return undefined;
  if (graph.services.forHost(fqdn, vs.namespace).length > 0) return undefined;
  const objects = [...new Set(entries.map((s) => s.object))];
  return { fqdn, name: name!, entries: objects.map((o) => `ServiceEntry ${o.namespace}/${o.name}`).join(' and ') };
}

/** How a host written `host` comes to name `fqdn`: expanded when written short, else named as written. */
function resolution(host: string, fqdn: string, whose: string): string {
  return host === fqdn ? `names ${fqdn} as written` : `resolves to ${fqdn} (istiod expands ${whose} short host in its own namespace)`;
}

/** `payments` for `payments.<namespace>.svc.<domain>`; undefined for any other host. */
function kubernetesShortName(fqdn: string, domain: string): string | undefined {
  const labels = fqdn.split('.');
  return labels.length >= 4 && labels[2] === 'svc' && labels.slice(3).join('.') === domain ? labels[0] : undefined;
}
