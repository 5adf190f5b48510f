/**
 * Endpoints: one `ClusterLoadAssignment` per EDS cluster, from workload instances resolved through
 * Service selectors and subset labels, as istiod does with pods (`pilot/pkg/xds/endpoints`).
 */
import { create } from '@bufbuild/protobuf';
import { type ClusterLoadAssignment, ClusterLoadAssignmentSchema } from '../gen/envoy/config/endpoint/v3/endpoint_pb.js';
import type { ClusterView, ProxyView, ServicePortView, ServiceView } from '../../mesh/view/index.js';
import { outboundClusterName } from './clusters.js';
import type { WorkloadInstance } from './workload-file.js';

const REGION = 'topology.kubernetes.io/region';
const ZONE = 'topology.kubernetes.io/zone';

/**
 * One assignment per EDS cluster of the view (every cluster except DNS ServiceEntries), possibly
 * with no endpoints. Endpoints are grouped by locality (workload labels `topology.kubernetes.io/region`
 * and `/zone`, else the empty locality); each locality has `load_balancing_weight` = its endpoint
 * count, which grpc-js-xds requires.
 */
export function buildClusterLoadAssignments(view: ProxyView, workloads: readonly WorkloadInstance[]): ClusterLoadAssignment[] {
  const services = new Map(view.services.map((s) => [s.host, s]));
  return view.clusters
    .filter((c) => { const s = services.get(c.host); return !(s?.kind === 'ServiceEntry' && s.resolution === 'DNS'); })
    .map((c) => buildClusterLoadAssignment(c, services.get(c.host), workloads));
}

/** The assignment of one cluster: workloads selected by the service (and subset labels), on the target port. */
export function buildClusterLoadAssignment(c: ClusterView, service: ServiceView | undefined, workloads: readonly WorkloadInstance[]): ClusterLoadAssignment {
  const port = service?.ports.find((p) => p.number === c.port);
  const byLocality = new Map<string, { region: string; zone: string; addrs: { address: string; port: number }[] }>();
  if (service?.selector && port) {
    const selector = { ...service.selector, ...c.subsetLabels };
    for (const w of workloads) {
      if (w.namespace !== service.namespace || !matches(selector, w.labels)) continue;
      const target = targetPort(port, w);
      if (target === undefined) continue;
      const region = w.labels[REGION] ?? '';
      const zone = w.labels[ZONE] ?? '';
      const key = `${region}/${zone}`;
      let group = byLocality.get(key);
      if (!group) byLocality.set(key, (group = { region, zone, addrs: [] }));
      group.addrs.push({ address: w.address, port: target });
    }
  }
  return create(ClusterLoadAssignmentSchema, {
    clusterName: outboundClusterName(c.port, c.subset, c.host),
    endpoints: [...byLocality.values()].sort((a, b) => (a.region + a.zone).localeCompare(b.region + b.zone)).map((g) => ({
      locality: { region: g.region, zone: g.zone },
      loadBalancingWeight: g.addrs.length,
      lbEndpoints: g.addrs.sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port).map((a) => ({
        hostIdentifier: {
          case: 'endpoint' as const,
          value: { address: { address: { case: 'socketAddress' as const, value: { address: a.address, portSpecifier: { case: 'portValue' as const, value: a.port } } } } },
        },
        loadBalancingWeight: 1,
      })),
    })),
  });
}

/** The workload's port for a service port: a named targetPort looked up in the workload's ports, a numbered one as is, else the port's own name, else the service port. */
export function targetPort(port: ServicePortView, w: WorkloadInstance): number | undefined {
  if (typeof port.targetPort === 'number') return port.targetPort;
  if (typeof port.targetPort === 'string' && port.targetPort !== '') {
    const n = Number(port.targetPort);
    return Number.isInteger(n) && n > 0 ? n : w.ports[port.targetPort];
  }
  return w.ports[port.name] ?? port.number;
}

function matches(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
