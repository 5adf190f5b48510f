/**
 * Listeners: sidecar outbound listeners per port (HCM → RDS over ADS, router filter last; TCP proxy
 * for a single TCP host), proxyless-gRPC `api_listener`s named `<fqdn>:<port>`, and gateway listeners
 * per port with one filter chain per TLS-terminating server (Istio `listener*.go`, `gateway.go`).
 */
import { create } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { type Filter, type FilterChain, FilterChainSchema } from '../gen/envoy/config/listener/v3/listener_components_pb.js';
import { type Listener, ListenerSchema } from '../gen/envoy/config/listener/v3/listener_pb.js';
import { CorsSchema } from '../gen/envoy/extensions/filters/http/cors/v3/cors_pb.js';
import { HTTPFaultSchema } from '../gen/envoy/extensions/filters/http/fault/v3/fault_pb.js';
import { RouterSchema } from '../gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { TlsInspectorSchema } from '../gen/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector_pb.js';
import { type HttpConnectionManager, HttpConnectionManagerSchema } from '../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { TcpProxySchema } from '../gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { DownstreamTlsContextSchema } from '../gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import type { GatewayServerView, HostRoutesView, ProxyView } from '../../mesh/view/index.js';
import { BLACKHOLE_CLUSTER, outboundClusterName } from './clusters.js';
import { TrafficDirection } from '../gen/envoy/config/core/v3/base_pb.js';
import { ADS_SOURCE } from './_common.js';
import { CORS_FILTER, FAULT_FILTER, type RouteEnv } from './route.js';
import { gatewayRouteName, grpcListenerName, isHttp, outboundRouteName, terminatesTls } from './routes.js';

const HCM = 'envoy.filters.network.http_connection_manager';

/** Listener name Istio gives a port bound on every address: `0.0.0.0_<port>`. */
export function wildcardListenerName(port: number): string {
  return `0.0.0.0_${port}`;
}

/** Every listener of a proxy. `proxyless`: the node is a proxyless gRPC client (api listeners only). */
export function buildListeners(view: ProxyView, env: RouteEnv, proxyless: boolean): Listener[] {
  if (view.proxy.type === 'router') return buildGatewayListeners(view);
  const byPort = new Map<number, HostRoutesView[]>();
  for (const r of view.routes) byPort.set(r.port, [...(byPort.get(r.port) ?? []), r]);
  const out: Listener[] = [];
  for (const [port, hosts] of [...byPort].sort((a, b) => a[0] - b[0])) {
    const http = hosts.filter(isHttp);
    if (proxyless) {
      out.push(...http.map((h) => buildApiListener(grpcListenerName(h.host, port))));
      continue;
    }
    if (http.length > 0) out.push(buildOutboundHttpListener(port));
    else {
      const tcp = buildOutboundTcpListener(port, hosts, env);
      if (tcp) out.push(tcp);
    }
  }
  return out;
}

/** The HTTP filters Istio installs: fault, CORS (optional: proxyless gRPC does not know it), router last. */
function httpFilters() {
  return [
    { name: FAULT_FILTER, configType: { case: 'typedConfig' as const, value: anyPack(HTTPFaultSchema, create(HTTPFaultSchema)) } },
    { name: CORS_FILTER, isOptional: true, configType: { case: 'typedConfig' as const, value: anyPack(CorsSchema, create(CorsSchema)) } },
    { name: 'envoy.filters.http.router', configType: { case: 'typedConfig' as const, value: anyPack(RouterSchema, create(RouterSchema)) } },
  ];
}

/** An HTTP connection manager that takes route configuration `routeConfigName` from RDS over ADS. */
export function buildHttpConnectionManager(statPrefix: string, routeConfigName: string): HttpConnectionManager {
  return create(HttpConnectionManagerSchema, {
    statPrefix,
    routeSpecifier: { case: 'rds', value: { configSource: ADS_SOURCE, routeConfigName } },
    httpFilters: httpFilters(),
  });
}

function hcmFilter(hcm: HttpConnectionManager): Filter {
  return create(FilterChainSchema, { filters: [{ name: HCM, configType: { case: 'typedConfig', value: anyPack(HttpConnectionManagerSchema, hcm) } }] }).filters[0]!;
}

function socket(port: number) {
  return { address: { case: 'socketAddress' as const, value: { address: '0.0.0.0', portSpecifier: { case: 'portValue' as const, value: port } } } };
}

/** Sidecar outbound HTTP listener for `port`: one HCM whose routes come from RDS `"<port>"`. */
export function buildOutboundHttpListener(port: number): Listener {
  return create(ListenerSchema, {
    name: wildcardListenerName(port), address: socket(port), trafficDirection: TrafficDirection.OUTBOUND,
    filterChains: [{ filters: [hcmFilter(buildHttpConnectionManager(`outbound_0.0.0.0_${port}`, outboundRouteName(port)))] }],
  });
}

/**
 * Sidecar outbound TCP listener: a `tcp_proxy` to the (first) destination of the port's single TCP
 * host. Ports with several TCP hosts need per-VIP filter chains; they are left out (undefined).
 */
export function buildOutboundTcpListener(port: number, hosts: readonly HostRoutesView[], env: RouteEnv): Listener | undefined {
  if (hosts.length !== 1) return undefined;
  const h = hosts[0]!;
  const wanted = h.tcp.length > 0 ? h.tcp[0]!.destinations[0]?.cluster ?? null : outboundClusterName(port, undefined, h.host);
  const cluster = wanted !== null && env.clusters.has(wanted) ? wanted : BLACKHOLE_CLUSTER;
  const tcp = create(TcpProxySchema, { statPrefix: cluster, clusterSpecifier: { case: 'cluster', value: cluster } });
  return create(ListenerSchema, {
    name: wildcardListenerName(port), address: socket(port), trafficDirection: TrafficDirection.OUTBOUND,
    filterChains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', configType: { case: 'typedConfig', value: anyPack(TcpProxySchema, tcp) } }] }],
  });
}

/** Proxyless-gRPC listener `<fqdn>:<port>`: an `api_listener` HCM with RDS of the same name. */
export function buildApiListener(name: string): Listener {
  return create(ListenerSchema, { name, apiListener: { apiListener: anyPack(HttpConnectionManagerSchema, buildHttpConnectionManager(name, name)) } });
}

/** Gateway listeners, one per server port: plain HTTP shares one chain; each TLS-terminating server gets its own, matched on SNI. */
function buildGatewayListeners(view: ProxyView): Listener[] {
  const byPort = new Map<number, GatewayServerView[]>();
  for (const s of view.gatewayServers) byPort.set(s.port, [...(byPort.get(s.port) ?? []), s]);
  const out: Listener[] = [];
  for (const [port, servers] of [...byPort].sort((a, b) => a[0] - b[0])) {
    const chains: FilterChain[] = [];
    if (servers.some((s) => s.protocol === 'HTTP')) {
      chains.push(create(FilterChainSchema, { filters: [hcmFilter(buildHttpConnectionManager(`http.${port}`, `http.${port}`))] }));
    }
    for (const s of servers.filter(terminatesTls)) chains.push(buildTlsServerChain(view, s));
    if (chains.length === 0) continue;
    const tls = chains.some((c) => c.transportSocket);
    out.push(create(ListenerSchema, {
      name: wildcardListenerName(port), address: socket(port),
      filterChains: chains,
      listenerFilters: tls ? [{ name: 'envoy.filters.listener.tls_inspector', configType: { case: 'typedConfig', value: anyPack(TlsInspectorSchema, create(TlsInspectorSchema)) } }] : [],
    }));
  }
  return out;
}

/**
 * A TLS-terminating server: SNI match on its hosts, `DownstreamTlsContext` with the certificate from
 * SDS `kubernetes://<credentialName>` (or files), and for MUTUAL the CA `<credentialName>-cacert`
 * (or `caCertificates`) with `require_client_certificate`.
 */
export function buildTlsServerChain(view: ProxyView, s: GatewayServerView): FilterChain {
  const tls = (s.tls ?? {}) as { mode?: string; credentialName?: string; serverCertificate?: string; privateKey?: string; caCertificates?: string };
  const mutual = tls.mode === 'MUTUAL' || tls.mode === 'OPTIONAL_MUTUAL';
  const sds = (name: string) => ({ name, sdsConfig: ADS_SOURCE });
  const ctx = create(DownstreamTlsContextSchema, {
    requireClientCertificate: tls.mode === 'MUTUAL',
    commonTlsContext: {
      alpnProtocols: ['h2', 'http/1.1'],
      tlsCertificates: !tls.credentialName && tls.serverCertificate && tls.privateKey
        ? [{ certificateChain: { specifier: { case: 'filename', value: tls.serverCertificate } }, privateKey: { specifier: { case: 'filename', value: tls.privateKey } } }] : [],
      tlsCertificateSdsSecretConfigs: tls.credentialName ? [sds(`kubernetes://${tls.credentialName}`)] : [],
      validationContextType: !mutual ? { case: undefined }
        : tls.credentialName ? { case: 'validationContextSdsSecretConfig', value: sds(`kubernetes://${tls.credentialName}-cacert`) }
          : { case: 'validationContext', value: tls.caCertificates ? { trustedCa: { specifier: { case: 'filename', value: tls.caCertificates } } } : {} },
    },
  });
  const serverNames = s.hosts.map((h) => (h.includes('/') ? h.slice(h.indexOf('/') + 1) : h)).filter((h) => h !== '*');
  const rds = gatewayRouteName(view, s);
  return create(FilterChainSchema, {
    name: rds,
    filterChainMatch: { serverNames },
    transportSocket: { name: 'envoy.transport_sockets.tls', configType: { case: 'typedConfig', value: anyPack(DownstreamTlsContextSchema, ctx) } },
    filters: [hcmFilter(buildHttpConnectionManager(rds, rds))],
  });
}
