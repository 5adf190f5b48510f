/**
 * Hand-built Envoy resources for the xDS tests, in the shape grpc-js-xds accepts: a proxyless-gRPC
 * Listener (`api_listener` + HttpConnectionManager + RDS over ADS, router filter last), a
 * RouteConfiguration, EDS Clusters and ClusterLoadAssignments with weighted localities and IP endpoints.
 */
import { create } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { type Cluster, ClusterSchema, Cluster_DiscoveryType, Cluster_LbPolicy } from '../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ApiVersion } from '../../src/xds/gen/envoy/config/core/v3/config_source_pb.js';
import { type ClusterLoadAssignment, ClusterLoadAssignmentSchema } from '../../src/xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { type Listener, ListenerSchema } from '../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { type Route, RouteSchema } from '../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { type RouteConfiguration, RouteConfigurationSchema } from '../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import { RouterSchema } from '../../src/xds/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { HttpConnectionManagerSchema } from '../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import type { ResourceSet } from '../../src/xds/resources.js';

const ADS = { configSourceSpecifier: { case: 'ads' as const, value: {} }, resourceApiVersion: ApiVersion.V3 };

/** Proxyless-gRPC listener `name` whose HCM takes its routes from RDS `routeConfigName`. */
export function apiListener(name: string, routeConfigName: string): Listener {
  const hcm = create(HttpConnectionManagerSchema, {
    statPrefix: name,
    routeSpecifier: { case: 'rds', value: { configSource: ADS, routeConfigName } },
    httpFilters: [{ name: 'envoy.filters.http.router', configType: { case: 'typedConfig', value: anyPack(RouterSchema, create(RouterSchema)) } }],
  });
  return create(ListenerSchema, { name, apiListener: { apiListener: anyPack(HttpConnectionManagerSchema, hcm) } });
}

/** EDS cluster over ADS, round robin. */
export function edsCluster(name: string): Cluster {
  return create(ClusterSchema, {
    name,
    clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.EDS },
    edsClusterConfig: { edsConfig: ADS },
    lbPolicy: Cluster_LbPolicy.ROUND_ROBIN,
  });
}

/** One locality (weight 1) with loopback endpoints on `ports`. */
export function assignment(clusterName: string, ports: readonly number[]): ClusterLoadAssignment {
  return create(ClusterLoadAssignmentSchema, {
    clusterName,
    endpoints: [{
      locality: { region: 'local', zone: 'a' },
      loadBalancingWeight: 1,
      lbEndpoints: ports.map((port) => ({
        hostIdentifier: {
          case: 'endpoint' as const,
          value: { address: { address: { case: 'socketAddress' as const, value: { address: '127.0.0.1', portSpecifier: { case: 'portValue' as const, value: port } } } } },
        },
      })),
    }],
  });
}

/** A catch-all route to `weights` (cluster → weight). */
export function weightedRoute(weights: Record<string, number>): Route {
  return create(RouteSchema, {
    match: { pathSpecifier: { case: 'prefix', value: '' } },
    action: { case: 'route', value: { clusterSpecifier: { case: 'weightedClusters', value: { clusters: Object.entries(weights).map(([name, weight]) => ({ name, weight })) } } } },
  });
}

/** A route taken when request header `header` equals `value`, to `cluster`. */
export function headerRoute(header: string, value: string, cluster: string): Route {
  return create(RouteSchema, {
    match: {
      pathSpecifier: { case: 'prefix', value: '' },
      headers: [{ name: header, headerMatchSpecifier: { case: 'stringMatch', value: { matchPattern: { case: 'exact', value } } } }],
    },
    action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: cluster } } },
  });
}

/** RouteConfiguration `name` with one virtual host for every domain. */
export function routeConfig(name: string, routes: Route[]): RouteConfiguration {
  return create(RouteConfigurationSchema, { name, virtualHosts: [{ name: 'all', domains: ['*'], routes }] });
}

/**
 * A whole mesh for one client: listener `listenerName` → route config `routes` → EDS clusters, one per
 * entry of `backends` (cluster name → backend ports).
 */
export function meshResources(listenerName: string, backends: Record<string, number[]>, routes: Route[]): ResourceSet {
  return {
    listeners: [apiListener(listenerName, `${listenerName}-routes`)],
    routes: [routeConfig(`${listenerName}-routes`, routes)],
    clusters: Object.keys(backends).map(edsCluster),
    endpoints: Object.entries(backends).map(([name, ports]) => assignment(name, ports)),
  };
}
