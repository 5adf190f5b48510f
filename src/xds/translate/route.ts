/**
 * One Istio `HTTPRoute` → Envoy `Route`s (one per `match` entry, in order; first match wins), as
 * Istio's `pilot/pkg/networking/core/route/route.go` translates it.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import {
  DirectResponseActionSchema, HeaderMatcherSchema, QueryParameterMatcherSchema, RedirectActionSchema,
  RedirectAction_RedirectResponseCode, RouteAction_ClusterNotFoundResponseCode, type RetryPolicy, type RouteAction_HashPolicy, RouteAction_HashPolicySchema, RetryPolicySchema, type Route, type RouteMatch, RouteMatchSchema, RouteSchema,
} from '../gen/envoy/config/route/v3/route_components_pb.js';
import { RegexMatcherSchema } from '../gen/envoy/type/matcher/v3/regex_pb.js';
import { type MetadataMatcher, MetadataMatcherSchema } from '../gen/envoy/type/matcher/v3/metadata_pb.js';
import { CorsPolicySchema } from '../gen/envoy/extensions/filters/http/cors/v3/cors_pb.js';
import { HTTPFaultSchema } from '../gen/envoy/extensions/filters/http/fault/v3/fault_pb.js';
import { PreviousHostsPredicateSchema } from '../gen/envoy/extensions/retry/host/previous_hosts/v3/previous_hosts_pb.js';
import { PreviousPrioritiesConfigSchema } from '../gen/envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config_pb.js';
import type { DestinationView, HeaderMatch, HeaderOperations, HttpMatchView, HttpRouteView } from '../../mesh/view/index.js';
import { DurationSchema } from '@bufbuild/protobuf/wkt';
import { BLACKHOLE_CLUSTER } from './clusters.js';
import { type ClusterParts, FRESH_PARTS } from './_parts.js';
import { METADATA_NAMESPACE, duration, fractionalPercent, originJson, percentOf, translateStringMatch, uint32 } from './_common.js';
import { createMessage as create } from '../create-message.js';
import { packAny as anyPack } from '../encode.js';
import type { CarryOverStore } from './carry-over.js';
import { translateHeadersOperations } from './_headers.js';

/** Istio's `xdsfilters.RetryPreviousHosts`: `envoy.retry_host_predicates.previous_hosts` (no settings). */
const PREVIOUS_HOSTS = {
  name: 'envoy.retry_host_predicates.previous_hosts',
  configType: { case: 'typedConfig' as const, value: anyPack(PreviousHostsPredicateSchema, create(PreviousHostsPredicateSchema)) },
};

/**
 * Istio's retry priority for `retryRemoteLocalities: true` (route/retry `cachedRetryRemoteLocalitiesPredicate`):
 * `envoy.retry_priorities.previous_priorities` with `update_frequency` 2, so retries go to localities
 * (priorities) not tried yet.
 */
const PREVIOUS_PRIORITIES = {
  name: 'envoy.retry_priorities.previous_priorities',
  configType: { case: 'typedConfig' as const, value: anyPack(PreviousPrioritiesConfigSchema, create(PreviousPrioritiesConfigSchema, { updateFrequency: 2 })) },
};

/** HTTP filter names used in `typed_per_filter_config` and in the HCM filter chain. */
export const FAULT_FILTER = 'envoy.filters.http.fault';
export const CORS_FILTER = 'envoy.filters.http.cors';

/** What a route may reference: the clusters present in the snapshot (others go to {@link BLACKHOLE_CLUSTER}). */
export interface RouteEnv {
  readonly clusters: ReadonlySet<string>;
  /** Proxyless gRPC client: the timeout goes to `max_stream_duration`, which gRPC reads. @default false */
  readonly proxyless?: boolean;
  /**
   * Where alike sub-messages come from (`_parts.ts`): `SHARED_PARTS` for routes nobody edits (the
   * translation cache's: most routes have one of a few retry policies). @default FRESH_PARTS
   */
  readonly parts?: ClusterParts;
  /** Where shared virtual hosts are kept by content across graphs (`carry-over.ts`). @default none */
  readonly carry?: CarryOverStore;
}

/** One Envoy route per match entry of `route` (a route without match matches every path: prefix `/`). */
export function translateHttpRoute(route: HttpRouteView, env: RouteEnv, listener: RouteListener): Route[] {
  const matches: (HttpMatchView | undefined)[] = route.match.length > 0 ? [...route.match] : [undefined];
  return matches.map((m) => {
    const r = create(RouteSchema, {
      name: route.name ?? '',
      match: translateRouteMatch(m),
      metadata: { filterMetadata: { [METADATA_NAMESPACE]: routeMetadata(route, m) } },
    });
    // istiod translateRoute: the HTTPRoute's name, then `.<match name>` for a named match entry.
    if (m?.name) r.name = `${route.name ?? ''}.${m.name}`;
    // The route's header operations first, then a single destination's (applyAction appends them).
    const ops = translateHeadersOperations(route.headers);
    r.requestHeadersToAdd = ops.requestHeadersToAdd;
    r.requestHeadersToRemove = ops.requestHeadersToRemove;
    r.responseHeadersToAdd = ops.responseHeadersToAdd;
    r.responseHeadersToRemove = ops.responseHeadersToRemove;
    applyAction(r, route, env, listener, ops.authority);
    applyFault(r, route);
    applyCors(r, route);
    return r;
  });
}

function routeMetadata(route: HttpRouteView, m: HttpMatchView | undefined): JsonObject {
  const md: JsonObject = { origin: originJson(route.origin) };
  if (m) md.match = originJson(m.origin);
  if (route.delegatedFrom) md.delegatedFrom = originJson(route.delegatedFrom);
  return md;
}

/**
 * `HTTPMatchRequest` → `RouteMatch`, as istiod's `TranslateRouteMatch`: uri (path / prefix /
 * safe_regex), `case_sensitive` always written, then `headers` and `withoutHeaders` sorted by name,
 * then `:method`, `:authority`, `:scheme`; query parameters. A `withoutHeaders` entry is inverted and,
 * unless it is a presence match, treats a missing header as empty (`treat_missing_header_as_empty`):
 * a request without the header matches, where Envoy would otherwise fail every inverted string match
 * on a missing header.
 */
export function translateRouteMatch(m: HttpMatchView | undefined): RouteMatch {
  const match = create(RouteMatchSchema, { pathSpecifier: { case: 'prefix', value: '/' } });
  if (!m) return match;
  if (m.uri) {
    const u = m.uri;
    match.pathSpecifier = 'exact' in u ? { case: 'path', value: u.exact }
      // istiod's gateway semantics (a Gateway API PathPrefix): path_separated_prefix without a trailing `/` (a
      // GRPCRoute service prefix `/<service>/`), but for `/`.
      : 'prefix' in u ? (m.pathSeparated === true && u.prefix !== '/' ? { case: 'pathSeparatedPrefix', value: u.prefix.replace(/\/$/, '') } : { case: 'prefix', value: u.prefix })
        : { case: 'safeRegex', value: create(RegexMatcherSchema, { regex: u.regex }) };
  }
  match.caseSensitive = m.ignoreUriCase !== true;
  const headers: [string, HeaderMatch, boolean][] = [];
  // istiod: a `@request.auth.claims…` key is a dynamic-metadata matcher on the JWT payload, not a header.
  const claims: [string[], HeaderMatch, boolean][] = [];
  for (const [k, v] of Object.entries(m.headers ?? {})) { const c = routingClaim(k); if (c) claims.push([c, v, false]); else headers.push([k, v, false]); }
  for (const [k, v] of Object.entries(m.withoutHeaders ?? {})) { const c = routingClaim(k); if (c) claims.push([c, v, true]); else headers.push([k, v, true]); }
  match.dynamicMetadata = claims.map(([path, v, invert]) => jwtClaimMatcher(path, v, invert));
  headers.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (m.method) headers.push([':method', m.method, false]);
  if (m.authority) headers.push([':authority', m.authority, false]);
  if (m.scheme) headers.push([':scheme', m.scheme, false]);
  // istiod `translateHeaderMatch` / `translateQueryParamMatch`: an empty StringMatch is `present_match`.
  match.headers = headers.map(([name, v, invert]) => create(HeaderMatcherSchema, {
    name, invertMatch: invert, treatMissingHeaderAsEmpty: invert && !('present' in v),
    headerMatchSpecifier: 'present' in v ? { case: 'presentMatch', value: true } : { case: 'stringMatch', value: translateStringMatch(v) },
  }));
  match.queryParameters = Object.entries(m.queryParams ?? {}).map(([name, v]) => create(QueryParameterMatcherSchema, {
    name, queryParameterMatchSpecifier: 'present' in v ? { case: 'presentMatch', value: true } : { case: 'stringMatch', value: translateStringMatch(v) },
  }));
  return match;
}

/** Istio's `jwt.HeaderJWTClaim` prefix of a claim-routing key (compared case-insensitively). */
const CLAIM_PREFIX = '@request.auth.claims';

/**
 * Istio `jwt.ToRoutingClaim`: `@request.auth.claims.a.b` or `@request.auth.claims[a][b]` → the claim
 * path `['a', 'b']`; undefined for any other key (a plain header).
 */
export function routingClaim(key: string): string[] | undefined {
  if (!key.toLowerCase().startsWith(CLAIM_PREFIX)) return undefined;
  const name = key.slice(CLAIM_PREFIX.length);
  if (name.startsWith('.') && name.length > 1) return name.slice(1).split('.');
  if (name.startsWith('[') && name.endsWith(']') && name.length > 2) return name.slice(1, -1).split('][');
  return undefined;
}

/**
 * istiod `translateMetadataMatch` (`authz.MetadataMatcherForJWTClaims`): the `jwt_authn` filter's
 * `payload` metadata at the claim path, a list value of which one element matches the string match
 * (a string claim matches as itself), inverted for `withoutHeaders`. Ordered by key, where istiod
 * follows Go's (random) map order.
 *
 * A presence match (`'@request.auth.claims.group': {}`) has no Envoy StringMatcher: istiod
 * (`ConvertToEnvoyMatch` gives nil) sends an empty one, which Envoy's validation refuses
 * (`StringMatcher.match_pattern` is required), NACKing the whole route configuration. meshproof
 * sends `envoy.type.matcher.v3.ValueMatcher.present_match: true` in its place, which matches a
 * claim element that is present and primitive: the route istiod means, in a form Envoy accepts.
 */
function jwtClaimMatcher(claims: readonly string[], v: HeaderMatch, invert: boolean): MetadataMatcher {
  const element = 'present' in v
    ? { matchPattern: { case: 'presentMatch' as const, value: true } }
    : { matchPattern: { case: 'stringMatch' as const, value: translateStringMatch(v) } };
  return create(MetadataMatcherSchema, {
    filter: JWT_AUTHN_FILTER,
    path: ['payload', ...claims].map((key) => ({ segment: { case: 'key' as const, value: key } })),
    // istiod MetadataListValueMatcher with useExtendedJwt (istio/istio#50061): a list claim holding the value, or a claim that is the value.
    value: { matchPattern: { case: 'orMatch', value: { valueMatchers: [{ matchPattern: { case: 'listMatch', value: { matchPattern: { case: 'oneOf', value: element } } } }, element] } } },
    invert,
  });
}

/** The filter whose dynamic metadata holds a verified JWT's claims (`payload`), as Istio configures it. */
export const JWT_AUTHN_FILTER = 'envoy.filters.http.jwt_authn';

const ROUTED = new WeakMap<readonly HttpRouteView[], readonly (string | null)[]>();

/**
 * What the Envoy routes of `routes` read from `env` besides the routes themselves, as a string: per
 * destination and mirror, whether its cluster is in `env.clusters` (else the route names
 * `BlackHoleCluster`). The consistent hash a route hashes on is part of the route view itself.
 */
export function routedClusters(routes: readonly HttpRouteView[], env: RouteEnv): string {
  let names = ROUTED.get(routes);
  if (!names) ROUTED.set(routes, (names = routes.flatMap((r) => [...r.destinations.map((d) => d.cluster), ...r.mirrors.map((m) => m.destination.cluster)])));
  let out = '';
  for (const c of names) out += c === null || !env.clusters.has(c) ? '0' : '1';
  return out;
}

function clusterOf(d: DestinationView, env: RouteEnv): string {
  return d.cluster !== null && env.clusters.has(d.cluster) ? d.cluster : BLACKHOLE_CLUSTER;
}

const REDIRECT_CODES: Record<number, RedirectAction_RedirectResponseCode> = {
  301: RedirectAction_RedirectResponseCode.MOVED_PERMANENTLY, 302: RedirectAction_RedirectResponseCode.FOUND,
  303: RedirectAction_RedirectResponseCode.SEE_OTHER, 307: RedirectAction_RedirectResponseCode.TEMPORARY_REDIRECT,
  308: RedirectAction_RedirectResponseCode.PERMANENT_REDIRECT,
};

/** The listener a route is built for (istiod's `listenPort` and `RouteOptions.IsTLS`): what a redirect's `derivePort` and default scheme read. */
export interface RouteListener {
  /** The port the route configuration serves: a sidecar's outbound port, a gateway server's `port.number`. */
  readonly port: number;
  /** A gateway server with `tls` (sidecars never terminate TLS). @default false */
  readonly tls?: boolean;
}

/**
 * istiod `ApplyRedirect`. The path is always given (`path_redirect`, empty keeps the request's) unless
 * `prefixRewrite` is. `derivePort: FROM_REQUEST_PORT` is the listener's port (Envoy cannot read the
 * request's, istiod builds routes per port), `FROM_PROTOCOL_DEFAULT` none; with any port setting, the
 * scheme's default port (80 for http, 443 for https; the scheme is the listener's when not rewritten)
 * is left out of the Location. A redirect code Envoy has no enum for (not 301, 302, 303, 307, 308)
 * leaves the route without an action, as istiod does: Envoy refuses the route configuration.
 */
function applyRedirect(r: Route, red: NonNullable<HttpRouteView['redirect']>, listener: RouteListener): void {
  let portRedirect = 0;
  if (red.derivePort !== undefined || red.port !== undefined) {
    if (red.port !== undefined) portRedirect = red.port;
    else if (red.derivePort === 'FROM_REQUEST_PORT') portRedirect = listener.port;
    const scheme = red.scheme ?? (listener.tls ? 'https' : 'http');
    if ((portRedirect === 80 && scheme === 'http') || (portRedirect === 443 && scheme === 'https')) portRedirect = 0;
  }
  const responseCode = REDIRECT_CODES[red.redirectCode === 0 ? 301 : red.redirectCode];
  if (responseCode === undefined) {
    r.action = { case: undefined };
    return;
  }
  r.action = { case: 'redirect', value: create(RedirectActionSchema, {
    hostRedirect: red.authority ?? '', portRedirect: uint32(portRedirect), responseCode,
    ...(red.scheme ? { schemeRewriteSpecifier: { case: 'schemeRedirect' as const, value: red.scheme } } : {}),
    pathRewriteSpecifier: red.prefixRewrite ? { case: 'prefixRewrite' as const, value: red.prefixRewrite } : { case: 'pathRedirect' as const, value: red.uri ?? '' },
  }) };
}

/**
 * Redirect, direct response, or forwarding (cluster / weighted clusters, timeout, retries, rewrite,
 * mirrors), as istiod's `applyHTTPRouteDestination`. `authority` is the route's `headers.request`
 * authority (`_headers.ts`): the `host_rewrite_literal` unless `rewrite.authority` is set.
 */
function applyAction(r: Route, route: HttpRouteView, env: RouteEnv, listener: RouteListener, authority: string): void {
  if (route.redirect) return applyRedirect(r, route.redirect, listener);
  if (route.directResponse) {
    const dr = route.directResponse;
    r.action = { case: 'directResponse', value: create(DirectResponseActionSchema, {
      status: uint32(dr.status), ...(dr.body !== undefined ? { body: { specifier: { case: 'inlineString' as const, value: dr.body } } } : {}),
    }) };
    return;
  }
  const dests = route.destinations;
  // A Gateway API route's one backend that is not in the snapshot: istiod names its cluster and Envoy answers
  // cluster_not_found_response_code 500; the snapshot names only clusters it holds (else BlackHoleCluster, 503),
  // so the 500 is answered here directly.
  if (route.clusterNotFoundStatus !== undefined && dests.length === 1 && clusterOf(dests[0]!, env) === BLACKHOLE_CLUSTER) {
    r.action = { case: 'directResponse', value: create(DirectResponseActionSchema, { status: uint32(route.clusterNotFoundStatus) }) };
    return;
  }
  // istiod keeps a weight-0 destination only when it is the route's one destination.
  const weighted = dests.length === 1 ? dests : dests.filter((d) => d.weight !== 0);
  const retries = route.retries;
  const rw = route.rewrite;
  const parts = env.parts ?? FRESH_PARTS;
  const timeoutMs = route.timeoutMs ?? 0;
  const timeout = () => parts.part(`duration ${timeoutMs}`, DurationSchema, () => create(DurationSchema, duration(timeoutMs)));
  const single = dests.length === 1 ? translateHeadersOperations(dests[0]!.headers) : undefined;
  // Precedence: rewrite.authority, the route's headers, then a single destination's headers.
  const hostRewrite = rw?.authority || authority || single?.authority || '';
  const action = create(RouteSchema, { action: { case: 'route', value: {
    clusterSpecifier: dests.length === 1
      ? { case: 'cluster' as const, value: clusterOf(dests[0]!, env) }
      : { case: 'weightedClusters' as const, value: { clusters: weighted.map((d) => weightedCluster(d, env)) } },
    // Istio disables Envoy's 15 s default: no timeout unless the route sets one. gRPC reads
    // max_stream_duration, Envoy bounds grpc-timeout headers by max_grpc_timeout (Istio's setTimeout).
    timeout: timeout(),
    ...(route.clusterNotFoundStatus === 500 ? { clusterNotFoundResponseCode: RouteAction_ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR } : {}),
    ...(env.proxyless ? { maxStreamDuration: { maxStreamDuration: timeout() } } : { maxGrpcTimeout: timeout() }),
    // istiod ConvertPolicy(policy, consistentHash): one destination whose DestinationRule has a consistent hash, key or not.
    ...(retries && retries.attempts > 0 ? { retryPolicy: retryPolicyOf(retries, dests.length === 1 && dests[0]!.consistentHash !== undefined, env.parts ?? FRESH_PARTS) } : {}),
    ...(rw?.uri !== undefined ? { prefixRewrite: rw.uri } : {}),
    ...(rw?.uriRegexRewrite ? { regexRewrite: { pattern: { regex: rw.uriRegexRewrite.match }, substitution: rw.uriRegexRewrite.rewrite } } : {}),
    ...(hostRewrite ? { hostRewriteSpecifier: { case: 'hostRewriteLiteral' as const, value: hostRewrite } } : {}),
    hashPolicy: hashPolicies(weighted),
    // istiod MirrorPercent / MirrorPercentByPolicy: a percentage of 0 mirrors nothing, so no policy.
    requestMirrorPolicies: route.mirrors.filter((m) => m.percentage > 0).map((m) => ({
      cluster: clusterOf(m.destination, env),
      runtimeFraction: { defaultValue: percentOf(m) },
      traceSampled: false,
    })),
  } } }).action;
  r.action = action;
  // One destination: its header operations apply to the route itself (Istio's processDestination).
  if (single) {
    r.requestHeadersToAdd.push(...single.requestHeadersToAdd);
    r.requestHeadersToRemove.push(...single.requestHeadersToRemove);
    r.responseHeadersToAdd.push(...single.responseHeadersToAdd);
    r.responseHeadersToRemove.push(...single.responseHeadersToRemove);
  }
}

/** istiod `processWeightedDestination`: the destination's header operations and authority on its cluster weight. */
function weightedCluster(d: DestinationView, env: RouteEnv) {
  const h = translateHeadersOperations(d.headers);
  return {
    name: clusterOf(d, env), weight: uint32(d.weight),
    requestHeadersToAdd: h.requestHeadersToAdd, requestHeadersToRemove: h.requestHeadersToRemove,
    responseHeadersToAdd: h.responseHeadersToAdd, responseHeadersToRemove: h.responseHeadersToRemove,
    ...(h.authority ? { hostRewriteSpecifier: { case: 'hostRewriteLiteral' as const, value: h.authority } } : {}),
  };
}

/**
 * A route's `retry_policy` (Istio `retry.go`). Istio's DefaultPolicy tries other hosts first
 * (`previous_hosts`), except with consistent hashing (`hashed`: one destination with a hash policy,
 * DefaultConsistentHashPolicy keeps the same host). One message per content from `parts`.
 */
function retryPolicyOf(retries: NonNullable<HttpRouteView['retries']>, hashed: boolean, parts: ClusterParts): RetryPolicy {
  // ConvertPolicy: retryIgnorePreviousHosts, when set, decides the previous_hosts predicate; unset, it is on unless the route hashes.
  const previousHosts = retries.retryIgnorePreviousHosts ?? !hashed;
  const key = `retryPolicy ${retries.retryOn} ${retries.attempts} ${retries.perTryTimeoutMs} ${previousHosts} ${retries.retryRemoteLocalities} ${retries.backoffBaseMs}`;
  return parts.part(key, RetryPolicySchema, () => create(RetryPolicySchema, {
    ...retryOn(retries.retryOn), numRetries: uint32(retries.attempts),
    ...(retries.perTryTimeoutMs !== null ? { perTryTimeout: duration(retries.perTryTimeoutMs) } : {}),
    ...(retries.retryRemoteLocalities ? { retryPriority: PREVIOUS_PRIORITIES } : {}),
    ...(previousHosts ? { retryHostPredicate: [PREVIOUS_HOSTS] } : {}),
    hostSelectionRetryMaxAttempts: 5n,
    // ConvertPolicy sets retry_back_off only when `backoff` is written; unset, Envoy's 25 ms base applies.
    ...(retries.backoffBaseMs !== null ? { retryBackOff: { baseInterval: duration(retries.backoffBaseMs) } } : {}),
  }));
}

/**
 * Istio's `retryOn` → Envoy: HTTP status codes in the list (`"503,connect-failure"`) become
 * `retriable_status_codes` plus the `retriable-status-codes` policy (Istio `retry.go`); the rest is kept.
 */
export function retryOn(list: string): { retryOn: string; retriableStatusCodes: number[] } {
  // Istio's DefaultPolicy (route/retry/retry.go): the default retry_on names retriable-status-codes
  // but lists no code. Istio before 1.24 added [503]; 1.24 stopped (EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY
  // on by default) and later releases removed the switch, so a 503 is not retried by default.
  const parts = list.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const codes = parts.filter((p) => /^\d{3}$/.test(p)).map(Number);
  const policies = parts.filter((p) => !/^\d{3}$/.test(p));
  if (codes.length > 0 && !policies.includes('retriable-status-codes')) policies.push('retriable-status-codes');
  return { retryOn: policies.join(','), retriableStatusCodes: codes };
}

/**
 * A route's `hash_policy`, as istiod's `processDestination` / `processWeightedDestination` append
 * it: one policy per destination (weight-0 ones of a split left out) whose `consistentHash` gives
 * one, in destination order, not deduplicated; Envoy combines them all (see `compileHashPolicy`).
 */
function hashPolicies(dests: readonly DestinationView[]): RouteAction_HashPolicy[] {
  const out: RouteAction_HashPolicy[] = [];
  for (const d of dests) {
    const p = d.consistentHash ? consistentHashToHashPolicy(d.consistentHash) : undefined;
    if (p) out.push(p);
  }
  return out;
}

/** Istio's `ConsistentHashToHashPolicy`: header, cookie (path, TTL, attributes), source IP or query parameter; none for a hash without key. */
function consistentHashToHashPolicy(raw: Readonly<Record<string, unknown>>): RouteAction_HashPolicy | undefined {
  const ch = raw as { httpHeaderName?: string; httpCookie?: { name?: string; path?: string; ttl?: string; attributes?: { name?: string; value?: string }[] }; useSourceIp?: boolean; httpQueryParameterName?: string };
  if (ch.httpHeaderName) return create(RouteAction_HashPolicySchema, { policySpecifier: { case: 'header', value: { headerName: ch.httpHeaderName } } });
  if (ch.httpCookie) {
    const c = ch.httpCookie;
    const ttl = parseSeconds(c.ttl);
    const attributes = Array.isArray(c.attributes) ? c.attributes.map((a) => ({ name: String(a?.name ?? ''), value: String(a?.value ?? '') })) : [];
    return create(RouteAction_HashPolicySchema, { policySpecifier: { case: 'cookie', value: { name: c.name ?? '', path: c.path ?? '', attributes, ...(ttl !== undefined ? { ttl: duration(ttl * 1000) } : {}) } } });
  }
  // `useSourceIp: false` still names the source IP as the key (the oneof is set), with source_ip false: no hash.
  if (ch.useSourceIp || ch.useSourceIp === false) return create(RouteAction_HashPolicySchema, { policySpecifier: { case: 'connectionProperties', value: { sourceIp: ch.useSourceIp !== false } } });
  if (ch.httpQueryParameterName) return create(RouteAction_HashPolicySchema, { policySpecifier: { case: 'queryParameter', value: { name: ch.httpQueryParameterName } } });
  return undefined;
}

/** `"10s"`, `"1.5s"`, `"0s"` → seconds; undefined when absent or not plain seconds. */
function parseSeconds(d: string | undefined): number | undefined {
  const m = d === undefined ? null : /^(\d+(?:\.\d+)?)s$/.exec(d);
  return m ? Number(m[1]) : undefined;
}

/** Fault injection: the fault filter's per-route `HTTPFault` (delay and/or abort; percentages as istiod writes them: in millionths, a deprecated integer over 100, none on an abort without one). */
function applyFault(r: Route, route: HttpRouteView): void {
  const f = route.fault;
  if (!f) return;
  const fault = create(HTTPFaultSchema, {
    ...(f.delay ? { delay: { faultDelaySecifier: { case: 'fixedDelay' as const, value: duration(f.delay.fixedDelayMs) }, percentage: percentOf(f.delay) } } : {}),
    ...(f.abort ? { abort: {
      errorType: f.abort.httpStatus !== undefined ? { case: 'httpStatus' as const, value: uint32(f.abort.httpStatus) } : { case: 'grpcStatus' as const, value: grpcCode(f.abort.grpcStatus) },
      ...(f.abort.unset ? {} : { percentage: fractionalPercent(f.abort.percentage) }),
    } } : {}),
  });
  r.typedPerFilterConfig[FAULT_FILTER] = anyPack(HTTPFaultSchema, fault);
}

const GRPC_CODES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

function grpcCode(status: string | undefined): number {
  const i = GRPC_CODES.indexOf((status ?? 'UNAVAILABLE').toUpperCase());
  return i >= 0 ? i : 14;
}

/**
 * `corsPolicy` → the CORS filter's per-route `envoy.extensions.filters.http.cors.v3.CorsPolicy`, as Istio sends it
 * (`TranslateCORSPolicy`): `forward_not_matching_preflights` always written, false for `unmatchedPreflights: IGNORE`.
 */
function applyCors(r: Route, route: HttpRouteView): void {
  const c = route.corsPolicy;
  if (!c) return;
  const policy = create(CorsPolicySchema, {
    allowOriginStringMatch: c.allowOrigins.map((o) => translateStringMatch(o)),
    allowMethods: c.allowMethods.join(','), allowHeaders: c.allowHeaders.join(','), exposeHeaders: c.exposeHeaders.join(','),
    maxAge: c.maxAgeMs === null ? '' : String(Math.floor(c.maxAgeMs / 1000)),
    ...(c.allowCredentials !== null ? { allowCredentials: c.allowCredentials } : {}),
    forwardNotMatchingPreflights: !c.ignoreUnmatchedPreflights,
  });
  r.typedPerFilterConfig[CORS_FILTER] = anyPack(CorsPolicySchema, policy);
}
