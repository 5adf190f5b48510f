/**
 * The upstream clusters a proxy needs (`outbound|<port>|<subset>|<fqdn>`), each with the
 * DestinationRule in force for this proxy and its merged traffic policy.
 */
import type { MeshGraph } from '../graph.js';
import type { ServiceInfo } from '../services.js';
import type { Dataplane } from '../membership.js';
import type { MergedDestinationRule } from '../destination-rules.js';
import { originOf } from './origin.js';
import { clusterPolicy, outboundClusterName } from './traffic-policy.js';
import type { ClusterView } from './types.js';

const DATAPLANES = new WeakMap<ServiceInfo, Dataplane>();

/** The data plane of the workloads behind a service: one answer when they agree, else `unknown`. */
export function serviceDataplane(graph: MeshGraph, s: ServiceInfo): Dataplane {
  let d = DATAPLANES.get(s);
  if (d === undefined) DATAPLANES.set(s, (d = computeDataplane(graph, s)));
  return d;
}

function computeDataplane(graph: MeshGraph, s: ServiceInfo): Dataplane {
  if (!s.selector) return s.kind === 'ServiceEntry' ? 'none' : 'unknown';
  const workloads = graph.workloadsSelectedBy(s.namespace, s.selector);
  if (workloads.length === 0) return 'unknown';
  const planes = new Set(workloads.map((w) => graph.membershipOf(w).dataplane));
  return planes.size === 1 ? [...planes][0]! : 'unknown';
}

/** Cluster views shared by every proxy of a graph: same DestinationRule(s), port and subset, same cluster. */
const SHARED = new WeakMap<MeshGraph, Map<string, ClusterView>>();

/** Collects clusters for one proxy; DestinationRule lookups are memoised per host. */
export class ClusterCollector {
  private readonly clusters = new Map<string, ClusterView>();
  private readonly rules = new Map<string, MergedDestinationRule | null>();
  private readonly shared: Map<string, ClusterView>;

  constructor(
    private readonly graph: MeshGraph,
    private readonly proxyNamespace: string,
    private readonly proxyLabels: Readonly<Record<string, string>>,
  ) {
    let shared = SHARED.get(graph);
    if (!shared) SHARED.set(graph, (shared = new Map()));
    this.shared = shared;
  }

  /** The merged DestinationRule this proxy uses for `host` (resolved FQDN). */
  destinationRule(host: string): MergedDestinationRule | null {
    if (!this.rules.has(host)) this.rules.set(host, this.graph.destinationRuleFor(host, this.proxyNamespace, this.proxyLabels));
    return this.rules.get(host)!;
  }

  /** Adds (once) the cluster for `service` on `port`, `subset`; returns its name. */
  add(service: ServiceInfo, host: string, port: number, subset: string | undefined): string {
    const name = outboundClusterName(port, subset, host);
    if (this.clusters.has(name)) return name;
    const dr = this.destinationRule(host);
    const sharedKey = `${dr ? `${dr.namespace}/${dr.rules.map((r) => r.name).join(',')}` : '-'}\u0000${name}`;
    const known = this.shared.get(sharedKey);
    if (known) {
      this.clusters.set(name, known);
      return name;
    }
    const labels = subset === undefined ? undefined : dr?.subsets.find((s) => s.name === subset)?.labels;
    const view: ClusterView = {
      name, host, port,
      ...(subset !== undefined ? { subset } : {}),
      ...(labels ? { subsetLabels: { ...labels } } : {}),
      policy: clusterPolicy(dr, port, subset, this.graph.meshConfig, serviceDataplane(this.graph, service), service.location === 'MESH_EXTERNAL'),
      destinationRule: dr && { scope: dr.scope, rules: dr.rules.map((o) => originOf(o, ['spec'])) },
    };
    this.shared.set(sharedKey, view);
    this.clusters.set(name, view);
    return name;
  }

  all(): ClusterView[] {
    return [...this.clusters.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
