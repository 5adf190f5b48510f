/**
 * The request pipeline's extension points: what the policy units (src/proxy/policy/) and the security
 * units (src/proxy/tls/, rbac/, tcp/, filter-chain-match.ts) plug into. The core calls them; the units
 * register themselves in `src/proxy/extensions.ts`. Every hook is optional: without one the core keeps
 * the simplest correct behaviour (round robin, no retries, first filter chain, plain TCP).
 *
 * Order for one HTTP request (Envoy's HTTP connection manager):
 *  1. route selection (route-select.ts) on the request headers;
 *  2. the listener's HTTP filters in configured order (`HttpFilterFactory.create(...).onRequest`): each may
 *     answer locally (RBAC 403, fault abort, CORS preflight) or delay (fault delay);
 *  3. the router: 404 NR without a route, redirect / direct response, or forwarding through the route's
 *     `Forward` chain: `RouterInterceptor`s (retry, timeout, mirror, circuit breaker, outlier
 *     detection) composed undici-style around the core's upstream call, which asks the cluster's
 *     `LoadBalancer` for a host.
 */
import type { Readable } from 'node:stream';
import type { ConnectionOptions, SecureContextOptions } from 'node:tls';
import type { Any } from '@bufbuild/protobuf/wkt';
import type { Cluster } from '../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { FilterChain } from '../../xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import type { Listener } from '../../xds/gen/envoy/config/listener/v3/listener_pb.js';
import type { RouteConfiguration } from '../../xds/gen/envoy/config/route/v3/route_pb.js';
import type { ClusterStats } from '../admin/stats.js';
import type { ForwardDecision, RouteDecision } from '../route-select.js';
import type { CompiledRoute } from '../route-table.js';
import type { HeaderBag } from '../route-match.js';

/** Envoy response flags this proxy sets (`%RESPONSE_FLAGS%`). */
export type ResponseFlag = 'NR' | 'NC' | 'UH' | 'UF' | 'UO' | 'UT' | 'URX' | 'FI' | 'DI' | 'UC' | 'DC' | 'UPE' | 'LR' | 'DPE' | 'RL' | 'UAEX';

/** One upstream endpoint of a cluster (from EDS or the cluster's load_assignment). */
export interface UpstreamHost {
  /** `ip:port`, unique in the cluster. */
  readonly key: string;
  readonly address: string;
  readonly port: number;
  /** `LbEndpoint.load_balancing_weight` (default 1). */
  readonly weight: number;
  /** `Endpoint.hostname` (for auto_host_rewrite), may be empty. */
  readonly hostname: string;
  /** Locality `region/zone/sub_zone`. */
  readonly locality: string;
  /** `LocalityLbEndpoints.priority` (default 0). */
  readonly priority?: number;
  /** `LocalityLbEndpoints.load_balancing_weight` (0 = unset). */
  readonly localityWeight?: number;
  /** `LbEndpoint.health_status`: HEALTHY/UNKNOWN count as healthy. */
  readonly healthy: boolean;
  /** Requests in flight to this host right now (least-request balancing reads it). */
  active: number;
  /** `LbEndpoint.metadata.filter_metadata["envoy.transport_socket_match"]`: what a cluster's `transport_socket_matches` compare (auto mTLS `tlsMode`). */
  readonly transportSocketMatch?: import('@bufbuild/protobuf').JsonObject;
}

/** Chooses a host for one request (`Cluster.lb_policy`). Undefined when no host can take it (503 UH). */
export interface LoadBalancer {
  choose(ex: Exchange): UpstreamHost | undefined;
}
/** Builds a balancer over a cluster's current hosts; called again on every EDS update. */
/** Makes a cluster's balancer on every CDS/EDS change; `stats` are the cluster's statistics (outlier detection writes its own there). */
export type LoadBalancerFactory = (cluster: Cluster, hosts: readonly UpstreamHost[], random: () => number, stats?: ClusterStats) => LoadBalancer;

/** Where the downstream request came from. */
export interface DownstreamInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** The listener's name (`Listener.name`). */
  readonly listener: string;
  /** `HTTP/1.1` or `HTTP/2`. */
  readonly protocol: string;
  /** The TLS socket when the connection was terminated here, for peer certificates (security's units). */
  readonly tls: import('node:tls').TLSSocket | undefined;
}

/**
 * The key of an exchange's cheap abort subscription, offered by the core's own exchanges:
 * `ex[ON_ABORT]?.(fn)` returns false when the exchange has already aborted, else arranges for
 * `fn(reason)` to be called once when it aborts (downstream gone, route deadline) and returns true.
 * It spares making the exchange's `signal`: an AbortSignal costs several µs to create and most
 * requests never abort. A view of an exchange with a signal of its own (a per-try deadline, a mirror
 * copy) must hide it (answer undefined), so its users fall back to that signal.
 */
export const ON_ABORT = Symbol('exchange.on-abort');

/** Everything known about one request while it passes through the pipeline. Created by the core. */
export interface Exchange {
  readonly downstream: DownstreamInfo;
  readonly method: string;
  /** `:path` as received. */
  readonly path: string;
  readonly authority: string;
  readonly scheme: string;
  /** Lower-case request headers (node's object). */
  readonly headers: HeaderBag;
  /** The route decision (set before the HTTP filters run). */
  decision: RouteDecision | undefined;
  /** The upstream cluster's name once the router picked one. */
  clusterName: string;
  /** Response flags so far; the access log prints them comma-separated. */
  readonly flags: ResponseFlag[];
  /** `%RESPONSE_CODE_DETAILS%`. */
  details: string;
  /** Request body: the downstream stream, or a replayable buffer a retry unit put in its place. Null for none. */
  body: Readable | Buffer | null;
  /** The host the last attempt went to (`%UPSTREAM_HOST%`). */
  upstreamHost: UpstreamHost | undefined;
  /** Attempts made so far (x-envoy-attempt-count). */
  attempts: number;
  /** Aborted when the downstream goes away or the route deadline passes. */
  readonly signal: AbortSignal;
  /** Per-exchange storage for units, keyed by the unit's own symbol. */
  readonly state: Map<symbol, unknown>;
  /**
   * The router policies' retry state of this request (policy/retry.ts `RetryState`; the balancer
   * reads its previous-hosts predicate), undefined without retries. A field, not a `state` entry:
   * Istio puts a retry policy on every route, and a Map per request is measurable.
   */
  retryState?: unknown;
  /** The route's hash of this request once computed (policy/hash-policy.ts `HashResult`), as {@link retryState}. */
  hashResult?: unknown;
  /**
   * The `x-envoy-attempt-count` (1-based) the router sets before each attempt when the virtual host
   * has `include_request_attempt_count`; the core sends it after the route's header operations
   * (overwriting any sent by the client). Undefined (the default): not sent.
   */
  attemptCount?: number;
  /**
   * ALPN to offer instead of the cluster's `alpn_protocols` when this request goes upstream over TLS,
   * by upstream protocol (`istio.alpn`, see `tls/alpn-filter.ts`). Undefined: the cluster's own.
   */
  upstreamAlpn?: UpstreamAlpn;
  /**
   * Envoy's per-request dynamic metadata, by filter name (`envoy.filters.http.rbac`): the fields one
   * filter writes for filters after it (RBAC's shadow result for ext_authz's `filter_enabled_metadata`).
   * Undefined until a filter writes some; see {@link setDynamicMetadata}.
   */
  dynamicMetadata?: Record<string, Record<string, unknown>>;
  /**
   * Request headers a filter changed for the upstream request (ext_authz's allowed upstream headers),
   * in order, applied after the downstream headers and before the route's header operations. Flat
   * `[op, name, value, …]` where op is `set` (replace every value), `add` (one more value) or
   * `remove` (value unused).
   */
  requestHeaderEdits?: string[];
  /** Headers a filter adds to the response (ext_authz's `allowed_client_headers_on_success`), flat `[name, value, …]`. */
  responseHeadersToAdd?: string[];
  /** See {@link ON_ABORT}. */
  readonly [ON_ABORT]?: (onAbort: (reason: unknown) => void) => boolean;
}

/**
 * Upstream ALPN overrides by the protocol of the upstream request (`FilterConfig.Protocol`
 * HTTP10, HTTP11, HTTP2). HTTP/1.x requests go upstream as HTTP/1.1 (Envoy sends HTTP/1.0
 * downstream requests upstream as HTTP/1.1 too), so `http10` is never chosen.
 */
export interface UpstreamAlpn {
  readonly http10?: readonly string[];
  readonly http11?: readonly string[];
  readonly http2?: readonly string[];
}

/** A response produced without going upstream (filters, the router's errors). */
export interface LocalReply {
  readonly status: number;
  readonly body?: string;
  /** Flat `[name, value, …]`. */
  readonly headers?: readonly string[];
  readonly flag?: ResponseFlag;
  /** `%RESPONSE_CODE_DETAILS%`, e.g. `rbac_access_denied_matched_policy[none]`. */
  readonly details?: string;
  /** For a gRPC request: this `grpc-status` instead of the one mapped from `status` (Envoy's `sendLocalReply` gRPC status override, e.g. a fault abort's `grpc_status`). */
  readonly grpcStatus?: number;
}

/** An instance of one HTTP filter (`HttpConnectionManager.http_filters[i]`) for one listener. */
export interface HttpFilter {
  /** Before the router. Return a LocalReply to answer now, undefined to continue; a promise delays the request. */
  onRequest(ex: Exchange): LocalReply | undefined | Promise<LocalReply | undefined>;
}

/**
 * Merges `fields` into the exchange's dynamic metadata under `filter`, as Envoy's
 * `StreamInfo::setDynamicMetadata` merges a Struct: keys written again are replaced, others stay.
 */
export function setDynamicMetadata(ex: Exchange, filter: string, fields: Record<string, unknown>): void {
  const all = (ex.dynamicMetadata ??= {});
  all[filter] = { ...all[filter], ...fields };
}

/** Implements one HTTP filter name (e.g. `envoy.filters.http.rbac`). */
export interface HttpFilterFactory {
  /** Type URLs accepted as `typed_config` (the filter's own proto). */
  readonly typeUrls: readonly string[];
  /**
   * Builds the listener-level instance; throws a ConfigError for config it cannot apply. `env` is
   * what the core offers filters (clusters, the async client for ext_authz's calls).
   */
  create(config: Any | undefined, env?: NetworkEnv): HttpFilter;
  /** Checks a route's `typed_per_filter_config` entry at RDS time; throws a ConfigError if unusable. */
  validatePerRoute?(config: Any): void;
}

/** What an upstream attempt returned once response headers arrived. */
/**
 * The settled promise `UpstreamResponse.pipe` returns when the response was complete before the
 * call returned (a small body read with its head): callers may go on without awaiting it.
 */
export const PIPED: Promise<void> = Promise.resolve();

export interface UpstreamResponse {
  readonly status: number;
  /** Flat `[name, value, …]`, hop-by-hop headers removed. */
  readonly headers: string[];
  readonly host: UpstreamHost;
  /**
   * Streams the body (and trailers) to `sink`; resolves when done, rejects on an upstream reset.
   * Returns {@link PIPED} when the whole body (and its end) reached the sink before it returned.
   */
  pipe(sink: ResponseSink): Promise<void>;
  /** Discards the body and releases the connection (a retry throws this response away). */
  dump(): void;
}

/** Where a response body goes. */
export interface ResponseSink {
  write(chunk: Buffer): boolean;
  end(trailers?: readonly string[]): void;
  /** Called with a function to call when write() returned false and the sink drained. */
  onDrain(resume: () => void): void;
}

/**
 * An upstream attempt that failed before response headers: the router answers `status` with `flag`
 * and the local-reply body `details`. `responseCodeDetails` is what the access log's
 * `%RESPONSE_CODE_DETAILS%` shows (Envoy's `StreamInfo::ResponseCodeDetails`, e.g.
 * `upstream_reset_before_response_started{remote_connection_failure|…}`); when absent it follows
 * from the flag (`responseCodeDetailsOf` in `upstream-errors.ts`).
 */
export class UpstreamError extends Error {
  /** `headers`: extra local-reply headers, flat `[name, value, …]` (e.g. `x-envoy-overloaded: true` on UO). */
  constructor(readonly flag: ResponseFlag, readonly status: number, readonly details: string, readonly host?: UpstreamHost, readonly headers?: readonly string[], readonly responseCodeDetails?: string) {
    super(details);
    this.name = 'UpstreamError';
  }
}

/** One attempt upstream (or a policy wrapping attempts): resolves at response headers, rejects with UpstreamError. */
export type Forward = (ex: Exchange, decision: ForwardDecision) => Promise<UpstreamResponse>;
/** undici-style interceptor: wraps the next Forward. Built per route when RDS arrives; undefined when the route needs nothing from this unit. */
export type RouterInterceptor = (route: CompiledRoute, next: Forward) => Forward | undefined;

/** Facts a filter-chain selector gets about a new connection. */
export interface ConnectionInfo {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  /** `tls` when the first byte is a TLS handshake record, `raw_buffer` otherwise. */
  readonly transportProtocol: 'tls' | 'raw_buffer';
  /** The bytes read so far (a ClientHello for TLS), to peek SNI and ALPN from. */
  readonly firstBytes: Buffer;
  readonly remotePort?: number;
  /** SNI from the ClientHello (tls_inspector), lower case; `''` when none. */
  readonly serverName?: string;
  /** ALPN offered in the ClientHello, or the plaintext protocol sniffed (`http/1.1`, `http/1.0`, `h2c`). */
  readonly applicationProtocols?: readonly string[];
}

/** Picks a listener's filter chain for a connection (`filter_chain_match`); undefined closes the connection. */
export type FilterChainSelector = (listener: Listener, conn: ConnectionInfo) => FilterChain | undefined;

/** Handles a connection whose chain holds network filters instead of an HCM (tcp_proxy, network RBAC). */
export interface NetworkFilterFactory {
  readonly typeUrls: readonly string[];
  /** Validates the chain's filter at LDS time; returns the connection handler. */
  create(config: Any | undefined, env: NetworkEnv): (socket: import('node:net').Socket, info: ConnectionInfo) => void;
  /**
   * For a filter placed before the chain's terminal filter (network RBAC, network ext_authz): returns
   * a check run on each connection before the terminal filter, in chain order; a string (why) closes
   * the connection. A promise (a call to a service) holds the connection until it settles.
   */
  createGate?(config: Any | undefined, env: NetworkEnv): NetworkGate;
}

/** A network filter's check of a connection; see {@link NetworkFilterFactory.createGate}. */
export type NetworkGate = (socket: import('node:net').Socket, info: ConnectionInfo) => string | undefined | Promise<string | undefined>;

/** Envoy's connection-level dynamic metadata (network filters: RBAC's shadow result for network ext_authz), by socket. */
const connectionMetadata = new WeakMap<object, Record<string, Record<string, unknown>>>();

/** Merges `fields` into a connection's dynamic metadata under `filter` (as {@link setDynamicMetadata}). */
export function setConnectionMetadata(socket: object, filter: string, fields: Record<string, unknown>): void {
  const all = connectionMetadata.get(socket) ?? {};
  all[filter] = { ...all[filter], ...fields };
  connectionMetadata.set(socket, all);
}

/** A connection's dynamic metadata, undefined when no network filter wrote any. */
export function connectionMetadataOf(socket: object): Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined {
  return connectionMetadata.get(socket);
}
/** What a network filter may use from the core. */
export interface NetworkEnv {
  /** The hosts of a cluster now (EDS), or undefined when the cluster is unknown. */
  hosts(cluster: string): readonly UpstreamHost[] | undefined;
  /** The accepted Cluster of that name, or undefined. */
  cluster(name: string): Cluster | undefined;
  /**
   * Chooses a host with the cluster's load balancer. `conn` (when given) fills the stand-in
   * exchange's downstream addresses, so source-IP hashing works for TCP too.
   */
  choose(cluster: string, conn?: ConnectionInfo): UpstreamHost | undefined;
  /** The proxy's access log (tcp_proxy logs one entry per connection), when enabled. */
  readonly accessLog?: { log(e: import('../access-log.js').AccessLogEntry): void };
  /** The core's async client (Envoy's `httpAsyncClientForCluster`): one request to a cluster through its balancer, pools and TLS. */
  readonly http?: AsyncClient;
}

/** One request the {@link AsyncClient} sends. */
export interface AsyncRequest {
  readonly method: string;
  readonly path: string;
  /** `:authority` of the request (HTTP/2) or its `host` header (HTTP/1.1). */
  readonly authority: string;
  /** Flat `[name, value, …]`, lower-case names, no pseudo-headers. */
  readonly headers: readonly string[];
  readonly body: Buffer | null;
  /** Over HTTP/2 whatever the cluster's protocol (gRPC); otherwise the cluster's upstream protocol. */
  readonly http2?: boolean;
  /** Whole-request deadline in ms (0: none). */
  readonly timeoutMs: number;
  /** The most response body bytes kept; a longer body fails the request (`too_large`). */
  readonly maxResponseBytes: number;
  /** Aborts the request (the downstream went away). */
  readonly signal?: AbortSignal;
}

/** A complete response of the {@link AsyncClient}, body buffered. */
export interface AsyncResponse {
  readonly status: number;
  /** Flat, lower-case names, hop-by-hop headers removed. */
  readonly headers: readonly string[];
  readonly body: Buffer;
  /** Flat trailers (HTTP/2), empty when none. */
  readonly trailers: readonly string[];
}

/** Why an {@link AsyncClient} request failed (Envoy's `AsyncClient::FailureReason::Reset` and local 503s). */
export class AsyncClientError extends Error {
  constructor(readonly reason: 'no_cluster' | 'no_healthy_upstream' | 'timeout' | 'reset' | 'too_large' | 'aborted', message: string) {
    super(message);
    this.name = 'AsyncClientError';
  }
}

/** Sends one buffered request to a cluster; rejects with {@link AsyncClientError}. */
export interface AsyncClient {
  send(cluster: string, request: AsyncRequest): Promise<AsyncResponse>;
}

/** TLS for a filter chain's `transport_socket` (DownstreamTlsContext), and for clusters' upstream sockets. */
export interface TlsProvider {
  /** Options for terminating TLS on a chain; throws a ConfigError when the chain's context cannot be served. */
  downstream(chain: FilterChain, conn?: ConnectionInfo): SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean; ALPNProtocols?: string[] };
  /** After the handshake: why the connection must be closed (client certificate, SAN matchers), or undefined to serve it. */
  verifyPeer?(chain: FilterChain, socket: import('node:tls').TLSSocket): string | undefined;
  /** Options for connecting to a cluster's host with TLS, or undefined for plaintext. */
  upstream?(cluster: Cluster, host: UpstreamHost): ConnectionOptions | undefined;
}

/** An extra xDS resource type fetched over the same ADS stream (SDS secrets). */
export interface ExtraResourceType {
  readonly typeUrl: string;
  /** The names to subscribe to, given the current listeners and clusters. */
  names(listeners: readonly Listener[], clusters: readonly Cluster[]): string[];
  /** Applies the resources of one response; returns error details (empty when all applied). */
  apply(resources: readonly Any[], version: string): string[];
}

/** All extension points; `src/proxy/extensions.ts` builds the registry the proxy runs with. */
export interface ProxyExtensions {
  readonly httpFilters: ReadonlyMap<string, HttpFilterFactory>;
  readonly networkFilters: ReadonlyMap<string, NetworkFilterFactory>;
  /** By `Cluster.LbPolicy` enum name (`ROUND_ROBIN`, `LEAST_REQUEST`, `RANDOM`, `RING_HASH`, `MAGLEV`). */
  readonly loadBalancers: ReadonlyMap<string, LoadBalancerFactory>;
  /** Applied outermost first. */
  readonly routerInterceptors: readonly RouterInterceptor[];
  readonly filterChainSelector?: FilterChainSelector;
  readonly tls?: TlsProvider;
  readonly extraResourceTypes: readonly ExtraResourceType[];
  /** The hosts (`ip:port`) cluster `name`'s outlier detector has ejected now (admin `/clusters` `/failed_outlier_check`). @default none */
  readonly outlierEjected?: (name: string) => ReadonlySet<string>;
  /** Unit checks run when a resource arrives; a ConfigError (field path inside the resource) NACKs it. */
  readonly validators?: {
    cluster?(c: Cluster): void;
    route?(rc: RouteConfiguration): void;
  };
}
