/**
 * Envoy's route selection as a pure function: a RouteConfiguration (compiled once by
 * {@link compileRouteConfiguration}), the request's attributes and an injected random source →
 * virtual host, route and action (Envoy `source/common/router/config_impl.cc`: `RouteMatcher::findVirtualHost`,
 * `VirtualHostImpl::getRouteFromEntries`, `WeightedClusterEntry` picking, redirects, direct responses,
 * rewrites, header operations in Envoy's order, CORS).
 *
 * No I/O, no clock, no global random: the same inputs give the same decision.
 */
import type { Any } from '@bufbuild/protobuf/wkt';
import type { Route, RouteAction, VirtualHost } from '../xds/gen/envoy/config/route/v3/route_components_pb.js';
import type { RouteConfiguration } from '../xds/gen/envoy/config/route/v3/route_pb.js';
import { type CompiledCors, type CorsOutcome, evaluateCors } from './cors.js';
import { type HeaderMutation } from './header-mutation.js';
import { type HeaderBag, headerValue, parseQuery, pathOnly } from './route-match.js';
import { type CompiledRedirect, type HostRewrite, type RegexRewrite, redirectLocation, rewriteHost, rewritePath } from './route-rewrite.js';
import { type CompiledRoute, type CompiledVirtualHost, compileVirtualHosts } from './route-table.js';

export type { CompiledRoute, CompiledVirtualHost } from './route-table.js';

/** What route selection reads of a request. */
export interface RequestAttributes {
  /** `:authority` / Host as received (port included when the client sent one). */
  readonly authority: string;
  /** `:path` with query string. */
  readonly path: string;
  /** `:method`, upper case. */
  readonly method: string;
  /** `http` or `https` (the downstream connection's scheme, or x-forwarded-proto when trusted). */
  readonly scheme: string;
  /** Lower-case header names; pseudo-headers may be present or not (the fields above are used for them). */
  readonly headers: HeaderBag;
}

/** Uniform random number in [0, 1). Injected, so tests choose the weighted cluster deterministically. */
export type RandomSource = () => number;

/** A RouteConfiguration ready for requests. Built once per RDS update. */
export interface CompiledRouteTable {
  readonly name: string;
  readonly exact: ReadonlyMap<string, CompiledVirtualHost>;
  /** `*.foo` / `*-bar.foo` domains: [suffix, vhost], longest suffix first. */
  readonly suffixes: readonly (readonly [string, CompiledVirtualHost])[];
  /** `foo.*` domains: [prefix, vhost], longest prefix first. */
  readonly prefixes: readonly (readonly [string, CompiledVirtualHost])[];
  readonly fallback: CompiledVirtualHost | undefined;
  readonly ignorePortInHostMatching: boolean;
  readonly source: RouteConfiguration;
}

/** The decision for one request. */
export type RouteDecision =
  | { readonly kind: 'no-route'; readonly virtualHost: CompiledVirtualHost | undefined }
  | ForwardDecision
  | { readonly kind: 'redirect'; readonly virtualHost: CompiledVirtualHost; readonly route: CompiledRoute; readonly status: number; readonly location: string; readonly responseHeaders: readonly HeaderMutation[] }
  | { readonly kind: 'direct'; readonly virtualHost: CompiledVirtualHost; readonly route: CompiledRoute; readonly status: number; readonly body: string | undefined; readonly responseHeaders: readonly HeaderMutation[] }
  | { readonly kind: 'cors-preflight'; readonly virtualHost: CompiledVirtualHost; readonly route: CompiledRoute; readonly headers: readonly string[] };

export interface ForwardDecision {
  readonly kind: 'forward';
  readonly virtualHost: CompiledVirtualHost;
  readonly route: CompiledRoute;
  /** The upstream cluster name (from `cluster`, the weighted pick, or `cluster_header`). */
  readonly cluster: string;
  /** The Envoy `RouteAction`, for the policy units (retry_policy, timeout, hash_policy, mirrors…). */
  readonly action: RouteAction;
  /** `:path` to send upstream (rewritten or as received). */
  readonly path: string;
  /** `:authority` to send upstream, or undefined to keep the request's (host rewrite may still be `auto`). */
  readonly authority: string | undefined;
  readonly autoHostRewrite: boolean;
  /** Header operations to apply to the upstream request, in order (weighted cluster, route, virtual host, route configuration). */
  readonly requestHeaders: readonly HeaderMutation[];
  /** Header operations for the response, in the same order. */
  readonly responseHeaders: readonly HeaderMutation[];
  /** Response headers the CORS filter adds (allowed cross-origin request), or undefined. */
  readonly corsHeaders: readonly string[] | undefined;
}

/** Envoy's `typed_per_filter_config` lookup: the route's entry, else its virtual host's, else the route configuration's. */
export function perFilterConfig(route: CompiledRoute, filterName: string): Any | undefined {
  return route.perFilterConfig.get(filterName);
}

/** Lower-cases and, when asked, strips the port (`host:80` → `host`, `[::1]:80` → `[::1]`). */
function normaliseHost(authority: string, stripPort: boolean): string {
  let host = authority.toLowerCase();
  if (stripPort) {
    const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.lastIndexOf(':');
    if (end > 0 && host.charCodeAt(end) === 58 && /^\d+$/.test(host.slice(end + 1))) host = host.slice(0, end);
  }
  return host;
}

/**
 * `RouteMatcher::findVirtualHost`: exact domain, then the longest `*suffix` wildcard, then the longest
 * `prefix*` wildcard, then `*`. Domains compare case-insensitively; the port is part of the host unless
 * `ignore_port_in_host_matching` (the HCM's strip_*_host_port options are applied before, by the caller).
 * A wildcard stands for at least one character.
 */
export function findVirtualHost(table: CompiledRouteTable, authority: string): CompiledVirtualHost | undefined {
  const host = normaliseHost(authority, table.ignorePortInHostMatching);
  const exact = table.exact.get(host);
  if (exact) return exact;
  for (const [suffix, vh] of table.suffixes) if (host.length > suffix.length && host.endsWith(suffix)) return vh;
  for (const [prefix, vh] of table.prefixes) if (host.length > prefix.length && host.startsWith(prefix)) return vh;
  return table.fallback;
}

/** Compiles a RouteConfiguration; throws a ConfigError naming the field for what this proxy cannot apply. */
export function compileRouteConfiguration(rc: RouteConfiguration): CompiledRouteTable {
  const { exact, suffixes, prefixes, fallback } = compileVirtualHosts(rc);
  return { name: rc.name, exact, suffixes, prefixes, fallback, ignorePortInHostMatching: rc.ignorePortInHostMatching, source: rc };
}

function pickWeighted(route: CompiledRoute, random: RandomSource, headers: HeaderBag): number {
  const w = route.weighted!;
  let value: number;
  const fromHeader = w.randomHeader ? headerValue(headers, w.randomHeader) : undefined;
  if (fromHeader !== undefined && /^\d+$/.test(fromHeader)) value = Number(BigInt(fromHeader) % BigInt(w.total));
  else value = Math.floor(random() * w.total);
  for (let i = 0; i < w.cumulative.length; i++) if (value < w.cumulative[i]!) return i;
  return w.cumulative.length - 1;
}

/**
 * Selects the virtual host, the first matching route and its action for `req`. `random` is called
 * for routes with a `runtime_fraction` and for weighted clusters, each time a fresh draw.
 */
export function selectRoute(table: CompiledRouteTable, req: RequestAttributes, random: RandomSource): RouteDecision {
  const vh = findVirtualHost(table, req.authority);
  if (!vh) return { kind: 'no-route', virtualHost: undefined };
  const path = pathOnly(req.path);
  let query: ReadonlyMap<string, string> | undefined;
  for (const route of vh.routes) {
    if (!route.matchPath(path)) continue;
    if (route.headers.length > 0 && !matchHeaders(route, req)) continue;
    if (route.query.length > 0) {
      query ??= parseQuery(req.path);
      let ok = true;
      for (const q of route.query) if (!q(query)) { ok = false; break; }
      if (!ok) continue;
    }
    if (route.grpcOnly && !isGrpc(req.headers)) continue;
    if (route.fraction !== undefined && !(random() < route.fraction)) continue;
    return decide(vh, route, req, path, random);
  }
  return { kind: 'no-route', virtualHost: vh };
}

function matchHeaders(route: CompiledRoute, req: RequestAttributes): boolean {
  const h = route.needsPseudo ? withPseudo(req) : req.headers;
  for (const m of route.headers) if (!m(h)) return false;
  return true;
}

function withPseudo(req: RequestAttributes): HeaderBag {
  return { ...req.headers, ':authority': req.authority, ':path': req.path, ':method': req.method, ':scheme': req.scheme };
}

function isGrpc(headers: HeaderBag): boolean {
  const ct = headerValue(headers, 'content-type');
  return ct !== undefined && (ct === 'application/grpc' || ct.startsWith('application/grpc+') || ct.startsWith('application/grpc;'));
}

function matchedLength(route: CompiledRoute, path: string): number | 'all' {
  return route.prefixLength ?? (route.exactPath ? path.length : 'all');
}

function decide(vh: CompiledVirtualHost, route: CompiledRoute, req: RequestAttributes, path: string, random: RandomSource): RouteDecision {
  const cors: CompiledCors | undefined = route.cors;
  let corsOutcome: CorsOutcome | undefined;
  if (cors) {
    corsOutcome = evaluateCors(cors, req.method, headerValue(req.headers, 'origin'), headerValue(req.headers, 'access-control-request-method'));
    if (corsOutcome?.kind === 'preflight') return { kind: 'cors-preflight', virtualHost: vh, route, headers: corsOutcome.headers };
    if (corsOutcome?.kind === 'deny-preflight') return { kind: 'direct', virtualHost: vh, route, status: 403, body: undefined, responseHeaders: [] };
  }
  const a = route.action;
  if (a.kind === 'redirect') {
    return { kind: 'redirect', virtualHost: vh, route, status: a.redirect.status, location: redirectLocation(a.redirect, req.scheme, req.authority, req.path, matchedLength(route, path)), responseHeaders: route.responseMutations };
  }
  if (a.kind === 'direct') return { kind: 'direct', virtualHost: vh, route, status: a.status, body: a.body, responseHeaders: route.responseMutations };
  let cluster: string;
  let requestHeaders = route.requestMutations;
  let responseHeaders = route.responseMutations;
  let hostRewrite: HostRewrite | undefined = a.hostRewrite;
  if (route.weighted) {
    const entry = route.weighted.entries[pickWeighted(route, random, req.headers)]!;
    cluster = entry.cluster ?? headerValue(req.headers, entry.clusterHeader!) ?? '';
    requestHeaders = entry.requestMutations;
    responseHeaders = entry.responseMutations;
    hostRewrite = entry.hostRewrite ?? hostRewrite;
  } else {
    cluster = a.cluster ?? headerValue(req.headers, a.clusterHeader!) ?? '';
  }
  const newPath = a.prefixRewrite !== undefined || a.regexRewrite ? rewritePath(req.path, a.prefixRewrite, a.regexRewrite as RegexRewrite | undefined, matchedLength(route, path)) : req.path;
  return {
    kind: 'forward', virtualHost: vh, route, cluster, action: a.source, path: newPath,
    authority: hostRewrite ? rewriteHost(hostRewrite, req.path, req.headers) : undefined,
    autoHostRewrite: hostRewrite?.kind === 'auto',
    requestHeaders, responseHeaders,
    corsHeaders: corsOutcome?.kind === 'allowed' ? corsOutcome.responseHeaders : undefined,
  };
}

/** Compiles and selects in one call (tests, one-off use); compiled tables are cached per RouteConfiguration object. */
export function routeSelect(rc: RouteConfiguration, req: RequestAttributes, random: RandomSource): RouteDecision {
  let t = cache.get(rc);
  if (!t) cache.set(rc, (t = compileRouteConfiguration(rc)));
  return selectRoute(t, req, random);
}
const cache = new WeakMap<RouteConfiguration, CompiledRouteTable>();

/** Re-exported for callers that only import route-select. */
export type { CompiledRedirect, HostRewrite, Route, VirtualHost };
