/**
 * VirtualService routes translated for one proxy: matches filtered for it, delegation resolved,
 * destinations resolved to clusters, and Istio's defaults filled in (retries, timeouts, mirror
 * and fault percentages, redirect code). `translate*` maps one input message to one view message.
 */
import { isIP } from 'node:net';
import type { FieldPath } from '../types.js';
import type { MeshGraph } from '../graph.js';
import { isRecord, stringList, stringMap, type MeshObject } from '../object.js';
import type { ServiceInfo } from '../services.js';
import { droppedDelegateRule, mergedMatchEntries } from '../delegation.js';
import { exportedTo, exportToOf } from '../visibility.js';
import { retryPolicy } from './defaults.js';
import type { ClusterCollector } from './clusters.js';
import { httpMatch, httpMatchApplies, matchApplies, stringMatch, type MatchScope } from './matches.js';
import { durationMs, originOf } from './origin.js';
import { destinationConsistentHash, outboundClusterName, serviceConsistentHash } from './traffic-policy.js';
import { routeHostKey } from '../hosts.js';
import type {
  CorsPolicyView, DestinationView, DirectResponseView, FaultView, HeaderOperations, HeaderOperationsView,
  HostRoutesView, HttpMatchView, HttpRouteView, L4MatchView, L4RouteView, MirrorView, Origin, RedirectView, RewriteView, ServiceView, ViewProblem,
} from './types.js';

/** What route translation needs to know about the proxy. */
export interface RouteEnv {
  readonly graph: MeshGraph;
  readonly scope: MatchScope;
  /** The service a host names, if this proxy can see it. */
  readonly visible: (host: string) => ServiceInfo | undefined;
  readonly clusters: ClusterSource;
  readonly problems: ViewProblem[];
}

/** What route translation asks of the proxy's cluster collector. */
export type ClusterSource = Pick<ClusterCollector, 'add' | 'destinationRule'>;

type Raw = Readonly<Record<string, unknown>>;
const records = (v: unknown): Raw[] => (Array.isArray(v) ? v.filter(isRecord) : []);

/**
 * A percentage as istiod reads it: `<pctKey>.value` (an empty `Percent` is 0), else the deprecated
 * integer field(s), else `fallback`: 100 for a mirror (`MirrorPercent`), 0 for a fault (`TranslateFault`:
 * an unset delay `percent` is 0, an abort without `percentage` has none, which Envoy reads as 0 %).
 * `whole`: istiod sends it as a whole number over a denominator of 100 (`translateIntegerToFractionalPercent`:
 * the deprecated integers and the defaults), not in millionths; `unset` (with `fallback` null): no
 * percentage at all (an abort without one).
 */
function percentage(raw: Raw, pctKey: string, legacyKeys: readonly string[], fallback: number | null): { readonly percentage: number; readonly whole?: true; readonly unset?: true } {
  const p = raw[pctKey];
  if (isRecord(p)) return { percentage: typeof p.value === 'number' ? p.value : 0 };
  // istiod converts the deprecated integers with uint32(...) over a denominator of 100: a negative
  // one (the webhook does not check `percent`) wraps past 100 %, which Envoy reads as always.
  for (const k of legacyKeys) if (typeof raw[k] === 'number') return { percentage: Number.isInteger(raw[k]) ? (raw[k] as number) >>> 0 : (raw[k] as number), whole: true };
  return fallback === null ? { percentage: 0, unset: true } : { percentage: fallback, whole: true };
}

/**
 * Resolves one `Destination` (host in the VirtualService's namespace) to a cluster. `path` is where
 * the view's origin points (a route entry: the `HTTPRouteDestination`, weight and headers included;
 * a mirror: the `Destination`), `destinationPath` the `Destination` itself (its `subset` is what a
 * problem points at). `routed`: a route destination (not a mirror), which carries the consistent
 * hash its route hashes on.
 */
export function translateDestination(env: RouteEnv, vs: MeshObject, dest: Raw, weight: number, path: FieldPath, destinationPath: FieldPath = path, routed = false): DestinationView {
  const host = env.graph.resolveHost(typeof dest.host === 'string' ? dest.host : '', vs.namespace).fqdn;
  const subset = typeof dest.subset === 'string' && dest.subset !== '' ? dest.subset : undefined;
  const service = env.visible(host);
  let port: number | null = isRecord(dest.port) && typeof dest.port.number === 'number' ? dest.port.number : null;
  if (port === null && service) {
    if (service.ports.length === 1) port = service.ports[0]!.number;
    else if (service.ports.some((p) => p.number === env.scope.port)) port = env.scope.port;
  }
  const cluster = service && port !== null ? env.clusters.add(service, host, port, subset) : port !== null ? `outbound|${port}|${subset ?? ''}|${host}` : null;
  const own = subset === undefined ? undefined : env.clusters.destinationRule(host)?.subsets.find((s) => s.name === subset);
  const labels = own?.labels;
  if (subset !== undefined && !own && service && port !== null) {
    const rule = env.clusters.destinationRule(host);
    env.problems.push({
      code: 'view/subset-not-found',
      message: `subset "${subset}" of ${host} is not defined by ${rule ? `the DestinationRule the client uses for it (${rule.namespace}/${rule.rules.map((r) => r.name).join(', ')})` : 'any DestinationRule the client sees for it (none is exported to its namespace)'}, so istiod builds no cluster ${cluster} for it and requests routed there fail (503 NC). ` +
        `Fix: define subset "${subset}" in a DestinationRule for ${host} exported to the client's namespace, or route without the subset`,
      origin: originOf(vs, [...destinationPath, 'subset']),
    });
  }
  // Field by field (no spreads: a runtime call each), in the order the JSON dumps show.
  const d: { -readonly [K in keyof DestinationView]?: DestinationView[K] } = { host, port, weight, cluster, known: service !== undefined };
  if (subset !== undefined) d.subset = subset;
  if (labels) d.subsetLabels = { ...labels };
  const hash = routed && service ? destinationConsistentHash(env.clusters.destinationRule(host), subset, writtenPort(dest)) : undefined;
  if (hash) d.consistentHash = hash;
  d.origin = originOf(vs, path);
  return d as DestinationView;
}

/** `Destination.port.number` when written (istiod reads port-level hash settings only then). */
function writtenPort(dest: Raw): number | null {
  return isRecord(dest.port) && typeof dest.port.number === 'number' ? dest.port.number : null;
}

function translateDestinations(env: RouteEnv, vs: MeshObject, route: unknown, path: FieldPath): DestinationView[] {
  const list = records(route);
  return list.flatMap((r, i) => {
    if (!isRecord(r.destination)) return [];
    const weight = typeof r.weight === 'number' ? r.weight : list.length === 1 ? 100 : 0;
    const d = translateDestination(env, vs, r.destination, weight, [...path, i], [...path, i, 'destination'], true);
    const h = isRecord(r.headers) ? r.headers : undefined;
    const request = h && headerOps(h.request);
    const response = h && headerOps(h.response);
    return [h ? { ...d, headers: { ...(request ? { request } : {}), ...(response ? { response } : {}), origin: originOf(vs, [...path, i, 'headers']) } } : d];
  });
}

function translateMirrors(env: RouteEnv, vs: MeshObject, raw: Raw, path: FieldPath): MirrorView[] {
  const out: MirrorView[] = [];
  if (isRecord(raw.mirror)) out.push({ destination: translateDestination(env, vs, raw.mirror, 0, [...path, 'mirror']), ...percentage(raw, 'mirrorPercentage', ['mirrorPercent', 'mirror_percent'], 100) });
  records(raw.mirrors).forEach((m, i) => {
    if (isRecord(m.destination)) out.push({ destination: translateDestination(env, vs, m.destination, 0, [...path, 'mirrors', i, 'destination']), ...percentage(m, 'percentage', [], 100) });
  });
  return out;
}

function translateFault(raw: unknown, origin: Origin): FaultView | undefined {
  if (!isRecord(raw)) return undefined;
  const delay = isRecord(raw.delay) ? raw.delay : undefined;
  const abort = isRecord(raw.abort) ? raw.abort : undefined;
  const fixed = delay ? durationMs(delay.fixedDelay) : null;
  return {
    ...(delay && fixed !== null ? { delay: { fixedDelayMs: fixed, ...percentage(delay, 'percentage', ['percent'], 0) } } : {}),
    ...(abort ? { abort: {
      ...(typeof abort.httpStatus === 'number' ? { httpStatus: abort.httpStatus } : {}),
      ...(typeof abort.grpcStatus === 'string' ? { grpcStatus: abort.grpcStatus } : {}),
      ...percentage(abort, 'percentage', [], null),
    } } : {}),
    origin,
  };
}

function headerOps(v: unknown): HeaderOperations | undefined {
  if (!isRecord(v)) return undefined;
  const remove = stringList(v.remove);
  return {
    ...(isRecord(v.set) ? { set: { ...stringMap(v.set) } } : {}),
    ...(isRecord(v.add) ? { add: { ...stringMap(v.add) } } : {}),
    ...(remove ? { remove } : {}),
  };
}

type RouteDraft = { -readonly [K in keyof HttpRouteView]?: HttpRouteView[K] };

/** Sets the route's redirect, direct response, rewrite, headers and CORS policy that `raw` has, in that order. */
function translateExtras(raw: Raw, vs: MeshObject, path: FieldPath, into: RouteDraft): void {
  const at = (k: string): Origin => originOf(vs, [...path, k]);
  const r = isRecord(raw.redirect) ? raw.redirect : undefined;
  const d = isRecord(raw.directResponse) ? raw.directResponse : undefined;
  const w = isRecord(raw.rewrite) ? raw.rewrite : undefined;
  const h = isRecord(raw.headers) ? raw.headers : undefined;
  const c = isRecord(raw.corsPolicy) ? raw.corsPolicy : undefined;
  const redirect: RedirectView | undefined = r && {
    ...(typeof r.uri === 'string' ? { uri: r.uri } : {}), ...(typeof r.authority === 'string' ? { authority: r.authority } : {}),
    ...(typeof r.prefixRewrite === 'string' && r.prefixRewrite !== '' ? { prefixRewrite: r.prefixRewrite } : {}),
    ...(typeof r.scheme === 'string' && r.scheme !== '' ? { scheme: r.scheme } : {}), ...(typeof r.port === 'number' ? { port: r.port } : {}),
    ...(r.derivePort === 'FROM_PROTOCOL_DEFAULT' || r.derivePort === 'FROM_REQUEST_PORT' ? { derivePort: r.derivePort } : {}),
    redirectCode: typeof r.redirectCode === 'number' && r.redirectCode !== 0 ? r.redirectCode : 301, origin: at('redirect'),
  };
  const body = d && isRecord(d.body) ? (typeof d.body.string === 'string' ? d.body.string : typeof d.body.bytes === 'string' ? Buffer.from(d.body.bytes, 'base64').toString() : undefined) : undefined;
  const directResponse: DirectResponseView | undefined = d && typeof d.status === 'number' ? { status: d.status, ...(body !== undefined ? { body } : {}), origin: at('directResponse') } : undefined;
  const rx = w && isRecord(w.uriRegexRewrite) ? w.uriRegexRewrite : undefined;
  const rewrite: RewriteView | undefined = w && {
    ...(typeof w.uri === 'string' ? { uri: w.uri } : {}), ...(typeof w.authority === 'string' ? { authority: w.authority } : {}),
    ...(rx && typeof rx.match === 'string' && typeof rx.rewrite === 'string' ? { uriRegexRewrite: { match: rx.match, rewrite: rx.rewrite } } : {}),
    origin: at('rewrite'),
  };
  const request = h && headerOps(h.request);
  const response = h && headerOps(h.response);
  const headers: HeaderOperationsView | undefined = h && { ...(request ? { request } : {}), ...(response ? { response } : {}), origin: at('headers') };
  const corsPolicy: CorsPolicyView | undefined = c && {
    allowOrigins: records(c.allowOrigins).flatMap((o) => stringMatch(o) ?? []),
    allowMethods: stringList(c.allowMethods) ?? [], allowHeaders: stringList(c.allowHeaders) ?? [], exposeHeaders: stringList(c.exposeHeaders) ?? [],
    maxAgeMs: durationMs(c.maxAge), allowCredentials: typeof c.allowCredentials === 'boolean' ? c.allowCredentials : null,
    ignoreUnmatchedPreflights: c.unmatchedPreflights === 'IGNORE', origin: at('corsPolicy'),
  };
  if (redirect) into.redirect = redirect;
  if (directResponse) into.directResponse = directResponse;
  if (rewrite) into.rewrite = rewrite;
  if (headers) into.headers = headers;
  if (corsPolicy) into.corsPolicy = corsPolicy;
}

/** Translates one `HTTPRoute`; null when none of its matches applies to this proxy. */
export function translateHttpRoute(env: RouteEnv, vs: MeshObject, raw: Raw, path: FieldPath): HttpRouteView | null {
  const rawMatches = records(raw.match);
  const applicable = rawMatches.map((m, i) => [m, i] as const).filter(([m]) => httpMatchApplies(m, vs.namespace, env.scope));
  if (rawMatches.length > 0 && applicable.length === 0) return null;
  return routeView(env, vs, raw, path, applicable.map(([m, i]) => httpMatch(m, vs, [...path, 'match', i])));
}

/** One `HTTPRoute` with the given (applicable, typed) match entries. */
function routeView(env: RouteEnv, vs: MeshObject, raw: Raw, path: FieldPath, match: HttpMatchView[]): HttpRouteView {
  const origin = originOf(vs, path);
  const fault = translateFault(raw.fault, originOf(vs, [...path, 'fault']));
  // A fault keeps the timeout and retries (istiod applyHTTPRouteDestination sets both either way): Envoy's
  // fault filter runs before the router, so only the requests it aborts or delays escape them.
  const timeoutMs = durationMs(raw.timeout);
  const retry = retryPolicy(raw.retries, env.graph.meshConfig);
  // Field by field (no spreads: a runtime call each), in the order the JSON dumps show.
  const r: RouteDraft = {};
  if (typeof raw.name === 'string') r.name = raw.name;
  r.match = match;
  r.destinations = translateDestinations(env, vs, raw.route, [...path, 'route']);
  r.timeoutMs = timeoutMs;
  r.retries = { ...retry, origin: raw.retries !== undefined ? originOf(vs, [...path, 'retries']) : null };
  if (fault) r.fault = fault;
  r.mirrors = translateMirrors(env, vs, raw, path);
  translateExtras(raw, vs, path, r);
  r.origin = origin;
  return r as HttpRouteView;
}

/**
 * Routes of `vs` for this proxy, delegation resolved as istiod merges it (`mergeVirtualServicesIfNeeded`,
 * `mergeHTTPRoute`): a route with `delegate` is replaced by the delegate's routes, each with its match
 * entries merged under the root's (`mesh/delegation.ts` `mergedMatchEntries`: every delegate entry with
 * every root entry it does not conflict with; a delegate rule with an entry outside all of them is
 * dropped), then filtered for this proxy like any match; the name `<root>-<delegate>`; and the
 * root's timeout, retries, fault, mirrors, rewrite, headers and CORS where the delegate sets none.
 */
export function httpRoutesOf(env: RouteEnv, vs: MeshObject): HttpRouteView[] {
  const out: HttpRouteView[] = [];
  records(vs.spec.http).forEach((raw, i) => {
    const path: FieldPath = ['spec', 'http', i];
    if (!isRecord(raw.delegate)) {
      const r = translateHttpRoute(env, vs, raw, path);
      if (r) out.push(r);
      return;
    }
    // A merged entry's gateways, port, source labels and namespace are the root entry's or narrower
    // (hasConflict), so when no root entry applies to this proxy, no merged one does.
    const roots = records(raw.match);
    if (roots.length > 0 && !roots.some((m) => httpMatchApplies(m, vs.namespace, env.scope))) return;
    const target = resolveDelegate(env, vs, raw.delegate, [...path, 'delegate']);
    if (!target) return;
    // The root's own fields; its matches reach the routes merged into the delegate's.
    const root = routeView(env, vs, raw, path, []);
    records(target.spec.http).forEach((draw, j) => {
      const dpath: FieldPath = ['spec', 'http', j];
      if (isRecord(draw.delegate)) {
        env.problems.push({ code: 'view/delegate-chain', message: `VirtualService ${target.namespace}/${target.name} is a delegate and delegates again (spec.http[${j}].delegate); Istio supports one level of delegation and ignores this route. Fix: move these routes into ${target.namespace}/${target.name} itself`, origin: originOf(target, [...dpath, 'delegate']) });
        return;
      }
      // istiod `mergeHTTPMatchRequests`: a delegate match entry that lies within no root entry drops the whole delegate rule.
      const dropped = droppedDelegateRule(raw, vs.namespace, draw, target.namespace);
      if (dropped) {
        env.problems.push({ code: 'view/delegate-match-conflict', message: `delegate VirtualService ${target.namespace}/${target.name} spec.http[${j}].match[${dropped.match}] lies within no match of the root ${vs.namespace}/${vs.name} spec.http[${i}] (${dropped.reasons.join('; ')}), so istiod drops this delegate rule. Fix: narrow the delegate's match to lie within the root's, or widen the root's`, origin: originOf(target, [...dpath, 'match', dropped.match]) });
        return;
      }
      const entries = mergedMatchEntries(roots, vs.namespace, records(draw.match), target.namespace);
      // Gateways are resolved in the entries, so the namespace httpMatchApplies resolves them in does not matter.
      const applicable = entries.filter((e) => httpMatchApplies(e.match, target.namespace, env.scope));
      if (entries.length > 0 && applicable.length === 0) return;
      // Each merged entry points at the delegate's entry it came from, else the root's.
      const match = applicable.map((e) => (e.leaf !== null ? httpMatch(e.match, target, [...dpath, 'match', e.leaf]) : httpMatch(e.match, vs, [...path, 'match', e.root!])));
      const d = routeView(env, target, draw, dpath, match);
      const name = root.name && d.name ? `${root.name}-${d.name}` : (d.name ?? root.name);
      out.push({
        ...root, ...d, match,
        ...(name !== undefined ? { name } : {}),
        // `null` is unset (the API server prunes it), as istiod's mergeHTTPRoute sees the delegate.
        timeoutMs: draw.timeout != null ? d.timeoutMs : root.timeoutMs,
        retries: draw.retries != null ? d.retries : root.retries,
        mirrors: d.mirrors.length > 0 ? d.mirrors : root.mirrors,
        delegatedFrom: root.origin,
      });
    });
  });
  return out;
}

function resolveDelegate(env: RouteEnv, vs: MeshObject, ref: Raw, path: FieldPath): MeshObject | null {
  const name = typeof ref.name === 'string' ? ref.name : '';
  const namespace = typeof ref.namespace === 'string' && ref.namespace !== '' ? ref.namespace : vs.namespace;
  const target = env.graph.get('VirtualService', namespace, name);
  const origin = originOf(vs, path);
  if (!target) {
    env.problems.push({ code: 'view/delegate-not-found', message: `delegate VirtualService ${namespace}/${name} is not in the input; the route is dropped (istiod mergeVirtualServices): requests it matched fall through to the root's later routes, and get 404 NR when none matches. Fix: add it, or correct delegate.name/namespace`, origin });
    return null;
  }
  if (target === vs) {
    env.problems.push({ code: 'view/delegate-chain', message: `VirtualService ${namespace}/${name} delegates to itself (a delegate cycle); the route is dropped. Fix: delegate to a VirtualService without hosts`, origin });
    return null;
  }
  if ((stringList(target.spec.hosts) ?? []).length > 0) {
    env.problems.push({ code: 'view/delegate-has-hosts', message: `delegate VirtualService ${namespace}/${name} has hosts, so Istio does not treat it as a delegate and the route is dropped. Fix: remove spec.hosts from ${namespace}/${name}`, origin });
    return null;
  }
  // istiod's mergeVirtualServices: a delegate must be exported to the root's namespace.
  const exportTo = exportToOf(target, env.graph.meshConfig);
  if (!exportedTo(exportTo.values, target.namespace, vs.namespace)) {
    env.problems.push({ code: 'view/delegate-not-exported', message: `delegate VirtualService ${namespace}/${name} is not exported to namespace ${vs.namespace} (exportTo ${JSON.stringify(exportTo.values)}${exportTo.source === 'mesh-default' ? ', the mesh default' : ''}), so istiod ignores it for this root and the route is dropped (istiod mergeVirtualServices): requests it matched fall through to the root's later routes, and get 404 NR when none matches. Fix: add "${vs.namespace}" to the delegate's exportTo`, origin });
    return null;
  }
  return target;
}

/**
 * `tcp` or `tls` routes of `vs` for this proxy and port: matches filtered on their static
 * predicates (`gateways`, `port`, `sourceLabels`, `sourceNamespace`: Istio's `matchTLS` /
 * `matchTCP`), a route with no applicable match dropped, routes without destinations dropped
 * (Istio skips them), and a match whose runtime predicates (`sniHosts`, `destinationSubnets`, compared as
 * written: istiod's `hashRuntimeTLSMatchPredicates`) repeat an earlier one's dropped, since it can never be reached
 * (kept when not `dedupe`, for a caller that drops them itself).
 */
export function l4RoutesOf(env: RouteEnv, vs: MeshObject, kind: 'tcp' | 'tls', dedupe = true): L4RouteView[] {
  const seen = new Set<string>();
  return records(vs.spec[kind]).flatMap((raw, i) => {
    const path: FieldPath = ['spec', kind, i];
    const all = records(raw.match);
    const applicable = all.map((m, j) => [m, j] as const).filter(([m]) => matchApplies(m, vs.namespace, env.scope));
    if (all.length > 0 && applicable.length === 0) return [];
    const destinations = translateDestinations(env, vs, raw.route, [...path, 'route']);
    if (destinations.length === 0) return [];
    const match: L4MatchView[] = [];
    for (const [m, j] of applicable) {
      const sniHosts = kind === 'tls' ? stringList(m.sniHosts) ?? [] : [];
      const destinationSubnets = stringList(m.destinationSubnets) ?? [];
      const key = `${sniHosts.join(',')}|${destinationSubnets.join(',')}`;
      if (dedupe && seen.has(key)) continue;
      seen.add(key);
      match.push({ sniHosts, destinationSubnets, destinationCidrs: destinationSubnets, origin: originOf(vs, [...path, 'match', j]) });
    }
    if (all.length > 0 && match.length === 0) return [];
    return [{ match, destinations, origin: originOf(vs, path) }];
  });
}

/** Istio's default route for a service port without VirtualService: everything to the service, default retries. */
export function defaultHttpRoute(env: RouteEnv, service: ServiceInfo, host: string, port: number): HttpRouteView {
  const origin = originOf(service.object, service.hostPath);
  const built = env.clusters.add(service, host, port, undefined);
  // istiod builds a sidecar's default route from a lower-cased copy of the service (httproute.go
  // BuildSidecarOutboundVirtualHosts, route.go buildSidecarVirtualHostForService), so for a ServiceEntry host
  // written with capitals it names outbound|<port>||<host in lower case>, a cluster CDS never has (CDS keeps the
  // host as written): without a VirtualService, requests to that host fail (503 NC).
  const folded = routeHostKey(host);
  const cluster = folded !== host ? outboundClusterName(port, undefined, folded) : built;
  if (cluster !== built) {
    // Another visible service written in lower case owns that cluster: istiod keys a sidecar's services by the
    // lower-cased host (httproute.go servicesByName), so requests for either spelling reach it instead.
    const twin = env.visible(folded);
    const twinHasPort = twin !== undefined && twin.ports.some((p) => p.number === port);
    env.problems.push({
      code: 'view/host-letter-case',
      message: twinHasPort
        ? `${service.kind} ${service.namespace}/${service.object.name} host "${host}" and ${twin.kind} ${twin.namespace}/${twin.object.name} host "${folded}" differ only in letter case: ` +
          `istiod keeps two services and two clusters (${built} and ${cluster}), but a sidecar's default route for port ${port} serves both names from one virtual host, to ${cluster}, so ${built} gets no traffic. ` +
          `Fix: keep one of the two hosts, or route "${host}" with a VirtualService whose destination host is written "${host}"`
        : `${service.kind} ${service.namespace}/${service.object.name} host "${host}" has capital letters: istiod's default route for it on port ${port} names cluster ${cluster} (the host lower-cased) while the cluster is ${built}, so sidecars get 503 NC for it. ` +
          `Fix: write the host in lower case (DNS names are case-insensitive), or route it with a VirtualService whose destination host is written "${host}"`,
      origin,
    });
  }
  const consistentHash = serviceConsistentHash(env.clusters.destinationRule(host), port);
  return {
    name: 'default',
    match: [],
    destinations: [{ host, port, weight: 100, cluster, known: true, ...(consistentHash ? { consistentHash } : {}), origin }],
    timeoutMs: null,
    retries: { ...retryPolicy(undefined, env.graph.meshConfig), origin: null },
    mirrors: [],
    origin,
  };
}

const HCM_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-Web']);

/** Whether a host on a port is served by the HTTP connection manager (else by tcp_proxy chains). */
export function servedByHcm(r: HostRoutesView): boolean {
  return HCM_PROTOCOLS.has(r.protocol) || (r.http.length > 0 && r.tcp.length === 0 && r.tls.length === 0 && r.protocol !== 'TCP' && r.protocol !== 'TLS');
}

/**
 * Sidecar ports where a TCP service cannot be told apart from another: a service with an IP
 * (ClusterIP, ServiceEntry `addresses`) gets a listener `<vip>_<port>` and a CIDR address a
 * `prefix_ranges` match; without an address, TLS services are told apart by SNI, but TCP ones share
 * `0.0.0.0_<port>`, where only one catch-all fits: the HTTP routes of the port, else the first such
 * TCP service (by host). Every later one is a `view/tcp-port-shared` problem (Istio's "listener
 * conflict"); so is a second non-TLS host on one address (a ServiceEntry with several hosts and one VIP).
 */
export function tcpPortConflicts(routes: readonly HostRoutesView[], services: readonly ServiceView[]): ViewProblem[] {
  const byHost = new Map(services.map((s) => [s.host, s]));
  const owner = new Map<string, string>();
  for (const r of routes) if (servedByHcm(r) && !owner.has(`0.0.0.0:${r.port}`)) owner.set(`0.0.0.0:${r.port}`, `the HTTP routes of port ${r.port}`);
  const out: ViewProblem[] = [];
  for (const r of routes) {
    if (servedByHcm(r) || r.protocol === 'TLS' || r.protocol === 'HTTPS') continue;
    const s = byHost.get(r.host);
    if (!s || s.addresses.some((a) => a.includes('/'))) continue;
    const vip = s.addresses.find((a) => isIP(a) !== 0);
    const key = `${vip ?? '0.0.0.0'}:${r.port}`;
    const first = owner.get(key);
    if (first === undefined) { owner.set(key, r.host); continue; }
    const why = vip ? `both have the address ${vip}`
      : s.kind === 'ServiceEntry' ? 'the ServiceEntry has no addresses (the known Istio ambiguity for TCP ServiceEntries)'
        : 'the Service has no spec.clusterIP in the input (the API server assigns it later)';
    out.push({
      code: 'view/tcp-port-shared',
      message: `${r.host} port ${r.port} (${r.protocol}) shares listener ${vip ?? '0.0.0.0'}_${r.port} with ${first}: ${why}, so connections to ${r.host}:${r.port} reach ${first}. Fix: give ${r.host} an address of its own (ServiceEntry spec.addresses, or Service spec.clusterIP), or move it to a port of its own`,
      origin: s.origin,
    });
  }
  return out;
}
