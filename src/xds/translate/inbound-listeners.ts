/**
 * The inbound listener of a sidecar: Istio's `virtualInbound` (0.0.0.0:15006) with filter chains
 * per workload port, matched on `destination_port` and `transport_protocol`, enforcing the
 * PeerAuthentication mode (mTLS with the workload certificate) and the AuthorizationPolicies (RBAC)
 * in front of `inbound|<port>||` (Istio `pilot/pkg/networking/core/listener_inbound.go`).
 */
import { create, type JsonObject } from '@bufbuild/protobuf';
import { packAny as anyPack } from '../encode.js';
import { TrafficDirection } from '../gen/envoy/config/core/v3/base_pb.js';
import { type FilterChain, FilterChainSchema } from '../gen/envoy/config/listener/v3/listener_components_pb.js';
import { type Listener, ListenerSchema } from '../gen/envoy/config/listener/v3/listener_pb.js';
import { RouterSchema } from '../gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { TlsInspectorSchema } from '../gen/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector_pb.js';
import { HttpConnectionManager_ForwardClientCertDetails, HttpConnectionManagerSchema } from '../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { TcpProxySchema } from '../gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { TlsParameters_TlsProtocol } from '../gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import { DownstreamTlsContextSchema } from '../gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { isHttp } from '../../mesh/protocol.js';
import type { AuthzPolicyView, InboundPortView, MtlsView, ProxyView } from '../../mesh/view/index.js';
import { ADS_SOURCE, METADATA_NAMESPACE, duration, originJson } from './_common.js';
import { INBOUND_PASSTHROUGH_CLUSTER, inboundClusterName, inboundMetadata } from './inbound-clusters.js';
import { buildHttpRbacFilters, buildNetworkRbacFilters, rbacMetadata } from './rbac.js';
import { pathNormalizationFields } from './listeners.js';
import type { PathNormalizationType } from '../../mesh/mesh-config.js';

/** Istio's inbound listener name and port (iptables redirects inbound connections there). */
export const VIRTUAL_INBOUND = 'virtualInbound';
export const VIRTUAL_INBOUND_PORT = 15006;

/** SDS secret names of the workload certificate and the mesh root CA (Istio's `default` and `ROOTCA`). */
export const WORKLOAD_CERT_SECRET = 'default';
export const ROOT_CA_SECRET = 'ROOTCA';

/** Envoy `filter_chain_match.transport_protocol` values the TLS inspector sets. */
export type TransportProtocol = 'tls' | 'raw_buffer';

/**
 * `virtualInbound` (sidecars only) with one or two chains per inbound port: STRICT → a `tls` chain
 * terminating mTLS; DISABLE → a `raw_buffer` chain; PERMISSIVE → both; then Istio's passthrough
 * chains for ports no Service declares (no `destination_port`, so every port-specific chain wins
 * over them) under the workload-wide mode, to `InboundPassthroughCluster`. The ports are the view's:
 * those of the Services selecting the workload and of the ServiceEntries whose `workloadSelector`
 * selects it. A sidecar neither selects gets nothing (Istio would still give it the passthrough chains). The TLS inspector decides
 * the transport protocol. The original destination port comes from the redirect (Istio's
 * `original_dst` listener filter, which needs iptables and is not emitted): a proxy without
 * redirection binds each chain's `destination_port` itself.
 */
export function buildInboundListeners(view: ProxyView): Listener[] {
  const inbound = view.inbound;
  if (!inbound || view.proxy.type !== 'sidecar' || inbound.ports.length === 0) return [];
  return [create(ListenerSchema, {
    name: VIRTUAL_INBOUND,
    address: { address: { case: 'socketAddress', value: { address: '0.0.0.0', portSpecifier: { case: 'portValue', value: VIRTUAL_INBOUND_PORT } } } },
    trafficDirection: TrafficDirection.INBOUND,
    listenerFilters: [{ name: 'envoy.filters.listener.tls_inspector', configType: { case: 'typedConfig', value: anyPack(TlsInspectorSchema, create(TlsInspectorSchema)) } }],
    filterChains: [
      ...inbound.ports.flatMap((p) => buildInboundChains(p, inbound.authorizationPolicies, view.pathNormalization)),
      ...buildPassthroughChains(inbound.mtls, inbound.authorizationPolicies),
    ],
  })];
}

/**
 * Istio's inbound passthrough for ports no Service declares, named `inbound_passthrough_mtls` /
 * `_plaintext`: the workload-wide mTLS mode, network RBAC (HTTP-only ALLOW rules cannot match
 * there), `tcp_proxy` to `InboundPassthroughCluster` (the connection's original destination).
 */
export function buildPassthroughChains(mtls: MtlsView, policies: readonly AuthzPolicyView[]): FilterChain[] {
  const tcp = create(TcpProxySchema, { statPrefix: INBOUND_PASSTHROUGH_CLUSTER, clusterSpecifier: { case: 'cluster', value: INBOUND_PASSTHROUGH_CLUSTER } });
  const metadata: JsonObject = {
    passthrough: true,
    mtls: { mode: mtls.mode, source: mtls.source, ...(mtls.origin ? { origin: originJson(mtls.origin) } : {}) },
    rbac: rbacMetadata(policies, true),
  };
  return transportsFor(mtls.mode).map((t) => create(FilterChainSchema, {
    name: `inbound_passthrough_${t === 'tls' ? 'mtls' : 'plaintext'}`,
    filterChainMatch: { transportProtocol: t },
    ...(t === 'tls' ? { transportSocket: { name: 'envoy.transport_sockets.tls', configType: { case: 'typedConfig' as const, value: anyPack(DownstreamTlsContextSchema, istioMutualServerContext(false)) } } } : {}),
    filters: [
      ...buildNetworkRbacFilters(policies),
      { name: 'envoy.filters.network.tcp_proxy', configType: { case: 'typedConfig' as const, value: anyPack(TcpProxySchema, tcp) } },
    ],
    metadata: { filterMetadata: { [METADATA_NAMESPACE]: metadata } },
  }));
}

/** The transport protocols a port accepts under its mTLS mode. */
export function transportsFor(mode: InboundPortView['mtls']['mode']): TransportProtocol[] {
  return mode === 'STRICT' ? ['tls'] : mode === 'DISABLE' ? ['raw_buffer'] : ['tls', 'raw_buffer'];
}

/**
 * The chains of one port, named `inbound_0.0.0.0_<port>_mtls` / `_plaintext`: HTTP protocols get an
 * HCM (RBAC HTTP filters, router; `normalize_path`, client certificate details forwarded in
 * `x-forwarded-client-cert`) with the inline route configuration `inbound|<port>||`; every
 * other protocol (sniffed ports included) network RBAC filters and a `tcp_proxy`. Metadata names the
 * Service and ServiceEntry ports, the deciding PeerAuthentication and every AuthorizationPolicy rule.
 */
export function buildInboundChains(p: InboundPortView, policies: readonly AuthzPolicyView[], normalization: PathNormalizationType): FilterChain[] {
  const http = isHttp(p.protocol);
  const filters = http ? [hcmFilter(p, policies, normalization)] : [...buildNetworkRbacFilters(policies), tcpProxyFilter(p)];
  const metadata: JsonObject = {
    ...inboundMetadata(p),
    mtls: { mode: p.mtls.mode, source: p.mtls.source, ...(p.mtls.origin ? { origin: originJson(p.mtls.origin) } : {}) },
    rbac: rbacMetadata(policies, !http),
  };
  return transportsFor(p.mtls.mode).map((t) => create(FilterChainSchema, {
    name: `inbound_0.0.0.0_${p.port}_${t === 'tls' ? 'mtls' : 'plaintext'}`,
    filterChainMatch: { destinationPort: p.port, transportProtocol: t },
    ...(t === 'tls' ? { transportSocket: { name: 'envoy.transport_sockets.tls', configType: { case: 'typedConfig' as const, value: anyPack(DownstreamTlsContextSchema, istioMutualServerContext(http)) } } } : {}),
    filters,
    metadata: { filterMetadata: { [METADATA_NAMESPACE]: metadata } },
  }));
}

/** Istio's server-side cipher suites for sidecars (`SupportedCiphers`). */
export const INBOUND_CIPHER_SUITES: readonly string[] = [
  'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'AES128-GCM-SHA256',
];

/**
 * The sidecar's server side of ISTIO_MUTUAL (Istio's `BuildInboundTLS`): certificate from SDS
 * `default`, peers validated against SDS `ROOTCA`, a client certificate required, TLS 1.2–1.3 with
 * Istio's cipher suites; ALPN `h2`, `http/1.1` on HTTP ports and `istio-peer-exchange`, `h2`,
 * `http/1.1` on TCP ports. Envoy carries on without ALPN when the client offers none of these.
 */
export function istioMutualServerContext(http: boolean) {
  return create(DownstreamTlsContextSchema, {
    requireClientCertificate: true,
    commonTlsContext: {
      alpnProtocols: http ? ['h2', 'http/1.1'] : ['istio-peer-exchange', 'h2', 'http/1.1'],
      tlsParams: { tlsMinimumProtocolVersion: TlsParameters_TlsProtocol.TLSv1_2, tlsMaximumProtocolVersion: TlsParameters_TlsProtocol.TLSv1_3, cipherSuites: [...INBOUND_CIPHER_SUITES] },
      tlsCertificateSdsSecretConfigs: [{ name: WORKLOAD_CERT_SECRET, sdsConfig: ADS_SOURCE }],
      validationContextType: { case: 'validationContextSdsSecretConfig', value: { name: ROOT_CA_SECRET, sdsConfig: ADS_SOURCE } },
    },
  });
}

function hcmFilter(p: InboundPortView, policies: readonly AuthzPolicyView[], normalization: PathNormalizationType) {
  const cluster = inboundClusterName(p.port);
  const hcm = create(HttpConnectionManagerSchema, {
    statPrefix: `inbound_0.0.0.0_${p.port}`,
    // MeshConfig pathNormalization (BASE by default): RBAC sees the path the application will see,
    // so `/a/../admin` cannot slip past a rule on `/admin`.
    ...pathNormalizationFields(normalization),
    // The peer's identity reaches the application in x-forwarded-client-cert, as Istio sets it up.
    forwardClientCertDetails: HttpConnectionManager_ForwardClientCertDetails.APPEND_FORWARD,
    setCurrentClientCertDetails: { subject: true, dns: true, uri: true },
    routeSpecifier: {
      case: 'routeConfig',
      value: {
        name: cluster,
        virtualHosts: [{
          name: `inbound|http|${p.port}`,
          domains: ['*'],
          routes: [{
            name: 'default',
            match: { pathSpecifier: { case: 'prefix', value: '/' } },
            action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: cluster }, timeout: duration(0) } },
            metadata: { filterMetadata: { [METADATA_NAMESPACE]: inboundMetadata(p) } },
          }],
        }],
      },
    },
    httpFilters: [
      ...buildHttpRbacFilters(policies),
      { name: 'envoy.filters.http.router', configType: { case: 'typedConfig', value: anyPack(RouterSchema, create(RouterSchema)) } },
    ],
  });
  return { name: 'envoy.filters.network.http_connection_manager', configType: { case: 'typedConfig' as const, value: anyPack(HttpConnectionManagerSchema, hcm) } };
}

function tcpProxyFilter(p: InboundPortView) {
  const cluster = inboundClusterName(p.port);
  const tcp = create(TcpProxySchema, { statPrefix: cluster, clusterSpecifier: { case: 'cluster', value: cluster } });
  return { name: 'envoy.filters.network.tcp_proxy', configType: { case: 'typedConfig' as const, value: anyPack(TcpProxySchema, tcp) } };
}
