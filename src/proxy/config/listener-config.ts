/**
 * Listener (LDS) → what the serving side needs: the socket address, filter chains with either an HTTP
 * connection manager (HCM: RDS name or inline routes, HTTP filters resolved against the registry,
 * timeouts, header limits) or network filters (tcp_proxy…, implemented by extension units), and the
 * chain's TLS. What the proxy cannot serve is a {@link ConfigError} with the field path, so the LDS
 * NACK says exactly what to change.
 */
import type { Any } from '@bufbuild/protobuf/wkt';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import type { FilterChain } from '../../xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import type { Listener } from '../../xds/gen/envoy/config/listener/v3/listener_pb.js';
import { type HttpConnectionManager, HttpConnectionManagerSchema, HttpConnectionManager_CodecType, HttpConnectionManager_PathWithEscapedSlashesAction as EscapedSlashes } from '../../xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import type { HttpFilter, HttpFilterFactory, NetworkEnv, ProxyExtensions } from '../http/pipeline.js';
import { type CompiledRouteTable, compileRouteConfiguration } from '../route-select.js';
import { ConfigError, under } from './config-error.js';
import { filterChainProblems } from '../filter-chain-match.js';
import type { PathNormalization } from '../path-normalize.js';

export const HCM_NAME = 'envoy.filters.network.http_connection_manager';
export const ROUTER_FILTER = 'envoy.filters.http.router';
const HCM_TYPE = `type.googleapis.com/${HttpConnectionManagerSchema.typeName}`;

/** A compiled HttpConnectionManager. */
export interface CompiledHcm {
  readonly statPrefix: string;
  /** `rds.route_config_name`, when routes come from RDS. */
  readonly rds: string | undefined;
  /** `route_config`, when routes are inline. */
  readonly inlineRoutes: CompiledRouteTable | undefined;
  /** HTTP filters before the router, in order, instantiated for this listener. */
  readonly filters: readonly { readonly name: string; readonly filter: HttpFilter }[];
  /** Names of every filter in the chain (router included), for CORS and per-route checks. */
  readonly filterNames: ReadonlySet<string>;
  readonly codec: 'auto' | 'http1' | 'http2';
  /** `request_headers_timeout`, default 10 s here (Envoy: disabled; node needs a bound to defeat slowloris). */
  readonly requestHeadersTimeoutMs: number;
  /** `stream_idle_timeout`, default 5 min (Envoy). 0 disables. */
  readonly streamIdleTimeoutMs: number;
  /** `common_http_protocol_options.idle_timeout` for downstream connections, default 1 h (Envoy). */
  readonly idleTimeoutMs: number;
  /** `max_request_headers_kb`, default 60 (Envoy). */
  readonly maxRequestHeadersKb: number;
  /** `common_http_protocol_options.max_headers_count`, default 100 (Envoy): more request headers are answered 431. */
  readonly maxHeadersCount: number;
  readonly stripPort: 'none' | 'any' | 'matching';
  /** `normalize_path`, `merge_slashes`, `path_with_escaped_slashes_action`: see `path-normalize.ts`. */
  readonly pathNormalization: PathNormalization;
  /** `drain_timeout`, default 5 s (Envoy). */
  readonly drainTimeoutMs: number;
  readonly source: HttpConnectionManager;
}

export interface CompiledChain {
  readonly source: FilterChain;
  readonly hcm: CompiledHcm | undefined;
  /** A network-filter connection handler (tcp_proxy …) when the chain has no HCM. */
  readonly network: ((socket: import('node:net').Socket, info: import('../http/pipeline.js').ConnectionInfo) => void) | undefined;
  /** Network filters before the terminal one (network RBAC), run in order on each connection; a string (why) closes it. */
  readonly gates: readonly import('../http/pipeline.js').NetworkGate[];
  readonly tls: boolean;
}

export interface CompiledListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly chains: readonly CompiledChain[];
  readonly defaultChain: CompiledChain | undefined;
  /** `bind_to_port: false` listeners are accepted but not bound. */
  readonly bind: boolean;
  readonly source: Listener;
}

function ms(d: { seconds: bigint; nanos: number } | undefined, dflt: number): number {
  return d === undefined ? dflt : Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
}

function factoryFor(ext: ProxyExtensions, name: string, config: Any | undefined): HttpFilterFactory | undefined {
  const byName = ext.httpFilters.get(name);
  if (byName) return byName;
  if (!config) return undefined;
  for (const f of ext.httpFilters.values()) if (f.typeUrls.includes(config.typeUrl)) return f;
  return undefined;
}

/** Compiles an HCM's typed_config. */
export function compileHcm(any: Any, ext: ProxyExtensions, env?: NetworkEnv): CompiledHcm {
  if (any.typeUrl !== HCM_TYPE) throw new ConfigError('typed_config', `type ${any.typeUrl} is not ${HttpConnectionManagerSchema.typeName}`);
  const hcm = anyUnpack(any, HttpConnectionManagerSchema)!;
  const rs = hcm.routeSpecifier;
  if (rs.case === 'scopedRoutes' || rs.case === undefined) throw new ConfigError('route_specifier', `${rs.case ?? 'nothing'}: use rds (over ADS) or route_config`);
  if (rs.case === 'rds' && rs.value.configSource && rs.value.configSource.configSourceSpecifier.case !== 'ads') {
    throw new ConfigError('rds.config_source', `${rs.value.configSource.configSourceSpecifier.case}: this proxy fetches RDS over ADS only; use config_source { ads: {} }`);
  }
  const inlineRoutes = rs.case === 'routeConfig' ? under('route_config', () => compileRouteConfiguration(rs.value)) : undefined;
  const filters: { name: string; filter: HttpFilter }[] = [];
  const names = new Set<string>();
  const active = hcm.httpFilters.filter((f) => !f.disabled);
  if (active.length === 0) throw new ConfigError('http_filters', `no HTTP filters; the chain needs ${ROUTER_FILTER} last`);
  active.forEach((f, i) => under(`http_filters[${hcm.httpFilters.indexOf(f)}]`, () => {
    if (f.configType.case === 'configDiscovery') throw new ConfigError('config_discovery', 'filter config discovery (ECDS) is not supported; use typed_config');
    const config = f.configType.value;
    const last = i === active.length - 1;
    if (f.name === ROUTER_FILTER || config?.typeUrl.endsWith('.router.v3.Router')) {
      if (!last) throw new ConfigError('name', `the terminal filter ${ROUTER_FILTER} must be the last filter in the HTTP filter chain (it is ${i + 1} of ${active.length})`);
      names.add(ROUTER_FILTER);
      return;
    }
    if (last) throw new ConfigError('name', `the last HTTP filter is "${f.name}"; it must be the terminal filter ${ROUTER_FILTER}`);
    const factory = factoryFor(ext, f.name, config);
    if (!factory) {
      if (f.isOptional) return;
      throw new ConfigError('name', `HTTP filter "${f.name}"${config ? ` (${config.typeUrl})` : ''} is not supported by this proxy and is not marked is_optional; supported: ${[...ext.httpFilters.keys(), ROUTER_FILTER].join(', ')}`);
    }
    names.add(f.name);
    filters.push({ name: f.name, filter: under('typed_config', () => factory.create(config, env)) });
  }));
  const codec = hcm.codecType === HttpConnectionManager_CodecType.HTTP1 ? 'http1' : hcm.codecType === HttpConnectionManager_CodecType.HTTP2 ? 'http2' : hcm.codecType === HttpConnectionManager_CodecType.AUTO ? 'auto' : undefined;
  if (!codec) throw new ConfigError('codec_type', `${HttpConnectionManager_CodecType[hcm.codecType]} is not supported; use AUTO, HTTP1 or HTTP2`);
  const kb = hcm.maxRequestHeadersKb ?? 60;
  if (kb < 1 || kb > 8192) throw new ConfigError('max_request_headers_kb', `${kb} is outside 1..8192`);
  return {
    statPrefix: hcm.statPrefix, rds: rs.case === 'rds' ? rs.value.routeConfigName : undefined, inlineRoutes, filters, filterNames: names, codec,
    requestHeadersTimeoutMs: ms(hcm.requestHeadersTimeout, 10_000) || 10_000,
    streamIdleTimeoutMs: ms(hcm.streamIdleTimeout, 300_000),
    idleTimeoutMs: ms(hcm.commonHttpProtocolOptions?.idleTimeout, 3_600_000),
    maxRequestHeadersKb: kb,
    maxHeadersCount: hcm.commonHttpProtocolOptions?.maxHeadersCount ?? 100,
    stripPort: hcm.stripPortMode.case === 'stripAnyHostPort' && hcm.stripPortMode.value ? 'any' : hcm.stripMatchingHostPort ? 'matching' : 'none',
    pathNormalization: {
      normalizePath: hcm.normalizePath === true, mergeSlashes: hcm.mergeSlashes,
      escapedSlashes: hcm.pathWithEscapedSlashesAction === EscapedSlashes.REJECT_REQUEST ? 'REJECT_REQUEST'
        : hcm.pathWithEscapedSlashesAction === EscapedSlashes.UNESCAPE_AND_REDIRECT ? 'UNESCAPE_AND_REDIRECT'
          : hcm.pathWithEscapedSlashesAction === EscapedSlashes.UNESCAPE_AND_FORWARD ? 'UNESCAPE_AND_FORWARD' : 'KEEP_UNCHANGED',
    },
    drainTimeoutMs: ms(hcm.drainTimeout, 5000),
    source: hcm,
  };
}

function compileChain(chain: FilterChain, ext: ProxyExtensions, env: NetworkEnv): CompiledChain {
  if (chain.filters.length === 0) throw new ConfigError('filters', 'a filter chain needs at least one network filter');
  const ts = chain.transportSocket;
  let tls = false;
  if (ts) {
    const isTls = ts.name === 'envoy.transport_sockets.tls' || (ts.configType.case === 'typedConfig' && ts.configType.value.typeUrl.endsWith('DownstreamTlsContext'));
    if (!isTls) throw new ConfigError('transport_socket', `"${ts.name}" is not supported; use envoy.transport_sockets.tls with a DownstreamTlsContext`);
    if (!ext.tls) throw new ConfigError('transport_socket', 'TLS termination is not available in this build (no TLS provider registered)');
    under('transport_socket', () => ext.tls!.downstream(chain));
    tls = true;
  }
  const last = chain.filters[chain.filters.length - 1]!;
  const lastConfig = last.configType.case === 'typedConfig' ? last.configType.value : undefined;
  // Filters before the terminal one (network RBAC, network ext_authz) are gates run on each connection in order.
  const gates = chain.filters.slice(0, -1).map((f, i) => under(`filters[${i}]`, () => {
    const factory = ext.networkFilters.get(f.name);
    if (!factory) throw new ConfigError('name', `network filter "${f.name}" is not supported by this proxy; supported before the terminal filter: ${[...ext.networkFilters].filter(([, x]) => x.createGate).map(([n]) => n).join(', ') || 'none'}`);
    if (!factory.createGate) throw new ConfigError('name', `network filter "${f.name}" can only be the last filter of a chain`);
    return factory.createGate(f.configType.case === 'typedConfig' ? f.configType.value : undefined, env);
  }));
  if (last.name === HCM_NAME || lastConfig?.typeUrl === HCM_TYPE) {
    if (!lastConfig) throw new ConfigError(`filters[${chain.filters.length - 1}]`, 'the HTTP connection manager needs a typed_config');
    return { source: chain, hcm: under(`filters[${chain.filters.length - 1}]`, () => compileHcm(lastConfig, ext, env)), network: undefined, gates, tls };
  }
  const network = under(`filters[${chain.filters.length - 1}]`, () => {
    const factory = ext.networkFilters.get(last.name);
    if (!factory) throw new ConfigError('name', `network filter "${last.name}" is not supported by this proxy; supported: ${[HCM_NAME, ...ext.networkFilters.keys()].join(', ')}`);
    return factory.create(lastConfig, env);
  });
  return { source: chain, hcm: undefined, network, gates, tls };
}

/** Compiles a Listener; throws ConfigError naming the field it cannot serve. */
export function compileListener(l: Listener, ext: ProxyExtensions, env: NetworkEnv): CompiledListener {
  if (l.apiListener) throw new ConfigError('api_listener', 'api_listener is for proxyless gRPC clients; a proxy serves listeners with an address');
  const a = l.address?.address;
  if (a?.case !== 'socketAddress') throw new ConfigError('address', `${a?.case ?? 'no address'}: only socket_address is supported`);
  if (a.value.portSpecifier.case !== 'portValue') throw new ConfigError('address.socket_address', 'named ports are not supported; use port_value');
  const chains = l.filterChains.map((c, i) => under(`filter_chains[${i}]`, () => compileChain(c, ext, env)));
  const defaultChain = l.defaultFilterChain ? under('default_filter_chain', () => compileChain(l.defaultFilterChain!, ext, env)) : undefined;
  if (chains.length === 0 && !defaultChain) throw new ConfigError('filter_chains', 'a listener needs at least one filter chain');
  // What Envoy's filter chain manager refuses when it builds the listener's match tree.
  const [problem] = filterChainProblems(l);
  if (problem) throw new ConfigError(problem.path, problem.detail);
  return {
    name: l.name, host: a.value.address || '0.0.0.0', port: a.value.portSpecifier.value, chains, defaultChain,
    bind: l.bindToPort !== false, source: l,
  };
}
