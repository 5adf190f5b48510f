/**
 * The inbound listener of a sidecar: Istio's `virtualInbound` (0.0.0.0:15006) with filter chains
 * per workload port, matched on `destination_port`, `transport_protocol` and `application_protocols`, enforcing the
 * PeerAuthentication mode (mTLS with the workload certificate) and the AuthorizationPolicies (RBAC)
 * in front of `inbound|<port>||` (Istio `pilot/pkg/networking/core/listener_inbound.go`).
 */
import { create, type JsonObject } from '@bufbuild/protobuf';
import { packAny as anyPack } from '../encode.js';
import { TrafficDirection } from '../gen/envoy/config/core/v3/base_pb.js';
import { type FilterChain, FilterChainSchema } from '../gen/envoy/config/listener/v3/listener_components_pb.js';
import { type Listener, ListenerSchema } from '../gen/envoy/config/listener/v3/listener_pb.js';
import { RouterSchema } from '../gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { RetryPolicySchema } from '../gen/envoy/config/route/v3/route_components_pb.js';
import { HttpConnectionManager_ForwardClientCertDetails, HttpConnectionManagerSchema } from '../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { TcpProxySchema } from '../gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { TlsParameters_TlsProtocol } from '../gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import { DownstreamTlsContextSchema } from '../gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { isHttp } from '../../mesh/protocol.js';
import type { AuthzPolicyView, InboundPortView, InboundRetryView, InboundView, MtlsView, ProxyView } from '../../mesh/view/index.js';
import { ADS_SOURCE, METADATA_NAMESPACE, duration, originJson } from './_common.js';
import { INBOUND_PASSTHROUGH_CLUSTER, inboundClusterName, inboundMetadata } from './inbound-clusters.js';
import { type AuthzInput, buildHttpRbacFilters, buildNetworkRbacFilters, rbacMetadata } from './rbac.js';
import { pathNormalizationFields } from './listeners.js';
import { retryOn } from './route.js';
import { chainOptions, inboundListenerFilters, type ChainOption, type InboundListenerProtocol } from './inbound-chain-options.js';
import type { PathNormalizationType } from '../../mesh/mesh-config.js';

/** Istio's inbound listener name and port (iptables redirects inbound connections there). */
export const VIRTUAL_INBOUND = 'virtualInbound';
export const VIRTUAL_INBOUND_PORT = 15006;

/** SDS secret names of the workload certificate and the mesh root CA (Istio's `default` and `ROOTCA`). */
export const WORKLOAD_CERT_SECRET = 'default';
export const ROOT_CA_SECRET = 'ROOTCA';

export type { TransportProtocol } from './inbound-chain-options.js';

/**
 * `virtualInbound` (sidecars only) with the chains istiod builds per inbound port
 * (`buildInboundListeners`, `getFilterChainMatchOptions`): by the port's protocol (HTTP → HCM chains,
 * TCP → `tcp_proxy` chains, sniffed → both, told apart by `application_protocols`) and mTLS mode
 * (STRICT → `tls` chains terminating mTLS; DISABLE → `raw_buffer`; PERMISSIVE → both, and TLS from a
 * client without a sidecar passed through on TCP and sniffed ports); then Istio's passthrough chains for
 * ports no Service declares (no `destination_port`, so every port-specific chain wins over them), sniffed
 * too, under the workload-wide mode, to `InboundPassthroughCluster`. The ports are the view's: those of
 * the Services selecting the workload and of the ServiceEntries whose `workloadSelector` selects it. A
 * sidecar neither selects gets nothing (Istio would still give it the passthrough chains). The listener
 * filters are istiod's `populateListenerFilters`: `tls_inspector` and `http_inspector` where a chain
 * needs them, waiting MeshConfig `protocolDetectionTimeout` (0 by default: no limit) and then going on
 * (`continue_on_listener_filters_timeout`). The original destination port comes from the redirect (Istio's `original_dst` listener
 * filter, which needs iptables and is not emitted): a proxy without redirection binds each chain's
 * `destination_port` itself.
 */
export function buildInboundListeners(view: ProxyView): Listener[] {
  const inbound = view.inbound;
  if (!inbound || view.proxy.type !== 'sidecar' || inbound.ports.length === 0) return [];
  const filterChains = [
    ...inbound.ports.flatMap((p) => buildInboundChains(p, inbound, view.pathNormalization)),
    ...buildPassthroughChains(inbound.mtls, inbound, inbound.passthroughRetry, view.pathNormalization),
  ];
  return [create(ListenerSchema, {
    name: VIRTUAL_INBOUND,
    address: { address: { case: 'socketAddress', value: { address: '0.0.0.0', portSpecifier: { case: 'portValue', value: VIRTUAL_INBOUND_PORT } } } },
    trafficDirection: TrafficDirection.INBOUND,
    listenerFilters: inboundListenerFilters(filterChains),
    // istiod's buildInboundListener: inspectors wait protocolDetectionTimeout (0: as long as it takes),
    // then the chain is chosen with what is known.
    listenerFiltersTimeout: duration(inbound.protocolDetectionTimeoutMs),
    continueOnListenerFiltersTimeout: true,
    filterChains,
  })];
}

/**
 * Istio's inbound passthrough for ports no Service declares (`buildInboundPassthroughChains`, protocol
 * sniffed), named `inbound_passthrough_<mtls|plaintext|tls>[_http]`: the workload-wide mTLS mode; HTTP
 * chains (HTTP RBAC, the route to `InboundPassthroughCluster` with the inbound retry policy) for what
 * `http_inspector` or the client's ALPN says is HTTP, TCP chains (network RBAC: HTTP-only ALLOW rules
 * cannot match there) for the rest, each to `InboundPassthroughCluster` (the connection's original destination).
 */
export function buildPassthroughChains(mtls: MtlsView, policies: InboundTlsInput, retry: InboundRetryView | null, normalization: PathNormalizationType): FilterChain[] {
  const mtlsJson: JsonObject = { mode: mtls.mode, source: mtls.source, ...(mtls.origin ? { origin: originJson(mtls.origin) } : {}) };
  const http = { cluster: INBOUND_PASSTHROUGH_CLUSTER, statPrefix: INBOUND_PASSTHROUGH_CLUSTER, vhostPort: 0, retry, routeMetadata: { passthrough: true } };
  return chainOptions('auto', mtls.mode).map((o) => create(FilterChainSchema, {
    name: `inbound_passthrough_${o.name}`,
    filterChainMatch: { transportProtocol: o.transportProtocol, applicationProtocols: [...o.applicationProtocols] },
    ...transportSocketOf(o, policies.meshMtls),
    filters: o.http ? [hcmFilter(http, policies, normalization)] : [...buildNetworkRbacFilters(policies), tcpProxyFilter(INBOUND_PASSTHROUGH_CLUSTER)],
    metadata: { filterMetadata: { [METADATA_NAMESPACE]: { passthrough: true, mtls: mtlsJson, rbac: rbacMetadata(policies, !o.http) } } },
  }));
}

/** istiod's listener protocol of an inbound port (`ModelProtocolToListenerProtocol`): sniffed → `auto`. */
export function listenerProtocolOf(p: InboundPortView): InboundListenerProtocol {
  return p.sniffed ? 'auto' : isHttp(p.protocol) ? 'http' : 'tcp';
}

/**
 * The chains of one port (istiod `inboundChainForOpts`), named `inbound_0.0.0.0_<port>_<mtls|plaintext|tls>`,
 * `_http` added to a sniffed port's HTTP chains, matched on `destination_port`, `transport_protocol` and
 * `application_protocols` as istiod's options say. HTTP chains: an HCM (RBAC HTTP filters, router;
 * `normalize_path`, client certificate details forwarded in `x-forwarded-client-cert`) with the inline
 * route configuration `inbound|<port>||` (default route with the inbound retry policy); TCP chains:
 * network RBAC filters and a `tcp_proxy`. Metadata names the Service and ServiceEntry ports, the
 * deciding PeerAuthentication and every AuthorizationPolicy rule as that chain's RBAC translated it.
 */
export function buildInboundChains(p: InboundPortView, policies: InboundTlsInput, normalization: PathNormalizationType): FilterChain[] {
  const cluster = inboundClusterName(p.port);
  const http = { cluster, statPrefix: `inbound_0.0.0.0_${p.port}`, vhostPort: p.port, retry: p.retry, routeMetadata: inboundMetadata(p) };
  const mtls: JsonObject = { mode: p.mtls.mode, source: p.mtls.source, ...(p.mtls.origin ? { origin: originJson(p.mtls.origin) } : {}) };
  return chainOptions(listenerProtocolOf(p), p.mtls.mode).map((o) => create(FilterChainSchema, {
    name: `inbound_0.0.0.0_${p.port}_${o.name}`,
    filterChainMatch: { destinationPort: p.port, transportProtocol: o.transportProtocol, applicationProtocols: [...o.applicationProtocols] },
    ...transportSocketOf(o, policies.meshMtls),
    filters: o.http ? [hcmFilter(http, policies, normalization)] : [...buildNetworkRbacFilters(policies), tcpProxyFilter(cluster)],
    metadata: { filterMetadata: { [METADATA_NAMESPACE]: { ...inboundMetadata(p), mtls, rbac: rbacMetadata(policies, !o.http) } } },
  }));
}

/** The inbound view's parts a chain reads: its AuthorizationPolicies and MeshConfig `meshMTLS`. */
type InboundTlsInput = AuthzInput & Pick<InboundView, 'meshMtls'>;

/** The ISTIO_MUTUAL server side of a chain that terminates mTLS (istiod `ToTransportSocket`: the HTTP or TCP context). */
function transportSocketOf(o: ChainOption, meshMtls: InboundView['meshMtls']) {
  if (!o.terminate) return {};
  return { transportSocket: { name: 'envoy.transport_sockets.tls', configType: { case: 'typedConfig' as const, value: anyPack(DownstreamTlsContextSchema, istioMutualServerContext(o.http, meshMtls)) } } };
}

/** Istio's server-side cipher suites for sidecars (`SupportedCiphers`). */
export const INBOUND_CIPHER_SUITES: readonly string[] = [
  'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'AES128-GCM-SHA256',
];

/**
 * The sidecar's server side of ISTIO_MUTUAL (Istio's `BuildInboundTLS`): certificate from SDS
 * `default`, peers validated against SDS `ROOTCA`, a client certificate required, TLS 1.2–1.3 with
 * Istio's cipher suites (MeshConfig `meshMTLS`: its `minProtocolVersion` and `cipherSuites` instead); ALPN `h2`, `http/1.1` on HTTP ports and `istio-peer-exchange`, `h2`,
 * `http/1.1` on TCP ports. Envoy carries on without ALPN when the client offers none of these.
 */
export function istioMutualServerContext(http: boolean, meshMtls?: InboundView['meshMtls']) {
  return create(DownstreamTlsContextSchema, {
    requireClientCertificate: true,
    commonTlsContext: {
      alpnProtocols: http ? ['h2', 'http/1.1'] : ['istio-peer-exchange', 'h2', 'http/1.1'],
      tlsParams: {
        tlsMinimumProtocolVersion: meshMtls?.minProtocolVersion === 'TLSV1_3' ? TlsParameters_TlsProtocol.TLSv1_3 : TlsParameters_TlsProtocol.TLSv1_2,
        tlsMaximumProtocolVersion: TlsParameters_TlsProtocol.TLSv1_3,
        cipherSuites: [...(meshMtls?.cipherSuites ?? INBOUND_CIPHER_SUITES)],
      },
      tlsCertificateSdsSecretConfigs: [{ name: WORKLOAD_CERT_SECRET, sdsConfig: ADS_SOURCE }],
      validationContextType: { case: 'validationContextSdsSecretConfig', value: { name: ROOT_CA_SECRET, sdsConfig: ADS_SOURCE } },
    },
  });
}

/** What an inbound HTTP chain routes to (istiod `buildSidecarInboundHTTPRouteConfig`). */
interface InboundHttpTarget {
  readonly cluster: string;
  readonly statPrefix: string;
  /** The port in the virtual host name `inbound|http|<port>` (0 on passthrough chains). */
  readonly vhostPort: number;
  readonly retry: InboundRetryView | null;
  readonly routeMetadata: JsonObject;
}

function hcmFilter(t: InboundHttpTarget, policies: AuthzInput, normalization: PathNormalizationType) {
  const hcm = create(HttpConnectionManagerSchema, {
    statPrefix: t.statPrefix,
    // MeshConfig pathNormalization (BASE by default): RBAC sees the path the application will see,
    // so `/a/../admin` cannot slip past a rule on `/admin`.
    ...pathNormalizationFields(normalization),
    // The peer's identity reaches the application in x-forwarded-client-cert, as Istio sets it up.
    forwardClientCertDetails: HttpConnectionManager_ForwardClientCertDetails.APPEND_FORWARD,
    setCurrentClientCertDetails: { subject: true, dns: true, uri: true },
    routeSpecifier: {
      case: 'routeConfig',
      value: {
        name: t.cluster,
        virtualHosts: [{
          name: `inbound|http|${t.vhostPort}`,
          domains: ['*'],
          routes: [{
            name: 'default',
            match: { pathSpecifier: { case: 'prefix', value: '/' } },
            action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: t.cluster }, timeout: duration(0), ...(t.retry ? { retryPolicy: inboundRetryPolicy(t.retry) } : {}) } },
            metadata: { filterMetadata: { [METADATA_NAMESPACE]: t.routeMetadata } },
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

/**
 * istiod `retry.ConvertInboundPolicy`: `num_retries` and `retry_on` (status codes in `retryOn` moved to
 * `retriable_status_codes`), `retry_back_off.base_interval` when a backoff is set; no host predicate,
 * no per-try timeout (one local endpoint).
 */
export function inboundRetryPolicy(r: InboundRetryView) {
  return create(RetryPolicySchema, {
    ...retryOn(r.retryOn),
    numRetries: r.attempts,
    ...(r.backoffMs !== null ? { retryBackOff: { baseInterval: duration(r.backoffMs) } } : {}),
  });
}

function tcpProxyFilter(cluster: string) {
  const tcp = create(TcpProxySchema, { statPrefix: cluster, clusterSpecifier: { case: 'cluster', value: cluster } });
  return { name: 'envoy.filters.network.tcp_proxy', configType: { case: 'typedConfig' as const, value: anyPack(TcpProxySchema, tcp) } };
}
