/** The snapshot every bench node gets: one proxyless listener, one route config, 10 EDS clusters with 3 endpoints each. */
import { create } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { ClusterSchema, Cluster_DiscoveryType } from '../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ApiVersion } from '../../src/xds/gen/envoy/config/core/v3/config_source_pb.js';
import { ClusterLoadAssignmentSchema } from '../../src/xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import { RouterSchema } from '../../src/xds/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { HttpConnectionManagerSchema } from '../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import type { ResourceSet } from '../../src/xds/resources.js';

export const LISTENER = 'bench.default.svc.cluster.local:80';
export const ROUTES = 'bench-routes';
export const CLUSTERS = Array.from({ length: 10 }, (_, i) => `outbound|80|v${i}|bench.default.svc.cluster.local`);
const ADS = { configSourceSpecifier: { case: 'ads' as const, value: {} }, resourceApiVersion: ApiVersion.V3 };

/** `weight` goes to the first cluster, the rest split evenly: changing it changes only RDS. */
export function benchResources(weight: number): ResourceSet {
  const hcm = create(HttpConnectionManagerSchema, {
    statPrefix: 'outbound_0.0.0.0_80',
    routeSpecifier: { case: 'rds', value: { configSource: ADS, routeConfigName: ROUTES } },
    httpFilters: [{ name: 'router', configType: { case: 'typedConfig', value: anyPack(RouterSchema, create(RouterSchema)) } }],
  });
  return {
    listeners: [create(ListenerSchema, { name: LISTENER, apiListener: { apiListener: anyPack(HttpConnectionManagerSchema, hcm) } })],
    routes: [create(RouteConfigurationSchema, {
      name: ROUTES,
      virtualHosts: [{ name: 'bench', domains: ['*'], routes: [{
        match: { pathSpecifier: { case: 'prefix', value: '' } },
        action: { case: 'route', value: { clusterSpecifier: { case: 'weightedClusters', value: { clusters: CLUSTERS.map((name, i) => ({ name, weight: i === 0 ? weight : 10 })) } } } },
      }] }],
    })],
    clusters: CLUSTERS.map((name) => create(ClusterSchema, { name, clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.EDS }, edsClusterConfig: { edsConfig: ADS } })),
    endpoints: CLUSTERS.map((clusterName, i) => create(ClusterLoadAssignmentSchema, {
      clusterName,
      endpoints: [{ locality: { region: 'r', zone: 'z' }, loadBalancingWeight: 1, lbEndpoints: [1, 2, 3].map((h) => ({
        hostIdentifier: { case: 'endpoint' as const, value: { address: { address: { case: 'socketAddress' as const, value: { address: `10.0.${i}.${h}`, portSpecifier: { case: 'portValue' as const, value: 8080 } } } } } },
      })) }],
    })),
  };
}
