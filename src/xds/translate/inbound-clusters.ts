/**
 * Inbound clusters: one `inbound|<port>||` per port the workload serves (Istio's naming, the port
 * being the container port), from the sidecar to the application on loopback.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { createMessage as create } from '../create-message.js';
import { packAny } from '../encode.js';
import { type Cluster, ClusterSchema, Cluster_DiscoveryType, Cluster_LbPolicy } from '../gen/envoy/config/cluster/v3/cluster_pb.js';
import { HttpProtocolOptionsSchema } from '../gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import type { InboundPortView, ProxyView } from '../../mesh/view/index.js';
import { METADATA_NAMESPACE, duration, originJson } from './_common.js';

/** Where the sidecar reaches the application: loopback, as Istio's pre-1.10 STATIC inbound clusters did. */
export const INBOUND_ENDPOINT_ADDRESS = '127.0.0.1';

/** Istio's inbound cluster name: `inbound|<containerPort>||`. */
export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

/**
 * One STATIC cluster per inbound port with its endpoint inline (`load_assignment`
 * 127.0.0.1:<port>), ROUND_ROBIN, MeshConfig's `connectTimeout` (10 s by default), HTTP/2 toward the
 * application for HTTP2 / gRPC ports, the caller's protocol (use_downstream_protocol_config) for a
 * sniffed one, as istiod's `setUpstreamProtocol`. Istio ≥ 1.10 uses ORIGINAL_DST with a 127.0.0.6 bind address
 * instead, which needs iptables; a STATIC loopback endpoint is what a proxy without redirection can
 * use. Metadata names the Service and ServiceEntry (`workloadSelector`) ports that target the port. Plus `InboundPassthroughCluster`
 * for the passthrough chains. Empty for routers.
 */
export function buildInboundClusters(view: ProxyView): Cluster[] {
  if (!view.inbound || view.proxy.type !== 'sidecar' || view.inbound.ports.length === 0) return [];
  return [
    ...view.inbound.ports.map((p) => buildInboundCluster(p, view.connectTimeoutMs)),
    create(ClusterSchema, {
      name: INBOUND_PASSTHROUGH_CLUSTER,
      clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.ORIGINAL_DST },
      lbPolicy: Cluster_LbPolicy.CLUSTER_PROVIDED,
      connectTimeout: duration(view.connectTimeoutMs),
    }),
  ];
}

/** Istio's cluster for inbound connections to ports no Service declares: ORIGINAL_DST (where the client connected). */
export const INBOUND_PASSTHROUGH_CLUSTER = 'InboundPassthroughCluster';

/** The inbound cluster of port `p`; `connectTimeoutMs` is MeshConfig's `connectTimeout` (default 10 s). */
export function buildInboundCluster(p: InboundPortView, connectTimeoutMs = 10_000): Cluster {
  const name = inboundClusterName(p.port);
  const cluster = create(ClusterSchema, {
    name,
    clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.STATIC },
    connectTimeout: duration(connectTimeoutMs),
    lbPolicy: Cluster_LbPolicy.ROUND_ROBIN,
    loadAssignment: {
      clusterName: name,
      endpoints: [{
        lbEndpoints: [{
          hostIdentifier: {
            case: 'endpoint',
            value: { address: { address: { case: 'socketAddress', value: { address: INBOUND_ENDPOINT_ADDRESS, portSpecifier: { case: 'portValue', value: p.port } } } } },
          },
        }],
      }],
    },
    metadata: { filterMetadata: { [METADATA_NAMESPACE]: inboundMetadata(p) } },
  });
  if (p.protocol === 'HTTP2' || p.protocol === 'GRPC' || p.protocol === 'GRPC-Web') {
    cluster.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'] = packAny(HttpProtocolOptionsSchema, create(HttpProtocolOptionsSchema, {
      upstreamProtocolOptions: { case: 'explicitHttpConfig', value: { protocolConfig: { case: 'http2ProtocolOptions', value: {} } } },
    }));
  } else if (p.sniffed) {
    // istiod `setUpstreamProtocol` on sidecars (inbound as outbound): a sniffed port's application gets the
    // caller's protocol, HTTP/2 for an h2 (or h2c) request, HTTP/1.1 otherwise.
    cluster.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'] = packAny(HttpProtocolOptionsSchema, create(HttpProtocolOptionsSchema, {
      upstreamProtocolOptions: { case: 'useDownstreamProtocolConfig', value: { httpProtocolOptions: {}, http2ProtocolOptions: {} } },
    }));
  }
  return cluster;
}

/** `{port, protocol, services: [{host, port, name, origin}]}` for `filter_metadata.meshproof` (`origin.kind`: `Service` or `ServiceEntry`). */
export function inboundMetadata(p: InboundPortView): JsonObject {
  return {
    port: p.port, protocol: p.protocol,
    services: p.services.map((s) => ({ host: s.host, port: s.port, name: s.name, origin: originJson(s.origin) })),
  };
}
