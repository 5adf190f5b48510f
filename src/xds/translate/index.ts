/**
 * Translation of a per-proxy view to Envoy xDS resources: a pure function of (view, workload
 * instances, options), the only place Envoy config is made (Istio `pilot/pkg/networking/core`).
 */
import type { ProxyView } from '../../mesh/view/index.js';
import type { ResourceSet } from '../resources.js';
import { buildClusters } from './clusters.js';
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

export interface TranslateOptions {
  /**
   * The node is a proxyless gRPC client (grpc-js-xds, grpc-go `xds:///`): listeners are
   * `api_listener`s named `<fqdn>:<port>` with route configurations of the same name, instead of
   * the sidecar's `0.0.0.0_<port>` listeners and `"<port>"` route configurations. Ignored for routers.
   * @default false
   */
  readonly proxyless?: boolean;
}

/**
 * Every resource one proxy holds: clusters, their load assignments, listeners, route configurations.
 * Pure and deterministic (resources sorted as the view is); never throws for a valid view. Routes
 * to hosts without a cluster go to `BlackHoleCluster`, so the result passes `checkSnapshot`.
 */
export function translateProxy(view: ProxyView, workloads: readonly WorkloadInstance[], opts: TranslateOptions = {}): ResourceSet {
  const proxyless = opts.proxyless === true && view.proxy.type === 'sidecar';
  const clusters = proxyless ? buildClusters(view, proxyless) : [...buildClusters(view, proxyless), ...buildInboundClusters(view)];
  const consistentHash = new Map(view.clusters.filter((c) => c.policy.loadBalancer.consistentHash).map((c) => [c.name, c.policy.loadBalancer.consistentHash!]));
  const env = { clusters: new Set(clusters.map((c) => c.name)), consistentHash, proxyless };
  return {
    clusters,
    endpoints: buildClusterLoadAssignments(view, workloads),
    listeners: proxyless ? buildListeners(view, env, proxyless) : [...buildListeners(view, env, proxyless), ...buildInboundListeners(view)],
    routes: buildRouteConfigurations(view, env, proxyless),
  };
}
