import type { ServiceInfo } from '../../../mesh/graph.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import { exportedTo, exportToOf, importingEntry, sidecarEgress, type EgressListenerImports } from '../../../mesh/visibility.js';
import type { Rule } from '../../rule.js';
import { destinationsOf, hostOf, portOf } from '../references/_helpers.js';

/** One egress listener as istiod selects services for it: `port` only when it must match (needsPortMatch). */
interface Listener extends EgressListenerImports {
  readonly matchPort: number | undefined;
}

/**
 * `sidecar/route-destination-not-imported`: a Sidecar's egress listener bound to a port imports a
 * VirtualService but not the service its route sends to, so the sidecars have no cluster for it.
 */
const routeDestinationNotImported: Rule = {
  id: 'sidecar/route-destination-not-imported',
  severity: 'warning',
  summary: 'A Sidecar egress listener bound to a port imports a VirtualService whose route destination service lacks that port and is imported by no egress host, so its sidecars have no cluster for it (503 NC).',
  docs: [
    'A Sidecar narrows what its proxies get: the services its `egress[].hosts` import, and the destinations of the',
    'VirtualServices they import (pilot/pkg/model/sidecar.go convertToSidecarScope, "Infer more possible destinations from',
    'virtual services"). For an egress listener bound to a port (not HTTP_PROXY), istiod infers only a destination service',
    'that has that port (serviceMatchingListenerPort), and takes only that port of a service it imports. A VirtualService',
    'imported through a port-9080 listener that routes to a service on port 8080, which no egress host imports, therefore',
    'points at a cluster the sidecars never receive: the route answers 503 (NC). Judged for VirtualServices bound to mesh',
    'and exported to the Sidecar\'s namespace, for destinations whose service is in the input and visible there; a rule whose',
    'every match names another `sourceNamespace` is left out, as istiod leaves out its destinations. Fix: import the',
    'destination in an egress listener without port (or with the destination\'s port), e.g. `ledger/ledger.ledger.svc.cluster.local`.',
  ].join(' '),
  kinds: ['Sidecar', 'VirtualService', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const sc of graph.ofKind('Sidecar')) {
      const listeners = listenersOf(sc);
      if (listeners.length === 0 || listeners.every((l) => l.matchPort === undefined)) continue;
      const ns = sc.namespace;
      for (const vs of graph.ofKind('VirtualService')) {
        if (!graph.gatewaysOf(vs).some((g) => g.mesh)) continue;
        if (!exportedTo(exportToOf(vs, graph.meshConfig).values, vs.namespace, ns)) continue;
        const hosts = (stringList(vs.spec.hosts) ?? []).map((h) => graph.resolveHost(h, vs.namespace).fqdn);
        const importing = listeners.filter((l) => hosts.some((h) => importingEntry(l.hosts, vs.namespace, h) !== undefined));
        if (importing.length === 0) continue;
        for (const d of destinationsOf(vs)) {
          const written = hostOf(d.destination);
          if (!written || !appliesIn(vs, d.section, d.rule, ns)) continue;
          const host = graph.resolveHost(written, vs.namespace).fqdn;
          if (host.includes('*')) continue;
          const service = pickService(graph.services.forHost(host, ns).filter((s) => s.host === host), ns);
          if (!service) continue;
          const port = portOf(d.destination);
          const ports = importedPorts(service, listeners, importing);
          if (ports === 'all' || (ports.size > 0 && (port === undefined || ports.has(port)))) continue;
          const via = importing.filter((l) => l.matchPort !== undefined).map((l) => `spec.egress[${String(l.path[2])}] (port ${String(l.matchPort)})`);
          ctx.report(vs, `Route ${d.what} ${host}${port !== undefined ? ` port ${String(port)}` : ''} is not in the scope of the sidecars Sidecar ${ns}/${sc.name} configures: ` +
            (ports.size === 0
              ? `its egress listener ${via.join(', ')} imports this VirtualService, but istiod adds a VirtualService destination to a listener bound to a port only when the service has that port (sidecar.go serviceMatchingListenerPort), and no egress host imports ${service.namespace}/${host}`
              : `its egress listeners import ${service.namespace}/${host} only on port ${[...ports].sort((a, b) => a - b).join(', ')}`) +
            `, so they have no cluster for it and requests on this route get 503 (NC). Fix: add "${service.namespace === ns ? '.' : service.namespace}/${host}" to the hosts of an egress listener without port` +
            `${port !== undefined ? ` or with port ${String(port)}` : ''}`, { path: d.path });
        }
      }
    }
  },
};

function listenersOf(sc: MeshObject): Listener[] {
  const egress = Array.isArray(sc.spec.egress) ? sc.spec.egress : [];
  return sidecarEgress(sc).listeners.map((l) => {
    const written = egress[l.path[2] as number];
    const protocol = isRecord(written) && isRecord(written.port) && typeof written.port.protocol === 'string' ? written.port.protocol.toUpperCase() : '';
    // needsPortMatch: a listener with a port matches services by it, unless it is an HTTP_PROXY listener.
    return { ...l, matchPort: protocol === 'HTTP_PROXY' ? undefined : l.port };
  });
}

/** Whether a rule's destinations count for proxies in `ns` (virtualServiceDestinationsFilteredBySourceNamespace). */
function appliesIn(vs: MeshObject, section: string, rule: number, ns: string): boolean {
  if (section !== 'http') return true;
  const r = (vs.spec.http as unknown[])[rule];
  const matches = isRecord(r) && Array.isArray(r.match) ? r.match.filter(isRecord) : [];
  const named = matches.map((m) => (typeof m.sourceNamespace === 'string' && m.sourceNamespace !== '' ? m.sourceNamespace : undefined));
  return named.length === 0 || named.some((n) => n === undefined || n === ns);
}

/** The service istiod picks for a destination host: the one in `ns`, else the first visible namespace alphabetically. */
function pickService(candidates: readonly ServiceInfo[], ns: string): ServiceInfo | undefined {
  return candidates.find((s) => s.namespace === ns) ?? [...candidates].sort((a, b) => (a.namespace < b.namespace ? -1 : 1))[0];
}

/** The ports of `service` the sidecars get: through an egress host importing it, or as a destination of an imported VirtualService. */
function importedPorts(service: ServiceInfo, all: readonly Listener[], importingVs: readonly Listener[]): Set<number> | 'all' {
  const out = new Set<number>();
  const has = (p: number) => service.ports.some((x) => x.number === p);
  for (const l of all) {
    const byHost = importingEntry(l.hosts, service.namespace, service.host) !== undefined;
    if (!byHost && !importingVs.includes(l)) continue;
    if (l.matchPort === undefined) return 'all';
    if (has(l.matchPort)) out.add(l.matchPort);
  }
  return out;
}

export default routeDestinationNotImported;
