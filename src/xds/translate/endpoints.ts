/**
 * Endpoints: one `ClusterLoadAssignment` per EDS cluster, from workload instances resolved through
 * Service selectors and subset labels, as istiod does with pods (`pilot/pkg/xds/endpoints`).
 */
import { createMessage as create } from '../create-message.js';
import { type ClusterParts, FRESH_PARTS } from './_parts.js';
import { servicesByHost } from './_services-by-host.js';
import { LocalitySchema } from '../gen/envoy/config/core/v3/base_pb.js';
import { type ClusterLoadAssignment, ClusterLoadAssignmentSchema } from '../gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { LbEndpointSchema } from '../gen/envoy/config/endpoint/v3/endpoint_components_pb.js';
import { outboundClusterName, type ClusterView, type ProxyView, type ServiceEntryEndpointView, type ServicePortView, type ServiceView } from '../../mesh/view/index.js';
import type { WorkloadInstance } from './workload-file.js';

const REGION = 'topology.kubernetes.io/region';
const ZONE = 'topology.kubernetes.io/zone';

/** Endpoint label that tells auto mTLS an endpoint runs Istio's sidecar (Envoy `transport_socket_matches`). */
const TLS_MODE_LABEL = 'security.istio.io/tlsMode';

/**
 * One assignment per EDS cluster of the view (not DNS, DNS_ROUND_ROBIN or NONE ServiceEntries), possibly
 * with no endpoints. Endpoints are grouped by locality (workload labels `topology.kubernetes.io/region`
 * and `/zone`, else the empty locality); each locality has `load_balancing_weight` = its endpoint
 * count, which grpc-js-xds requires.
 */
export function buildClusterLoadAssignments(view: ProxyView, workloads: readonly WorkloadInstance[]): ClusterLoadAssignment[] {
  const services = servicesByHost(view);
  const index = workloadIndex(workloads);
  return view.clusters
    .filter((c) => c.discovery === 'EDS')
    .map((c) => buildClusterLoadAssignment(c, services.get(c.host), index));
}

const INDEXES = new WeakMap<readonly WorkloadInstance[], WorkloadIndex>();

/** The index of a workloads list, built once per list (treat the list and its instances as read-only). */
export function workloadIndex(workloads: readonly WorkloadInstance[]): WorkloadIndex {
  let index = INDEXES.get(workloads);
  if (!index) INDEXES.set(workloads, (index = new WorkloadIndex(workloads)));
  return index;
}

/**
 * Workloads by namespace and by each `label=value`, so a selector looks at the workloads carrying one
 * of its labels instead of every workload (3,000 clusters × 2,000 workloads was most of a
 * 1,000-service translation). Candidates keep the input order.
 */
export class WorkloadIndex {
  private readonly byLabel = new Map<string, WorkloadInstance[]>();
  constructor(readonly all: readonly WorkloadInstance[]) {
    for (const w of all) {
      for (const [k, v] of Object.entries(w.labels)) {
        const key = `${w.namespace}\0${k}\0${v}`;
        const list = this.byLabel.get(key);
        if (list) list.push(w);
        else this.byLabel.set(key, [w]);
      }
    }
  }
  /** Workloads in `namespace` that carry every label of `selector` (a non-empty selector). */
  select(namespace: string, selector: Readonly<Record<string, string>>): WorkloadInstance[] {
    let smallest: WorkloadInstance[] | undefined;
    for (const k in selector) {
      const list = this.byLabel.get(`${namespace}\0${k}\0${selector[k]}`);
      if (!list) return [];
      if (!smallest || list.length < smallest.length) smallest = list;
    }
    const out: WorkloadInstance[] = [];
    for (const w of smallest ?? []) if (matches(selector, w.labels)) out.push(w);
    return out;
  }
}

interface Group { region: string; zone: string; subZone: string; addrs: { address: string; port: number; weight: number; tlsMode?: string }[] }

function groupOf(byLocality: Map<string, Group>, region: string, zone: string, subZone: string): Group {
  const key = `${region}/${zone}/${subZone}`;
  let group = byLocality.get(key);
  if (!group) byLocality.set(key, (group = { region, zone, subZone, addrs: [] }));
  return group;
}

/**
 * The assignment of one cluster: workloads selected by the service (and subset labels), on the target
 * port, plus a ServiceEntry's own endpoints (`spec.endpoints`, selected WorkloadEntries) from the view.
 * An endpoint labelled `security.istio.io/tlsMode` (other than `disabled`) carries it as
 * `envoy.transport_socket_match` metadata, which auto mTLS clusters match on.
 */
export function buildClusterLoadAssignment(c: ClusterView, service: ServiceView | undefined, workloads: readonly WorkloadInstance[] | WorkloadIndex, parts: ClusterParts = FRESH_PARTS): ClusterLoadAssignment {
  const port = service?.ports.find((p) => p.number === c.port);
  const byLocality = new Map<string, Group>();
  for (const e of c.endpoints ?? []) {
    const [region = '', zone = '', subZone = ''] = e.locality.split('/');
    groupOf(byLocality, region, zone, subZone).addrs.push(addr(e.address, e.port, e.weight, e.tlsMode));
  }
  if (service?.selector && port) {
    const selector = { ...service.selector, ...c.subsetLabels };
    const selected = Object.keys(selector).length === 0
      ? [...(workloads instanceof WorkloadIndex ? workloads.all : workloads)].filter((w) => w.namespace === service.namespace)
      : (workloads instanceof WorkloadIndex ? workloads : new WorkloadIndex(workloads)).select(service.namespace, selector);
    for (const w of selected) {
      const target = targetPort(port, w);
      if (target === undefined) continue;
      groupOf(byLocality, w.labels[REGION] ?? '', w.labels[ZONE] ?? '', '').addrs.push(addr(w.address, target, 1, w.labels[TLS_MODE_LABEL]));
    }
  }
  return assignment(outboundClusterName(c.port, c.subset, c.host), byLocality, parts);
}

/**
 * An endpoint of a group, with its sidecar marker as istiod's `AppendLbEndpointMetadata`: the endpoint's
 * TLS mode (a pod's label `security.istio.io/tlsMode`, which the injector sets to `istio`; a ServiceEntry
 * endpoint's {@link ServiceEntryEndpointView.tlsMode}); absent or `disabled` gives no metadata, so auto
 * mTLS (`transport_socket_matches`) falls back to plaintext for that endpoint.
 */
function addr(address: string, port: number, weight: number, mode: string | undefined): Group['addrs'][number] {
  return mode && mode !== 'disabled' ? { address, port, weight, tlsMode: mode } : { address, port, weight };
}

// Localities and endpoints are parts: a workload's endpoint is in its service's default cluster and
// in its subset's, and the translation cache shares one message between them.
function assignment(clusterName: string, byLocality: Map<string, Group>, parts: ClusterParts): ClusterLoadAssignment {
  return create(ClusterLoadAssignmentSchema, {
    clusterName,
    endpoints: [...byLocality.values()].sort((a, b) => `${a.region}/${a.zone}/${a.subZone}`.localeCompare(`${b.region}/${b.zone}/${b.subZone}`)).map((g) => ({
      locality: parts.part(`locality\0${g.region}\0${g.zone}\0${g.subZone}`, LocalitySchema, () => create(LocalitySchema, { region: g.region, zone: g.zone, subZone: g.subZone })),
      loadBalancingWeight: g.addrs.reduce((n, a) => n + a.weight, 0),
      lbEndpoints: g.addrs.sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port).map((a) => parts.part(`lbEndpoint\0${a.address}\0${a.port}\0${a.weight}\0${a.tlsMode ?? ''}`, LbEndpointSchema, () => create(LbEndpointSchema, {
        hostIdentifier: {
          case: 'endpoint' as const,
          value: { address: { address: { case: 'socketAddress' as const, value: { address: a.address, portSpecifier: { case: 'portValue' as const, value: a.port } } } } },
        },
        loadBalancingWeight: a.weight,
        ...(a.tlsMode ? { metadata: { filterMetadata: { 'envoy.transport_socket_match': { tlsMode: a.tlsMode } } } } : {}),
      }))),
    })),
  });
}

/** The inline `load_assignment` of a STRICT_DNS / LOGICAL_DNS cluster: the ServiceEntry's addresses (host names allowed), with their TLS mode metadata as EDS endpoints. */
export function buildStaticLoadAssignment(clusterName: string, endpoints: readonly ServiceEntryEndpointView[]): ClusterLoadAssignment {
  const byLocality = new Map<string, Group>();
  for (const e of endpoints) {
    const [region = '', zone = '', subZone = ''] = e.locality.split('/');
    groupOf(byLocality, region, zone, subZone).addrs.push(addr(e.address, e.port, e.weight, e.tlsMode));
  }
  return assignment(clusterName, byLocality, FRESH_PARTS);
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
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}
