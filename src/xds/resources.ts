/**
 * The four xDS resource types meshproof serves, their type URLs, names and the protobuf registry used
 * to print them as proto-JSON. The bottom layer of the control plane (go-control-plane's
 * `pkg/resource`): resources ← snapshot cache ← gRPC server.
 */
import { createRegistry, type Registry } from '@bufbuild/protobuf';
import { type Any, anyPack } from '@bufbuild/protobuf/wkt';
import { type Cluster, ClusterSchema } from './gen/envoy/config/cluster/v3/cluster_pb.js';
import { FilterConfigSchema as AlpnFilterConfigSchema } from './gen/envoy/config/filter/http/alpn/v2alpha1/config_pb.js';
import { type ClusterLoadAssignment, ClusterLoadAssignmentSchema } from './gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { type Listener, ListenerSchema } from './gen/envoy/config/listener/v3/listener_pb.js';
import { type RouteConfiguration, RouteConfigurationSchema } from './gen/envoy/config/route/v3/route_pb.js';
import { CorsSchema } from './gen/envoy/extensions/filters/http/cors/v3/cors_pb.js';
import { ExtAuthzSchema as HttpExtAuthzSchema } from './gen/envoy/extensions/filters/http/ext_authz/v3/ext_authz_pb.js';
import { ExtAuthzSchema as NetworkExtAuthzSchema } from './gen/envoy/extensions/filters/network/ext_authz/v3/ext_authz_pb.js';
import { HTTPFaultSchema } from './gen/envoy/extensions/filters/http/fault/v3/fault_pb.js';
import { RBACPerRouteSchema, RBACSchema as HttpRBACSchema } from './gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import { RouterSchema } from './gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { TlsInspectorSchema } from './gen/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector_pb.js';
import { HttpInspectorSchema } from './gen/envoy/extensions/filters/listener/http_inspector/v3/http_inspector_pb.js';
import { HttpConnectionManagerSchema } from './gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { RBACSchema as NetworkRBACSchema } from './gen/envoy/extensions/filters/network/rbac/v3/rbac_pb.js';
import { TcpProxySchema } from './gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { type Secret, SecretSchema } from './gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { DownstreamTlsContextSchema, UpstreamTlsContextSchema } from './gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { HttpProtocolOptionsSchema } from './gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import { PreviousHostsPredicateSchema } from './gen/envoy/extensions/retry/host/previous_hosts/v3/previous_hosts_pb.js';
import { PreviousPrioritiesConfigSchema } from './gen/envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config_pb.js';
import { DiscoveryRequestSchema, DiscoveryResponseSchema } from './gen/envoy/service/discovery/v3/discovery_pb.js';

/**
 * xDS type URLs (`DiscoveryRequest.type_url`) of the four config types. Secrets are served too, but
 * their URL is {@link SECRET_TYPE_URL}, kept out of this object: readers that map every key of
 * TYPE_URL to a config store of their own (the reference proxy's ConfigStore) must not start
 * receiving Secrets as a fifth config kind.
 */
export const TYPE_URL = {
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoint: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
} as const;

/** SDS over the same ADS stream: certificates and validation contexts by name (`default`, `ROOTCA`, `kubernetes://…`). */
export const SECRET_TYPE_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

/**
 * Initial-metadata key (binary, UTF-8) on an ADS stream by which meshproof's server tells a client why
 * its node gets no config (`AdsServerOptions.whyUnserved`); meshproof's proxy logs it.
 */
export const UNSERVED_METADATA = 'meshproof-unserved-bin';

/** Every type URL the server serves, by kind. */
export const SERVED_TYPE_URL = { ...TYPE_URL, secret: SECRET_TYPE_URL } as const;

export type ResourceKind = keyof typeof SERVED_TYPE_URL;
export type TypeUrl = (typeof SERVED_TYPE_URL)[ResourceKind];

/**
 * The order in which a push sends the types on one ADS stream: CDS → EDS → SDS → LDS → RDS. Envoy's
 * xDS protocol doc ("Eventual consistency considerations"): clusters before the assignments that warm
 * them, and listeners before the route configurations they name, so a client never holds a reference
 * to a resource it has not been offered. Secrets (which the doc leaves out) go before the listeners:
 * a rotated certificate or a new gateway credential is in place before a listener that uses it.
 * Enforced in `server/ads-stream.ts` (`pushChanged`).
 */
export const PUSH_ORDER: readonly ResourceKind[] = ['cluster', 'endpoint', 'secret', 'listener', 'route'];

/**
 * LDS and CDS are "state of the world" per response: a response must list every subscribed resource,
 * one left out is deleted by the client; and a first request with no names is a wildcard. RDS and EDS
 * are not.
 */
export const WILDCARD_KINDS: ReadonlySet<ResourceKind> = new Set(['cluster', 'listener']);

const KIND_BY_URL = new Map<string, ResourceKind>(Object.entries(SERVED_TYPE_URL).map(([k, u]) => [u, k as ResourceKind]));

/** The resource kind of a type URL, or `undefined` for a type this server does not serve. */
export function kindOfTypeUrl(typeUrl: string): ResourceKind | undefined {
  return KIND_BY_URL.get(typeUrl);
}

/** The resources of one snapshot, by kind. Each resource's name is its key in xDS. */
export interface ResourceSet {
  readonly clusters: readonly Cluster[];
  readonly endpoints: readonly ClusterLoadAssignment[];
  readonly listeners: readonly Listener[];
  readonly routes: readonly RouteConfiguration[];
  /** SDS secrets (hold private keys: never printed in dumps). @default [] */
  readonly secrets?: readonly Secret[];
}

/** Any resource meshproof serves. */
export type XdsResource = Cluster | ClusterLoadAssignment | Listener | RouteConfiguration | Secret;

/** A resource's xDS name: `Cluster.name`, `ClusterLoadAssignment.cluster_name`, `Listener.name`, `RouteConfiguration.name`, `Secret.name`. */
export function resourceName(kind: ResourceKind, r: XdsResource): string {
  return kind === 'endpoint' ? (r as ClusterLoadAssignment).clusterName : (r as Cluster | Listener | RouteConfiguration | Secret).name;
}

/** The message type of each kind. */
export const RESOURCE_SCHEMA = {
  cluster: ClusterSchema, endpoint: ClusterLoadAssignmentSchema, listener: ListenerSchema, route: RouteConfigurationSchema, secret: SecretSchema,
} as const;

/** Packs one resource into a `google.protobuf.Any` with its type URL, as `DiscoveryResponse.resources` carries it. */
export function packResource(kind: ResourceKind, r: XdsResource): Any {
  switch (kind) {
    case 'cluster': return anyPack(ClusterSchema, r as Cluster);
    case 'endpoint': return anyPack(ClusterLoadAssignmentSchema, r as ClusterLoadAssignment);
    case 'listener': return anyPack(ListenerSchema, r as Listener);
    case 'route': return anyPack(RouteConfigurationSchema, r as RouteConfiguration);
    case 'secret': return anyPack(SecretSchema, r as Secret);
  }
}

/**
 * Every generated message meshproof puts inside an `Any` (resources, filters, transport sockets,
 * protocol options), so `toJson`/`fromJson` can print and read them in Envoy's proto-JSON
 * (`@type` plus the message's fields), as `/config_dump` does.
 */
export const XDS_REGISTRY: Registry = createRegistry(
  ClusterSchema, ClusterLoadAssignmentSchema, ListenerSchema, RouteConfigurationSchema,
  HttpConnectionManagerSchema, RouterSchema, HTTPFaultSchema, HttpRBACSchema, RBACPerRouteSchema, CorsSchema,
  NetworkRBACSchema, TcpProxySchema, TlsInspectorSchema, HttpInspectorSchema, UpstreamTlsContextSchema, DownstreamTlsContextSchema,
  HttpProtocolOptionsSchema, DiscoveryRequestSchema, DiscoveryResponseSchema, SecretSchema, PreviousHostsPredicateSchema,
  PreviousPrioritiesConfigSchema, AlpnFilterConfigSchema, HttpExtAuthzSchema, NetworkExtAuthzSchema,
);
