/**
 * The translation cache: outbound clusters, their load assignments and sidecar route configurations
 * built once per set of inputs and shared by every proxy whose inputs are the same objects, as
 * istiod's XdsCache keys CDS/EDS/RDS entries on the configs they depend on
 * (`pilot/pkg/model/xds_cache.go`, `clusterCache` in `pilot/pkg/networking/core/cluster_builder.go`).
 *
 * What each entry is keyed on (object identity first, then a string of the proxy-dependent bits):
 *
 * | resource | objects | string |
 * |---|---|---|
 * | outbound `Cluster` | the `ClusterView` (`sharedClusterView`), its `ServiceView` | client (sidecar, proxyless, router) |
 * | `ClusterLoadAssignment` | the workloads list, the `ClusterView` (`sharedClusterView`), its `ServiceView` | – |
 * | sidecar `RouteConfiguration`s | `view.routes`, `view.services`, `view.clusters` | proxy namespace, cluster domain, outbound traffic policy, proxyless, the default cluster names |
 *
 * The view entries are immutable and shared: `buildProxyView` caches a sidecar's scope per
 * namespace and Sidecar resource (istiod's SidecarScope), a `ClusterView` per destination rule and
 * cluster name, a `ServiceView` per service, all per `MeshGraph`. So a new graph (any config change)
 * or a new workloads list brings new key objects, and what was built for the old ones is never
 * served for them through these keys. Memory: every entry hangs off a WeakMap keyed on those
 * objects and is collected with them (the graph holds its views; the caller holds its workloads list).
 *
 * Across graphs: a graph built with `carryOver` or on a `previous` graph (`xds serve` reloads) also
 * keeps its clusters, load assignments and virtual hosts by CONTENT (`carry-over.ts`): when the
 * object keys above miss, an entry whose fingerprint (exactly what its builder reads) is unchanged
 * since the previous graph is taken from it, with its packed bytes, as istiod's XdsCache keeps
 * entries whose dependent configs did not change. The per-graph view itself is still computed afresh.
 *
 * Not cached: listeners (the verify runtime rewrites outbound listener addresses in place; a
 * proxyless node's `api_listener`s, which have no address, are shared per name: `buildApiListener`), inbound
 * clusters and listeners (per workload, rewritten the same way), default clusters, and everything
 * of a router (its view is computed afresh per proxy, so nothing would be shared).
 *
 * Cached messages are shared between calls and snapshots: treat them as read-only (they are marked
 * reusable, so the snapshot packs them once). Being read-only, cached clusters and load assignments
 * also share the sub-messages they have alike (`_parts.ts`: timeouts, circuit breakers, outlier
 * detection, the plaintext socket match, one endpoint in a service's default and subset assignment).
 */
import type { Cluster } from '../gen/envoy/config/cluster/v3/cluster_pb.js';
import type { ClusterLoadAssignment } from '../gen/envoy/config/endpoint/v3/endpoint_pb.js';
import type { RouteConfiguration } from '../gen/envoy/config/route/v3/route_pb.js';
import { type ClusterView, type ProxyView, type ServiceView, graphOfView, sharedClusterView } from '../../mesh/view/index.js';
import { markReusable, markReusableList, withEncoding } from '../pack-cache.js';
import { type CarryOverStore, assignmentKey, carryOverStoreOf, clusterKey } from './carry-over.js';
import { type OutboundClient, SHARED_PARTS, buildOutboundCluster, outboundClient } from './clusters.js';
import { buildClusterLoadAssignment, workloadIndex } from './endpoints.js';
import type { RouteEnv } from './route.js';
import { buildRouteConfigurations, routeConfigurationEncoding } from './routes.js';
import { servicesByHost } from './_services-by-host.js';
import type { WorkloadInstance } from './workload-file.js';

/** Stands for "no service" in a key (a cluster whose host has no ServiceView in the view). */
const NO_SERVICE = Object.freeze({});

interface Node<T> {
  /** Children by the next key object; made on the first child (a leaf has none). */
  next?: WeakMap<object, Node<T>>;
  /** The first variant built here and its value, inline; further variants in `more`. */
  variant?: string;
  value?: T;
  more?: Map<string, T>;
}

/**
 * A memo keyed on a chain of objects and a string: `get([a, b], 'x', build)` builds once per
 * (a, b, 'x'). An entry lives as long as every object of its key (nested WeakMaps). A node makes
 * its WeakMap and variant Map only when it needs them (WeakMaps cost the garbage collector).
 */
export class ObjectKeyedMemo<T> {
  private readonly root: Node<T> = {};
  private misses = 0;

  get(keys: readonly object[], variant: string, build: () => T): T {
    let node = this.root;
    for (const k of keys) {
      const next = (node.next ??= new WeakMap());
      let child = next.get(k);
      if (!child) next.set(k, (child = {}));
      node = child;
    }
    if (node.variant === variant) return node.value!;
    if (node.more?.has(variant)) return node.more.get(variant)!;
    this.misses++;
    const value = build();
    if (node.variant === undefined) {
      node.variant = variant;
      node.value = value;
    } else {
      (node.more ??= new Map()).set(variant, value);
    }
    return value;
  }

  /** How many times `build` ran (tests: proof that a second proxy reused what the first built). */
  get builds(): number {
    return this.misses;
  }
}

/**
 * Per shared cluster view: what was built for it, for its service view (nearly always one: the
 * view's host has one service), and any other service view it met. One WeakMap entry and one small
 * object per cluster instead of a chain of WeakMaps: a cold 1,000-service sidecar builds 6,000.
 */
interface Entry<T> { readonly service: object; value?: T; proxyless?: T; router?: T; others?: Map<object, Entry<T>> }

function entryOf<T>(map: WeakMap<object, Entry<T>>, view: object, service: object): Entry<T> {
  let e = map.get(view);
  if (!e) map.set(view, (e = { service }));
  if (e.service === service) return e;
  let other = e.others?.get(service);
  if (!other) (e.others ??= new Map()).set(service, (other = { service }));
  return other;
}

const CLUSTERS = new WeakMap<object, Entry<Cluster>>();
/** Per workloads list, as CLUSTERS. */
const ASSIGNMENTS = new WeakMap<readonly WorkloadInstance[], WeakMap<object, Entry<ClusterLoadAssignment>>>();
const builds = { clusters: 0, endpoints: 0 };
const ROUTES = new ObjectKeyedMemo<readonly RouteConfiguration[]>();
// Whole lists per scope, so the Nth sidecar of a namespace does one lookup instead of one per cluster.
const CLUSTER_LISTS = new ObjectKeyedMemo<readonly Cluster[]>();
const ASSIGNMENT_LISTS = new ObjectKeyedMemo<readonly ClusterLoadAssignment[]>();

/** How many resources (route configurations: lists) each cache has built so far in this process. */
export function translationCacheBuilds(): { clusters: number; endpoints: number; routes: number } {
  return { clusters: builds.clusters, endpoints: builds.endpoints, routes: ROUTES.builds };
}

/**
 * `buildOutboundCluster(c, service, client)`, once per (cluster view, service view, client);
 * with a carry-over store (`carry-over.ts`), once per their content across graphs.
 */
export function cachedOutboundCluster(c: ClusterView, service: ServiceView | undefined, client: OutboundClient, carry?: CarryOverStore): Cluster {
  const shared = sharedClusterView(c);
  const e = entryOf(CLUSTERS, shared, service ?? NO_SERVICE);
  const slot = client === 'sidecar' ? 'value' : client;
  const known = e[slot];
  if (known) {
    carry?.keep('clusters', (store) => clusterKey(store, shared, service, client), known);
    return known;
  }
  const make = (): Cluster => {
    builds.clusters++;
    return markReusable(buildOutboundCluster(c, service, client, SHARED_PARTS));
  };
  return (e[slot] = carry ? carry.take('clusters', (store) => clusterKey(store, shared, service, client), make) : make());
}

/**
 * `buildClusterLoadAssignment(c, service, workloads)`, once per (workloads list, cluster view, service
 * view); with a carry-over store, once per their content across graphs and workloads lists.
 */
export function cachedClusterLoadAssignment(c: ClusterView, service: ServiceView | undefined, workloads: readonly WorkloadInstance[], carry?: CarryOverStore): ClusterLoadAssignment {
  let byView = ASSIGNMENTS.get(workloads);
  if (!byView) ASSIGNMENTS.set(workloads, (byView = new WeakMap()));
  const shared = sharedClusterView(c);
  const e = entryOf(byView, shared, service ?? NO_SERVICE);
  if (e.value) {
    carry?.keep('endpoints', (store) => assignmentKey(store, shared, service, workloads), e.value);
    return e.value;
  }
  const make = (): ClusterLoadAssignment => {
    builds.endpoints++;
    return markReusable(buildClusterLoadAssignment(c, service, workloadIndex(workloads), SHARED_PARTS));
  };
  return (e.value = carry ? carry.take('endpoints', (store) => assignmentKey(store, shared, service, workloads), make) : make());
}

/** Every outbound cluster of the view, in `view.clusters` order, once per (clusters, services, client: `outboundClient`). */
export function cachedOutboundClusters(view: ProxyView, proxyless: boolean): readonly Cluster[] {
  const client = outboundClient(view, proxyless);
  return CLUSTER_LISTS.get([view.clusters, view.services], client, () => {
    const services = servicesByHost(view);
    const carry = carryOverStoreOf(graphOfView(view));
    return Object.freeze(view.clusters.map((c) => cachedOutboundCluster(c, services.get(c.host), client, carry)));
  });
}

/** The load assignment of every EDS cluster of the view, in order, once per (workloads, clusters, services). */
export function cachedClusterLoadAssignments(view: ProxyView, workloads: readonly WorkloadInstance[]): readonly ClusterLoadAssignment[] {
  return ASSIGNMENT_LISTS.get([workloads, view.clusters, view.services], '', () => {
    const services = servicesByHost(view);
    const carry = carryOverStoreOf(graphOfView(view));
    return markReusableList(view.clusters.filter((c) => c.discovery === 'EDS').map((c) => cachedClusterLoadAssignment(c, services.get(c.host), workloads, carry)));
  });
}

/**
 * A sidecar's route configurations (`buildRouteConfigurations`), once per scope and proxy-dependent
 * inputs. `defaultClusters` are the names besides `view.clusters` a route may point at
 * (`BlackHoleCluster`, `PassthroughCluster`); inbound cluster names are left out of the route
 * environment on purpose: a route destination is always an outbound cluster (the view names it with
 * `outboundClusterName`), so they cannot change a route, and leaving them out lets sidecars of
 * workloads with different ports share one entry.
 */
export function cachedSidecarRoutes(view: ProxyView, defaultClusters: readonly string[], proxyless: boolean): readonly RouteConfiguration[] {
  const variant = JSON.stringify([view.proxy.type, view.proxy.namespace, view.clusterDomain, view.outboundTrafficPolicy, proxyless, defaultClusters]);
  return ROUTES.get([view.routes, view.services, view.clusters], variant, () => {
    const carry = carryOverStoreOf(graphOfView(view));
    const env: RouteEnv = { clusters: new Set([...view.clusters.map((c) => c.name), ...defaultClusters]), proxyless, parts: SHARED_PARTS, ...(carry ? { carry } : {}) };
    return markReusableList(buildRouteConfigurations(view, env, proxyless, true).map((rc) => withEncoding(rc, () => routeConfigurationEncoding(rc))));
  });
}
