/**
 * GAMMA routes on a sidecar: which of the VirtualServices istiod makes of mesh HTTPRoutes (and GRPCRoutes)
 * (`mesh/gateway-api-mesh-routes.ts`) a sidecar applies for a host, and their rules as view routes with
 * istiod's gateway semantics (route/route.go `UseGatewaySemantics`). Every origin points at the HTTPRoute:
 * a route at `spec.rules[i]`, a match at `spec.rules[i].matches[j]`, a destination at
 * `spec.rules[i].backendRefs[k]`, a filter's effect at `spec.rules[i].filters[f]`.
 *
 * Precedence against VirtualServices for the same host, as istiod orders a sidecar's VirtualServices
 * (model/virtualservice.go `SelectVirtualServices` with PILOT_UNIFIED_SIDECAR_SCOPE, its default) and keeps
 * the first virtual host per domain: by exportTo tier (the proxy namespace's own `.`-scoped ones, those
 * exported to it by name, those exported everywhere: a GAMMA VirtualService has the MeshConfig default),
 * within a tier a GAMMA VirtualService in the proxy's namespace (a consumer route) first, then creation
 * time, name, namespace. A GAMMA VirtualService applies only to sidecars in its own namespace (consumer)
 * or in the Service's (producer route: `buildSidecarVirtualHostsForVirtualService`), and on a port only
 * when it has routes for it (a parentRef `port` limits them); else the next candidate, or the default route.
 */
import type { FieldPath } from '../types.js';
import type { MeshGraph } from '../graph.js';
import type { MeshObject } from '../object.js';
import { isRecord } from '../object.js';
import { backendKind, backendWeight, gammaVirtualServices, type GammaRoute, type GammaStringMatch, type GammaVirtualService } from '../gateway-api-mesh-routes.js';
import { referenceGrantFor } from '../gateway-api-attachment.js';
import { GATEWAY_API_GROUP, gatewayApiOf } from '../gateway-api.js';
import { httpRouteRuleTimeouts } from '../http-route-timeouts.js';
import { defaultExportTo, exportedTo, importingEntry, virtualServiceTier, type EgressHost } from '../visibility.js';
import { retryPolicy } from './defaults.js';
import { originOf } from './origin.js';
import { translateDestination, type RouteEnv } from './routes.js';
import type { CorsPolicyView, DestinationView, HeaderOperations, HttpMatchView, HttpRouteView, MirrorView, RedirectView, RewriteView } from './types.js';
import { mirrorBackendError } from '../gateway-api-mirrors.js';
import type { GammaL4VirtualService } from '../gateway-api-mesh-l4-routes.js';
import { isGammaL4 } from './gamma-l4-routes.js';

type Raw = Readonly<Record<string, unknown>>;
const records = (v: unknown): Raw[] => (Array.isArray(v) ? v.filter(isRecord) : []);

/**
 * A candidate for a host's routes on a sidecar: a VirtualService object, a GAMMA VirtualService (HTTPRoutes and
 * GRPCRoutes), or one made of a mesh TCPRoute or TLSRoute (`gamma-l4-routes.ts`).
 */
export type MeshRouteSource = MeshObject | GammaVirtualService | GammaL4VirtualService;

/** Whether a candidate is a GAMMA VirtualService. */
export function isGamma(c: MeshRouteSource): c is GammaVirtualService {
  return 'http' in c && 'objects' in c;
}

/**
 * The GAMMA VirtualServices for `host` a sidecar in `proxyNamespace` may apply: exported to it (the
 * MeshConfig's default VirtualService exportTo), in its namespace or the Service's, imported by its Sidecar
 * egress hosts (`imports`, null: everything exported).
 */
export function gammaCandidates(graph: MeshGraph, host: string, proxyNamespace: string, imports: readonly EgressHost[] | null): GammaVirtualService[] {
  const all = gammaVirtualServices(graph).get(host);
  if (!all) return [];
  const exportTo = defaultExportTo('VirtualService', graph.meshConfig);
  return all.filter((vs) => (vs.namespace === vs.serviceNamespace || vs.namespace === proxyNamespace)
    && exportedTo(exportTo, vs.namespace, proxyNamespace)
    && (imports === null || importingEntry(imports, vs.namespace, host) !== undefined));
}

/**
 * The sort key istiod's candidate order reads: exportTo tier, a VirtualService made of Gateway API routes in the
 * proxy's namespace first (`SelectVirtualServices`: `UseGatewaySemantics` and the proxy's namespace), creation time,
 * name, namespace.
 */
export function candidateOrder(graph: MeshGraph, proxyNamespace: string, tierOf: (vs: MeshObject) => number): (a: MeshRouteSource, b: MeshRouteSource) => number {
  const gammaTier = (vs: GammaVirtualService | GammaL4VirtualService) => virtualServiceTier(defaultExportTo('VirtualService', graph.meshConfig), vs.namespace, proxyNamespace);
  const key = (c: MeshRouteSource): [number, number, string, string, string] => isGamma(c) || isGammaL4(c)
    ? [gammaTier(c), c.namespace === proxyNamespace ? 0 : 1, c.creationTimestamp, c.name, c.namespace]
    : [tierOf(c), 1, creation(c), c.name, c.namespace];
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
    return 0;
  };
}

function creation(o: MeshObject): string {
  const meta = o.body.metadata;
  return isRecord(meta) && typeof meta.creationTimestamp === 'string' ? meta.creationTimestamp : '';
}

/** The routes of `vs` for the port `env.scope.port` (those of another parentRef port left out), as view routes. */
export function gammaHttpRoutesOf(env: RouteEnv, vs: GammaVirtualService): HttpRouteView[] {
  return vs.http.filter((r) => r.port === null || r.port === env.scope.port).map((r) => translateGammaRoute(env, r));
}

const rulePath = (r: GammaRoute): FieldPath => ['spec', 'rules', r.rule];

/** The route's match; none for a matchless GRPCRoute rule (with a parentRef `port`, `augmentPortMatch` adds one of only that port). */
function matchesOf(r: GammaRoute): HttpMatchView[] {
  if (r.matchless !== true) return [matchView(r)];
  return r.port === null ? [] : [{ port: r.port, origin: originOf(r.object, rulePath(r)) }];
}

function matchView(r: GammaRoute): HttpMatchView {
  const m: { -readonly [K in keyof HttpMatchView]?: HttpMatchView[K] } = r.uri === null ? {} : { uri: r.uri };
  if (r.uri !== null && 'prefix' in r.uri && r.uri.prefix !== '/') m.pathSeparated = true;
  if (Object.keys(r.headers).length > 0) m.headers = { ...r.headers };
  if (Object.keys(r.queryParams).length > 0) m.queryParams = { ...r.queryParams };
  if (r.method !== undefined) m.method = { exact: r.method };
  if (r.port !== null) m.port = r.port;
  m.origin = originOf(r.object, r.match === null ? rulePath(r) : [...rulePath(r), 'matches', r.match]);
  return m as HttpMatchView;
}

/** `headerListToMap` / `createHeadersFilter`: names lower-cased, the first of a name kept; undefined for an empty modifier. */
function headerOps(v: unknown): HeaderOperations | undefined {
  if (!isRecord(v)) return undefined;
  const map = (list: unknown): Record<string, string> | undefined => {
    const out: Record<string, string> = {};
    for (const h of records(list)) {
      if (typeof h.name !== 'string' || typeof h.value !== 'string') continue;
      const k = h.name.toLowerCase();
      if (!(k in out)) out[k] = h.value;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  };
  const set = map(v.set);
  const add = map(v.add);
  const remove = Array.isArray(v.remove) ? v.remove.filter((x): x is string => typeof x === 'string') : [];
  return { ...(set ? { set } : {}), ...(add ? { add } : {}), ...(remove.length > 0 ? { remove } : {}) };
}

/**
 * Whether a route on a Gateway may send to backendRef `b` (`buildDestination` with `enforceRefGrant`): a
 * backendRef into another namespace needs a ReferenceGrant there for the route's kind and namespace. Mesh
 * routes need none.
 */
function backendPermitted(env: RouteEnv, r: GammaRoute, b: Raw): boolean {
  if (r.enforceRefGrant !== true || typeof b.namespace !== 'string' || b.namespace === r.object.namespace) return true;
  const group = typeof b.group === 'string' ? b.group : '';
  const kind = typeof b.kind === 'string' ? b.kind : 'Service';
  const name = typeof b.name === 'string' ? b.name : '';
  return referenceGrantFor(gatewayApiOf(env.graph), { group: GATEWAY_API_GROUP, kind: r.object.kind, namespace: r.object.namespace }, { group, kind, namespace: b.namespace, name }) !== undefined;
}

/** The empty `Destination` istiod gives a backendRef the route may not use: no host, no cluster (Envoy's `UnknownService`). */
function refusedDestination(r: GammaRoute, weight: number, path: FieldPath): DestinationView {
  return { host: '', port: null, weight, cluster: null, known: false, origin: originOf(r.object, path) };
}

/** A backendRef as an Istio `Destination` (`buildDestination`): a Service's FQDN, a `Hostname` as written, other kinds no host. */
function destinationOf(env: RouteEnv, route: MeshObject, b: Raw): Raw {
  const ns = typeof b.namespace === 'string' ? b.namespace : route.namespace;
  const name = typeof b.name === 'string' ? b.name : '';
  const kind = backendKind(b);
  const host = kind === 'Service' ? `${name}.${ns}.svc.${env.graph.clusterDomain}` : kind === 'Hostname' ? name : '';
  return { host, ...(typeof b.port === 'number' ? { port: { number: b.port } } : {}) };
}

/** Go's `regexp.QuoteMeta`. */
function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** `createRewriteFilter`, with route.go's gateway-semantics removal of the whole prefix (`ReplacePrefixMatch: /`). */
function rewriteOf(f: Raw, r: GammaRoute, origin: HttpRouteView['origin']): RewriteView | undefined {
  const path = isRecord(f.path) ? f.path : undefined;
  const w: { -readonly [K in keyof RewriteView]?: RewriteView[K] } = {};
  if (path?.type === 'ReplacePrefixMatch' && typeof path.replacePrefixMatch === 'string') {
    const uri = path.replacePrefixMatch.replace(/\/$/, '') || '/';
    if (uri === '/') {
      const prefix = r.uri !== null && 'prefix' in r.uri && r.uri.prefix !== '/' ? r.uri.prefix : '';
      w.uriRegexRewrite = { match: `^${quoteMeta(prefix)}(/?)(.*)`, rewrite: '/\\2' };
    } else w.uri = uri;
  } else if (path?.type === 'ReplaceFullPath' && typeof path.replaceFullPath === 'string') {
    w.uriRegexRewrite = { match: '/.*', rewrite: path.replaceFullPath };
  }
  if (typeof f.hostname === 'string' && f.hostname !== '') w.authority = f.hostname;
  if (w.uri === undefined && w.uriRegexRewrite === undefined && w.authority === undefined) return undefined;
  w.origin = origin;
  return w as RewriteView;
}

/** `createRedirectFilter`: statusCode (API default 302), hostname, scheme, port (else derived from the scheme or the request), path. */
function redirectOf(f: Raw, origin: HttpRouteView['origin']): RedirectView {
  const path = isRecord(f.path) ? f.path : undefined;
  return {
    ...(path?.type === 'ReplaceFullPath' && typeof path.replaceFullPath === 'string' ? { uri: path.replaceFullPath } : {}),
    ...(path?.type === 'ReplacePrefixMatch' && typeof path.replacePrefixMatch === 'string' && path.replacePrefixMatch !== '' ? { prefixRewrite: path.replacePrefixMatch } : {}),
    ...(typeof f.hostname === 'string' && f.hostname !== '' ? { authority: f.hostname } : {}),
    ...(typeof f.scheme === 'string' && f.scheme !== '' ? { scheme: f.scheme } : {}),
    ...(typeof f.port === 'number' ? { port: f.port } : { derivePort: typeof f.scheme === 'string' ? 'FROM_PROTOCOL_DEFAULT' as const : 'FROM_REQUEST_PORT' as const }),
    redirectCode: typeof f.statusCode === 'number' ? f.statusCode : 302,
    origin,
  };
}

/** The regex istiod matches an `allowOrigins: ["*"]` entry with: any valid origin (RFC 6454). */
const ANY_ORIGIN = '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/\\s?#]+$';

/**
 * `createCorsFilter`: each allowed origin `*` as {@link ANY_ORIGIN}, without `*` exact, with one trailing `*` a
 * prefix, else a regex with `*` as `.*`; `allowCredentials` only when true; `maxAge` in seconds (API default 5).
 * and `unmatchedPreflights: IGNORE`.
 */
function corsOf(f: Raw, origin: HttpRouteView['origin']): CorsPolicyView {
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const allowOrigins = strings(f.allowOrigins).filter((o) => o !== '').map((o): GammaStringMatch => {
    if (o === '*') return { regex: ANY_ORIGIN };
    if (!o.includes('*')) return { exact: o };
    if (o.indexOf('*') === o.length - 1) return { prefix: o.slice(0, -1) };
    return { regex: `^${quoteMeta(o).replaceAll('\\*', '.*')}$` };
  });
  const maxAge = typeof f.maxAge === 'number' ? f.maxAge : 5;
  return {
    allowOrigins, allowMethods: strings(f.allowMethods), allowHeaders: strings(f.allowHeaders), exposeHeaders: strings(f.exposeHeaders),
    maxAgeMs: maxAge > 0 ? maxAge * 1000 : null, allowCredentials: f.allowCredentials === true ? true : null, ignoreUnmatchedPreflights: true, origin,
  };
}

/** A `RequestMirror` filter: its backendRef, and `fraction` (numerator / denominator, default 100) or `percent`, else 100 %. */
function mirrorOf(env: RouteEnv, r: GammaRoute, f: Raw, path: FieldPath): MirrorView | undefined {
  if (!isRecord(f.backendRef)) return undefined;
  const fraction = isRecord(f.fraction) ? f.fraction : undefined;
  const percentage = fraction && typeof fraction.numerator === 'number'
    ? (100 * fraction.numerator) / (typeof fraction.denominator === 'number' ? fraction.denominator : 100)
    : typeof f.percent === 'number' ? f.percent : 100;
  // istiod drops a mirror whose destination it cannot build (`createMirrorFilter` fails): not permitted, not
  // found, no port, a host name as Service name, an unsupported kind.
  if (mirrorBackendError(env.graph, r.object, f.backendRef, r.enforceRefGrant === true) !== null) return undefined;
  const destination = translateDestination(env, r.object, destinationOf(env, r.object, f.backendRef), 0, [...path, 'backendRef']);
  // Without fraction or percent istiod leaves `percentage` unset: its 100 % default goes over a denominator of 100.
  return fraction || typeof f.percent === 'number' ? { destination, percentage } : { destination, percentage, whole: true };
}

/**
 * `convertHTTPRoute` then route.go for one route: filters in order (a later modifier of a kind replaces an
 * earlier one), retry and timeouts (`http-route-timeouts.ts`), backendRefs of weight > 0 (one left:
 * everything to it), or a 500 direct response when their weights sum to 0 and no redirect is set.
 */
function translateGammaRoute(env: RouteEnv, r: GammaRoute): HttpRouteView {
  const raw = r.raw;
  const at = (p: FieldPath) => originOf(r.object, [...rulePath(r), ...p]);
  const out: { -readonly [K in keyof HttpRouteView]?: HttpRouteView[K] } = { name: r.name, match: matchesOf(r) };
  let request: HeaderOperations | undefined;
  let response: HeaderOperations | undefined;
  let headersAt: FieldPath | undefined;
  const mirrors: MirrorView[] = [];
  records(raw.filters).forEach((f, i) => {
    const path: FieldPath = [...rulePath(r), 'filters', i];
    if (f.type === 'RequestHeaderModifier' && isRecord(f.requestHeaderModifier)) { request = headerOps(f.requestHeaderModifier); headersAt = path; }
    if (f.type === 'ResponseHeaderModifier' && isRecord(f.responseHeaderModifier)) { response = headerOps(f.responseHeaderModifier); headersAt = path; }
    if (f.type === 'RequestRedirect' && isRecord(f.requestRedirect)) out.redirect = redirectOf(f.requestRedirect, originOf(r.object, path));
    if (f.type === 'URLRewrite' && isRecord(f.urlRewrite)) { const w = rewriteOf(f.urlRewrite, r, originOf(r.object, path)); if (w) out.rewrite = w; else delete out.rewrite; }
    if (f.type === 'CORS' && isRecord(f.cors)) out.corsPolicy = corsOf(f.cors, originOf(r.object, path));
    if (f.type === 'RequestMirror' && isRecord(f.requestMirror)) { const m = mirrorOf(env, r, f.requestMirror, [...path, 'requestMirror']); if (m) mirrors.push(m); }
  });
  const backends = records(raw.backendRefs).map((b, k) => [b, k] as const).filter(([b]) => backendWeight(b) > 0);
  out.destinations = backends.map(([b, k]) => backendDestination(env, r, b, k, backends.length === 1 ? 100 : backendWeight(b)));
  const t = httpRouteRuleTimeouts(raw);
  out.timeoutMs = t.timeoutMs;
  const retry = isRecord(raw.retry) ? raw.retry : undefined;
  const policy = t.retry && retryPolicy({
    attempts: t.retry.attempts, retryOn: t.retry.retryOn,
    ...(t.retry.perTryTimeoutMs !== null ? { perTryTimeout: `${t.retry.perTryTimeoutMs}ms` } : {}),
    ...(retry && typeof retry.backoff === 'string' ? { backoff: retry.backoff } : {}),
  }, env.graph.meshConfig);
  out.retries = policy ? { ...policy, origin: at(['retry']) } : { ...retryPolicy(undefined, env.graph.meshConfig), origin: null };
  out.mirrors = mirrors;
  if (backends.length === 0 && !out.redirect) out.directResponse = { status: 500, origin: at(Array.isArray(raw.backendRefs) ? ['backendRefs'] : []) };
  if (request || response) out.headers = { ...(request ? { request } : {}), ...(response ? { response } : {}), origin: originOf(r.object, headersAt!) };
  out.clusterNotFoundStatus = 500;
  out.origin = originOf(r.object, rulePath(r));
  return out as HttpRouteView;
}

/** One backendRef as a route destination, with its own header modifiers (`buildHTTPDestination`). */
function backendDestination(env: RouteEnv, r: GammaRoute, b: Raw, k: number, weight: number): DestinationView {
  const path: FieldPath = [...rulePath(r), 'backendRefs', k];
  if (!backendPermitted(env, r, b)) return refusedDestination(r, weight, path);
  const d = translateDestination(env, r.object, destinationOf(env, r.object, b), weight, path, path, true);
  let request: HeaderOperations | undefined;
  let response: HeaderOperations | undefined;
  records(b.filters).forEach((f) => {
    if (f.type === 'RequestHeaderModifier') request = headerOps(f.requestHeaderModifier);
    if (f.type === 'ResponseHeaderModifier') response = headerOps(f.responseHeaderModifier);
  });
  return request || response ? { ...d, headers: { ...(request ? { request } : {}), ...(response ? { response } : {}), origin: originOf(r.object, [...path, 'filters']) } } : d;
}
