/**
 * Envoy `/config_dump` for one proxy's resources: `{"configs":[ClustersConfigDump, EndpointsConfigDump,
 * ListenersConfigDump, RoutesConfigDump]}` in proto-JSON with Envoy's field names (snake_case), as
 * `curl localhost:15000/config_dump` prints it, for review in pull requests.
 */
import { createRegistry, toJson, type JsonObject, type JsonValue } from '@bufbuild/protobuf';
import { ClusterSchema } from '../gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../gen/envoy/config/listener/v3/listener_pb.js';
import { CorsPolicySchema } from '../gen/envoy/extensions/filters/http/cors/v3/cors_pb.js';
import { RouteConfigurationSchema } from '../gen/envoy/config/route/v3/route_pb.js';
import { XDS_REGISTRY } from '../resources.js';
import type { Snapshot } from '../snapshot.js';

/** The shared xDS registry plus the per-route CORS policy the translator packs into `Any`. */
export const TRANSLATE_REGISTRY = createRegistry(XDS_REGISTRY, CorsPolicySchema);

const ADMIN = 'type.googleapis.com/envoy.admin.v3';
const opts = { registry: TRANSLATE_REGISTRY, useProtoFieldName: true } as const;

/**
 * The config dump of one proxy's snapshot. Each entry's `version_info` is its type's version (the
 * `version_info` of the response that delivered it), so a change to routes leaves the clusters' lines
 * alone. Shapes follow `envoy.admin.v3.*ConfigDump` (dynamic, ADS-delivered resources).
 */
export function configDump(snapshot: Snapshot): JsonObject {
  const set = snapshot.resources;
  const v = snapshot.types;
  const dyn = (key: 'cluster' | 'endpoint_config' | 'listener' | 'route_config', json: JsonValue): JsonObject => ({
    version_info: v[key === 'cluster' ? 'cluster' : key === 'endpoint_config' ? 'endpoint' : key === 'listener' ? 'listener' : 'route'].version, [key]: json,
  });
  return {
    configs: [
      { '@type': `${ADMIN}.ClustersConfigDump`, dynamic_active_clusters: set.clusters.map((c) => dyn('cluster', { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', ...(toJson(ClusterSchema, c, opts) as JsonObject) })) },
      { '@type': `${ADMIN}.EndpointsConfigDump`, dynamic_endpoint_configs: set.endpoints.map((e) => dyn('endpoint_config', { '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment', ...(toJson(ClusterLoadAssignmentSchema, e, opts) as JsonObject) })) },
      { '@type': `${ADMIN}.ListenersConfigDump`, dynamic_listeners: set.listeners.map((l) => ({ name: l.name, active_state: dyn('listener', { '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener', ...(toJson(ListenerSchema, l, opts) as JsonObject) }) })) },
      { '@type': `${ADMIN}.RoutesConfigDump`, dynamic_route_configs: set.routes.map((r) => dyn('route_config', { '@type': 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration', ...(toJson(RouteConfigurationSchema, r, opts) as JsonObject) })) },
    ],
  };
}
