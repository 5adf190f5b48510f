/**
 * Listeners: sidecar outbound listeners per port (`0.0.0.0_<port>` with an HCM on RDS for HTTP hosts,
 * `<vip>_<port>` per TCP/TLS service address, tcp_proxy chains), proxyless-gRPC `api_listener`s named
 * `<fqdn>:<port>`; gateway listeners are in `gateway-listeners.ts` (Istio `listener*.go`, `tls.go`).
 */
import { create } from '@bufbuild/protobuf';
import { packAny as anyPack } from '../encode.js';
import { markReusable } from '../pack-cache.js';
import { type Filter, type FilterChain, FilterChainSchema } from '../gen/envoy/config/listener/v3/listener_components_pb.js';
import { type Listener, ListenerSchema } from '../gen/envoy/config/listener/v3/listener_pb.js';
import { CorsSchema } from '../gen/envoy/extensions/filters/http/cors/v3/cors_pb.js';
import { HTTPFaultSchema } from '../gen/envoy/extensions/filters/http/fault/v3/fault_pb.js';
import { RouterSchema } from '../gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { TlsInspectorSchema } from '../gen/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector_pb.js';
import { type HttpConnectionManager, HttpConnectionManagerSchema, HttpConnectionManager_PathWithEscapedSlashesAction } from '../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import type { HostRoutesView, ProxyView } from '../../mesh/view/index.js';
import type { PathNormalizationType } from '../../mesh/mesh-config.js';
import { TrafficDirection } from '../gen/envoy/config/core/v3/base_pb.js';
import { ADS_SOURCE } from './_common.js';
import { buildGatewayListeners } from './gateway-listeners.js';
import { alpnFilter } from './alpn.js';
import { CORS_FILTER, FAULT_FILTER, type RouteEnv } from './route.js';
import { grpcListenerName, isHttp, outboundRouteName } from './routes.js';
import { buildOutboundL4Chain, type L4Env, l4Env } from './tcp-proxy.js';

const TLS_INSPECTOR = 'envoy.filters.listener.tls_inspector';
const HCM = 'envoy.filters.network.http_connection_manager';

/** Listener name Istio gives a port bound on every address: `0.0.0.0_<port>`. */
export function wildcardListenerName(port: number): string {
  return `0.0.0.0_${port}`;
}

/** Every listener of a proxy. `proxyless`: the node is a proxyless gRPC client (api listeners only). */
export function buildListeners(view: ProxyView, routeEnv: RouteEnv, proxyless: boolean, shared = true): Listener[] {
  const env: RouteEnv & L4Env = { ...routeEnv, ...l4Env(view, routeEnv.clusters) };
  if (view.proxy.type === 'router') return buildGatewayListeners(view, env);
  const byPort = new Map<number, HostRoutesView[]>();
  for (const r of view.routes) {
    const list = byPort.get(r.port);
    if (list) list.push(r);
    else byPort.set(r.port, [r]);
  }
  const out: Listener[] = [];
  for (const [port, hosts] of [...byPort].sort((a, b) => a[0] - b[0])) {
    if (proxyless) {
      out.push(...hosts.filter(isHttp).map((h) => buildApiListener(grpcListenerName(h.host, port), shared)));
      continue;
    }
    out.push(...buildOutboundPortListeners(view, port, hosts, env, view.pathNormalization));
  }
  return out;
}

/** Listener name Istio gives a port bound on one service address: `<vip>_<port>`. */
export function vipListenerName(vip: string, port: number): string {
  return `${vip}_${port}`;
}

/**
 * A sidecar's outbound listeners for one port, Istio's layout: HTTP hosts share `0.0.0.0_<port>`
 * (one HCM chain on RDS `"<port>"`); the TCP and TLS chains come from the view's
 * `outboundL4Listeners` (a service with an IP address on `<vip>_<port>`, services without one on
 * `0.0.0.0_<port>`, merged in istiod's service order). Beside the HCM chain no catch-all chain fits: a
 * TCP service without an address there is left out (the view reports it as `view/tcp-port-shared`).
 * Per-VIP listeners have `bind_to_port: false`: like Istio's, they take connections handed over by
 * original destination, not by binding the service address.
 */
export function buildOutboundPortListeners(view: Pick<ProxyView, 'outboundL4Listeners'>, port: number, hosts: readonly HostRoutesView[], env: RouteEnv & L4Env, normalization: PathNormalizationType): Listener[] {
  const wildcard: FilterChain[] = [];
  const hcm = hosts.some(isHttp);
  if (hcm) wildcard.push(create(FilterChainSchema, { filters: [hcmFilter(buildHttpConnectionManager(`outbound_0.0.0.0_${port}`, outboundRouteName(port), normalization))] }));
  const out: Listener[] = [];
  for (const l of view.outboundL4Listeners) {
    if (l.port !== port) continue;
    const chains = l.chains.map((c) => buildOutboundL4Chain(c, env));
    if (l.address !== '0.0.0.0') out.push(l4Listener(l.name, l.address, port, chains, false));
    else wildcard.push(...(hcm ? chains.filter((c) => c.filterChainMatch !== undefined) : chains));
  }
  if (wildcard.length > 0) out.unshift(l4Listener(wildcardListenerName(port), '0.0.0.0', port, wildcard, true));
  return out;
}

function l4Listener(name: string, address: string, port: number, chains: FilterChain[], bind: boolean): Listener {
  const sni = chains.some((c) => (c.filterChainMatch?.serverNames.length ?? 0) > 0);
  return create(ListenerSchema, {
    name, address: listenerAddress(address, port), trafficDirection: TrafficDirection.OUTBOUND,
    ...(bind ? {} : { bindToPort: false }),
    filterChains: chains,
    listenerFilters: sni ? [{ name: TLS_INSPECTOR, configType: { case: 'typedConfig', value: anyPack(TlsInspectorSchema, create(TlsInspectorSchema)) } }] : [],
  });
}

/** An HTTP filter entry of the HCM (name, typed config, optional flag). */
export type HttpFilterEntry = NonNullable<Parameters<typeof create<typeof HttpConnectionManagerSchema>>[1]>['httpFilters'] extends (infer F)[] | undefined ? F : never;

/**
 * The HTTP filters Istio installs (pilot `listener_builder.go` `buildHTTPConnectionManager`): `authz`
 * first (RBAC, as on Istio's gateways and inbound chains), then `istio.alpn` when `alpn` (every HCM
 * but a sidecar's inbound ones and proxyless gRPC's), fault, CORS (optional: proxyless gRPC does not
 * know it), router last.
 */
function httpFilters(authz: readonly HttpFilterEntry[], alpn: boolean) {
  return [
    ...authz,
    ...(alpn ? [alpnFilter()] : []),
    { name: FAULT_FILTER, configType: { case: 'typedConfig' as const, value: anyPack(HTTPFaultSchema, create(HTTPFaultSchema)) } },
    { name: CORS_FILTER, isOptional: true, configType: { case: 'typedConfig' as const, value: anyPack(CorsSchema, create(CorsSchema)) } },
    { name: 'envoy.filters.http.router', configType: { case: 'typedConfig' as const, value: anyPack(RouterSchema, create(RouterSchema)) } },
  ];
}

/**
 * The HCM fields istiod sets for MeshConfig `pathNormalization` (pilot `networking/core`
 * `buildHTTPConnectionManager`): NONE `normalize_path: false`; BASE (and DEFAULT) `normalize_path:
 * true`; MERGE_SLASHES adds `merge_slashes: true`; DECODE_AND_MERGE_SLASHES adds
 * `path_with_escaped_slashes_action: UNESCAPE_AND_FORWARD`.
 */
export function pathNormalizationFields(n: PathNormalizationType) {
  if (n === 'NONE') return { normalizePath: false };
  if (n === 'BASE') return { normalizePath: true };
  if (n === 'MERGE_SLASHES') return { normalizePath: true, mergeSlashes: true };
  return { normalizePath: true, mergeSlashes: true, pathWithEscapedSlashesAction: HttpConnectionManager_PathWithEscapedSlashesAction.UNESCAPE_AND_FORWARD };
}

/**
 * An HTTP connection manager that takes route configuration `routeConfigName` from RDS over ADS,
 * normalizing request paths per `normalization` (see {@link pathNormalizationFields});
 * `authz` (e.g. the RBAC filters of the AuthorizationPolicies selecting a gateway) go before the rest.
 * `alpn` adds Istio's `istio.alpn` filter (sidecar outbound and gateway HCMs; not proxyless gRPC's).
 */
export function buildHttpConnectionManager(statPrefix: string, routeConfigName: string, normalization: PathNormalizationType, authz: readonly HttpFilterEntry[] = [], alpn = true): HttpConnectionManager {
  return create(HttpConnectionManagerSchema, {
    statPrefix,
    ...pathNormalizationFields(normalization),
    routeSpecifier: { case: 'rds', value: { configSource: ADS_SOURCE, routeConfigName } },
    httpFilters: httpFilters(authz, alpn),
  });
}

/** The HCM as a network filter. */
export function hcmFilter(hcm: HttpConnectionManager): Filter {
  return create(FilterChainSchema, { filters: [{ name: HCM, configType: { case: 'typedConfig', value: anyPack(HttpConnectionManagerSchema, hcm) } }] }).filters[0]!;
}

/** A socket address `address:port`. */
export function listenerAddress(address: string, port: number) {
  return { address: { case: 'socketAddress' as const, value: { address, portSpecifier: { case: 'portValue' as const, value: port } } } };
}

/** Proxyless listeners by name (`buildApiListener` with `shared`); cleared when it reaches {@link API_LISTENERS_MAX} names. */
const API_LISTENERS = new Map<string, Listener>();
const API_LISTENERS_MAX = 100_000;

/**
 * Proxyless-gRPC listener `<fqdn>:<port>`: an `api_listener` HCM with RDS of the same name (no path
 * normalization, as istiod's grpcgen). A function of the name alone: `shared` (default) returns one
 * read-only message per name for every proxy and snapshot (packed once, `markReusable`), as a mesh
 * of N services gives each of its sidecars N of them.
 */
export function buildApiListener(name: string, shared = true): Listener {
  let l = shared ? API_LISTENERS.get(name) : undefined;
  if (l) return l;
  l = create(ListenerSchema, { name, apiListener: { apiListener: anyPack(HttpConnectionManagerSchema, buildHttpConnectionManager(name, name, 'NONE', [], false)) } });
  if (!shared) return l;
  if (API_LISTENERS.size >= API_LISTENERS_MAX) API_LISTENERS.clear();
  API_LISTENERS.set(name, markReusable(l));
  return l;
}
