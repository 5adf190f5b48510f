/**
 * Translation of a per-proxy view to Envoy xDS resources: a pure function of (view, workload
 * instances, options), the only place Envoy config is made (Istio `pilot/pkg/networking/core`).
 */
import type { ProxyView } from '../../mesh/view/index.js';
import type { ResourceSet } from '../resources.js';
import { cachedClusterLoadAssignments, cachedOutboundClusters, cachedSidecarRoutes } from './cache.js';
import { buildClusters, buildDefaultClusters } from './clusters.js';
import { buildClusterLoadAssignments } from './endpoints.js';
import { buildInboundClusters } from './inbound-clusters.js';
import { buildInboundListeners } from './inbound-listeners.js';
import { buildListeners } from './listeners.js';
import { buildRouteConfigurations } from './routes.js';
import type { WorkloadInstance } from './workload-file.js';

export { BLACKHOLE_CLUSTER, PASSTHROUGH_CLUSTER, outboundClusterName } from './clusters.js';
export { grpcListenerName, outboundRouteName } from './routes.js';
export { wildcardListenerName } from './listeners.js';
export { VIRTUAL_INBOUND, VIRTUAL_INBOUND_PORT } from './inbound-listeners.js';
export { inboundClusterName } from './inbound-clusters.js';
export { METADATA_NAMESPACE } from './_common.js';
export { parseWorkloadFile, WorkloadFileError, type WorkloadInstance } from './workload-file.js';
export { boundedNotes, workloadsBackingNothing } from './workload-orphans.js';
export { moreMissingTargetPorts, workloadsMissingTargetPorts } from './workload-target-ports.js';
export { carryOverStoreOf, prepareCarryOver, releaseCarryOver, type CarryOverCounts } from './carry-over.js';

export interface TranslateOptions {
  /**
   * The node is a proxyless gRPC client (grpc-js-xds, grpc-go `xds:///`): listeners are
   * `api_listener`s named `<fqdn>:<port>` with route configurations of the same name, instead of
   * the sidecar's `0.0.0.0_<port>` listeners and `"<port>"` route configurations. Ignored for routers.
   * @default false
   */
  readonly proxyless?: boolean;
  /**
   * Reuse outbound clusters, load assignments and sidecar route configurations built for earlier
   * proxies with the same inputs (see `cache.ts`); they are then shared, read-only messages. `false`
   * builds every message afresh, for a caller that edits the result in place.
   * @default true
   */
  readonly cache?: boolean;
}

/**
 * Every resource one proxy holds: clusters, their load assignments, listeners, route configurations.
 * Pure and deterministic (resources sorted as the view is); never throws for a valid view. Routes
 * to hosts without a cluster go to `BlackHoleCluster`, so the result passes `checkSnapshot`.
 * With the cache (the default) outbound clusters, load assignments and a sidecar's route
 * configurations may be the very objects an earlier call returned, and so may a proxyless node's
 * `api_listener`s (a function of their name): treat the result as read-only; other listeners and
 * inbound clusters are always fresh. The same inputs give equal messages either way.
 */
export function translateProxy(view: ProxyView, workloads: readonly WorkloadInstance[], opts: TranslateOptions = {}): ResourceSet {
  const proxyless = opts.proxyless === true && view.proxy.type === 'sidecar';
  if (opts.cache === false) return translateUncached(view, workloads, proxyless);
  const defaults = buildDefaultClusters(view);
  const outbound = cachedOutboundClusters(view, proxyless);
  const clusters = proxyless ? [...outbound, ...defaults] : [...outbound, ...defaults, ...buildInboundClusters(view)];
  const env = { clusters: new Set(clusters.map((c) => c.name)), proxyless };
  return {
    clusters,
    // The cache's shared lists as they are (read-only): a snapshot of one is made once (`markReusableList`).
    endpoints: cachedClusterLoadAssignments(view, workloads),
    listeners: proxyless ? buildListeners(view, env, proxyless) : [...buildListeners(view, env, proxyless), ...buildInboundListeners(view)],
    routes: view.proxy.type === 'sidecar' ? cachedSidecarRoutes(view, defaults.map((c) => c.name), proxyless) : buildRouteConfigurations(view, env, proxyless),
  };
}

function translateUncached(view: ProxyView, workloads: readonly WorkloadInstance[], proxyless: boolean): ResourceSet {
  const clusters = proxyless ? buildClusters(view, proxyless) : [...buildClusters(view, proxyless), ...buildInboundClusters(view)];
  const env = { clusters: new Set(clusters.map((c) => c.name)), proxyless };
  return {
    clusters,
    endpoints: buildClusterLoadAssignments(view, workloads),
    listeners: proxyless ? buildListeners(view, env, proxyless, false) : [...buildListeners(view, env, proxyless, false), ...buildInboundListeners(view)],
    routes: buildRouteConfigurations(view, env, proxyless),
  };
}
