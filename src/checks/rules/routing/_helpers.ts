import { RE2JS } from 're2js';
import type { MeshGraph, ServiceInfo } from '../../../mesh/graph.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import { formatPath } from '../../../mesh/parse.js';
import { afterTlsTermination, declaredPortProtocol, isTls, routeKindsFor, type IstioProtocol } from '../../../mesh/protocol.js';
import { mergedDelegateRules } from '../../../mesh/delegation.js';
import { regexMatchesEvery } from '../../../mesh/catch-all-regex.js';
import { gatewayRefOf, gatewayRefsOf, matchPortOf, type RouteProxy } from '../../../mesh/routing.js';
import type { FieldPath } from '../../types.js';

export { destinationsOf, hostOf, listOrNone, nameOf, portOf, subsetOf, type DestinationRef } from '../references/_helpers.js';

/** One `spec.http[i]` rule of a VirtualService. */
export interface HttpRule {
  readonly index: number;
  readonly rule: Readonly<Record<string, unknown>>;
  /** `match` entries, index-aligned with `spec.http[i].match`; empty when the rule has none. */
  readonly matches: readonly Readonly<Record<string, unknown>>[];
  readonly path: FieldPath;
}

export function httpRulesOf(vs: MeshObject): HttpRule[] {
  const http = vs.spec.http;
  if (!Array.isArray(http)) return [];
  return http.flatMap((rule, index): HttpRule[] => {
    if (!isRecord(rule)) return [];
    // A malformed entry (schema validation reports it) becomes one that nothing equals or covers.
    const matches = Array.isArray(rule.match) ? rule.match.map((m, j) => (isRecord(m) ? withoutUnsetPort(m) : { '(invalid)': `${index}.${j}` })) : [];
    return [{ index, rule, matches, path: ['spec', 'http', index] }];
  });
}

/** `m` without a `port: 0` (proto3's unset value, {@link matchPortOf}): what istiod reads, so `{port: 0}` is a catch-all entry. */
function withoutUnsetPort(m: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  if (!('port' in m) || typeof m.port !== 'number' || matchPortOf(m) !== undefined) return m;
  const { port: _unset, ...rest } = m;
  return rest;
}

/** `rule "name" (spec.http[1])`, or `rule spec.http[1]` for an unnamed rule: how messages name a rule. */
export function ruleLabel(r: HttpRule): string {
  return typeof r.rule.name === 'string' && r.rule.name !== '' ? `rule "${r.rule.name}" (${formatPath(r.path)})` : `rule ${formatPath(r.path)}`;
}

/** A match entry as compact flow YAML-ish text for messages: `{uri: {prefix: /api}}`. */
export function describeMatch(m: unknown): string {
  if (Array.isArray(m)) return `[${m.map(describeMatch).join(', ')}]`;
  if (isRecord(m)) return `{${Object.keys(m).filter((k) => k !== 'name').map((k) => `${k}: ${describeMatch(m[k])}`).join(', ')}}`;
  return String(m);
}

/** `s` with its first letter upper-cased. */
export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Whether the VirtualService applies to sidecars: no `gateways`, or `mesh` among them. */
export function isMeshBound(vs: MeshObject): boolean {
  const g = vs.spec.gateways;
  return !Array.isArray(g) || g.length === 0 || g.includes('mesh');
}

/** Match keys that do not narrow which requests match. */
const NEUTRAL_KEYS = new Set(['name', 'statPrefix', 'ignoreUriCase']);
/** Maps of header or query parameter matchers: an empty one adds no Envoy matcher. */
const MATCHER_MAPS = new Set(['headers', 'withoutHeaders', 'queryParams']);
const isEmptyMap = (v: unknown): boolean => isRecord(v) && Object.keys(v).length === 0;

function isCatchAllUri(u: unknown): boolean {
  if (!isRecord(u)) return false;
  // An empty StringMatch leaves istiod's default path match, prefix "/" (route.go TranslateRouteMatch).
  if (Object.keys(u).length === 0 || u.prefix === '/' || u.prefix === '') return true;
  return typeof u.regex === 'string' && regexMatchesEvery(u.regex, 'path');
}

/** Match fields Istio turns into Envoy pseudo-header matchers (`:method`, `:authority`, `:scheme`), which every request carries. */
const PSEUDO_HEADER_KEYS = new Set(['method', 'authority', 'scheme']);

/**
 * Whether a `method` / `authority` / `scheme` StringMatch matches any value: a regex that matches every
 * non-empty value (`.*`, `.+`, `^.+$`, `(.*)`: mesh/catch-all-regex.ts), or an empty StringMatch (istiod
 * translateHeaderMatch makes it a present match); Envoy: the pseudo-header is always there, never empty.
 */
function isCatchAllPseudoHeader(v: unknown): boolean {
  return isRecord(v) && (Object.keys(v).length === 0 || (Object.keys(v).length === 1 && typeof v.regex === 'string' && regexMatchesEvery(v.regex, 'nonEmpty')));
}

/**
 * Whether a match entry takes every request: `{}`, or only `uri: {prefix: /}` (or a regex every path matches, `.*`,
 * `^/.*`, `(.+)`: mesh/catch-all-regex.ts, or an empty StringMatch), `method` / `authority` / `scheme` regexes every
 * value matches (`.*`, `.+`, `^.+$`), empty `headers` / `withoutHeaders` / `queryParams` maps, or only `port: N` when `hostPorts` (the ports where its
 * http routes apply, `hostPortsOf`) is exactly {N}.
 *
 * Not istiod's IsCatchAllRoute (gateway/_route-match.ts isCatchAllRoute, the view's isCatchAllMatchView), on purpose:
 * that is a syntactic test on the Envoy route which decides where istiod puts a route (a gateway moves those routes
 * last, a VirtualService's routes stop at the first), while this one asks whether an entry takes every request, which
 * decides what a later rule can still reach. They differ where a matcher is present but matches everything (`method`
 * regex ".*": a header matcher for istiod, every request here; also "^.*$", "/.*" and an empty prefix) and on
 * `sourceLabels` / `sourceNamespace` (no Envoy matcher, but only some clients) and `port` (every request only when
 * it is the one port the routes serve).
 */
export function isCatchAllMatch(m: Readonly<Record<string, unknown>>, hostPorts: ReadonlySet<number> | null = null): boolean {
  const onlyPort = (k: string) => k === 'port' && hostPorts !== null && hostPorts.size === 1 && hostPorts.has(m.port as number);
  return Object.keys(m).every((k) => NEUTRAL_KEYS.has(k) || (k === 'uri' && isCatchAllUri(m.uri)) ||
    (PSEUDO_HEADER_KEYS.has(k) && isCatchAllPseudoHeader(m[k])) || (MATCHER_MAPS.has(k) && isEmptyMap(m[k])) || onlyPort(k));
}

/** A rule without match entries (null), or the index of a match that takes every request; undefined when neither. */
export function catchAllMatchOf(r: HttpRule, hostPorts: ReadonlySet<number> | null = null): number | null | undefined {
  if (r.matches.length === 0) return null;
  const i = r.matches.findIndex((m) => isCatchAllMatch(m, hostPorts));
  return i >= 0 ? i : undefined;
}

/**
 * The ports of the hosts of `vs` where its `http` routes apply (Service and ServiceEntry ports
 * visible from its namespace whose protocol is HTTP, HTTP2, HTTP_PROXY, GRPC, GRPC-Web, or is
 * sniffed: `routeKindsFor` in mesh/protocol.ts). HTTPS, TLS, TCP, Mongo ... ports take `tls`/`tcp`
 * routes only (istiod builds http route configs only for `Instance.IsHTTP()` or sniffed listeners),
 * so a request on them never meets an http rule. Empty when the hosts resolve but no port carries
 * HTTP (the http routes never apply on the sidecars); null when a host is unknown (`meshServicesOfHost`).
 */
export function hostPortsOf(graph: MeshGraph, vs: MeshObject): ReadonlySet<number> | null {
  const hosts = stringList(vs.spec.hosts) ?? [];
  if (hosts.length === 0) return null;
  const ports = new Set<number>();
  for (const h of hosts) {
    const services = meshServicesOfHost(graph, vs, h);
    if (services === null) return null;
    for (const s of services) {
      if (s.ports.length === 0) return null;
      for (const p of s.ports) if (routeKindsFor(p.protocol).includes('http')) ports.add(p.number);
    }
  }
  return ports;
}

/**
 * The services visible from the VirtualService's namespace that requests to its host `h` reach on the
 * sidecars, or null when the input cannot say: a host no service matches, or a wildcard outside the
 * cluster domain (`*.example.com` may stand for hosts the input does not list) unless a visible
 * ServiceEntry declares that very wildcard: then the VirtualService is written for that ServiceEntry and
 * its ports are the ServiceEntry's, as for a concrete host. A wildcard inside the cluster domain
 * (`*.ns.svc.cluster.local`) stands for exactly the services it covers: no other host exists there.
 */
export function meshServicesOfHost(graph: MeshGraph, vs: MeshObject, h: string): ServiceInfo[] | null {
  const services = graph.servicesForHost(h, vs.namespace);
  if (h.includes('*')) {
    const fqdn = graph.resolveHost(h, vs.namespace).fqdn;
    if (!fqdn.endsWith(`.svc.${graph.clusterDomain}`) && !services.some((s) => s.host === fqdn)) return null;
  }
  return services.length === 0 ? null : services;
}

/** A port requests for a VirtualService's hosts arrive on, with the protocol the proxy treats them as. */
export interface ServedPort {
  /** `Service shop/x port 80 (HTTP by its name "http")`, `Gateway ns/gw server 0 (port 443 HTTPS, TLS SIMPLE terminated: HTTP)`. */
  readonly where: string;
  readonly protocol: IstioProtocol;
  /** The port number as written (Service port, or Gateway server `port.number`). */
  readonly number: unknown;
  /**
   * The VirtualService route kinds a Gateway server applies when its TLS mode decides them, overriding the
   * protocol's (`routeKindsFor`): a PASSTHROUGH server applies only `tls` routes (gateway.go
   * createGatewayTCPFilterChainOpts: "Passthrough server" builds from TLS routes alone), and an AUTO_PASSTHROUGH
   * server none (buildGatewayNetworkFiltersFromTLSRoutes forwards by SNI and reads no VirtualService).
   */
  readonly kinds?: readonly ('http' | 'tls' | 'tcp')[];
  /** True for an AUTO_PASSTHROUGH server (see `kinds`). */
  readonly ignoresRoutes?: boolean;
  /** True for a PASSTHROUGH HTTPS or TLS server (written, or `tls` without a mode). */
  readonly passthrough?: boolean;
}

/**
 * The servers of `gateway` serving one of `hosts` (each once), with their protocol after TLS termination (Istio: a
 * server that is not PASSTHROUGH / AUTO_PASSTHROUGH terminates); PASSTHROUGH and AUTO_PASSTHROUGH servers carry their route `kinds`.
 */
export function gatewayServerPortsOf(graph: MeshGraph, vs: MeshObject, gateway: MeshObject, hosts: readonly string[]): ServedPort[] {
  const seen = new Set<number>();
  const out: ServedPort[] = [];
  for (const h of hosts) {
    for (const m of graph.gatewayServersForHost(gateway, graph.resolveHost(h, vs.namespace).fqdn, vs.namespace)) {
      if (seen.has(m.serverIndex)) continue;
      seen.add(m.serverIndex);
      const port = isRecord(m.server.port) ? m.server.port : {};
      const declared = declaredPortProtocol(typeof port.protocol === 'string' ? port.protocol : undefined).protocol;
      // The TLS mode matters only on an HTTPS or TLS server (gateway.go IsHTTPServer: an HTTP server is HTTP whatever
      // its tls says, a redirect included); there an unset mode is PASSTHROUGH, the TLSmode enum's zero value.
      const written = isRecord(m.server.tls) && typeof m.server.tls.mode === 'string' ? m.server.tls.mode : undefined;
      const mode = !isTls(declared) || !isRecord(m.server.tls) ? undefined : written ?? 'PASSTHROUGH';
      const terminated = mode !== undefined && mode !== 'PASSTHROUGH' && mode !== 'AUTO_PASSTHROUGH';
      const protocol = terminated ? afterTlsTermination(declared) : declared;
      const auto = mode === 'AUTO_PASSTHROUGH';
      const passthrough = mode === 'PASSTHROUGH' ? `, ${written ? '' : 'tls.mode unset, so '}PASSTHROUGH: tls routes only` : '';
      out.push({
        where: `Gateway ${gateway.namespace}/${gateway.name} server ${m.serverIndex} (port ${String(port.number ?? '?')} ${declared}${terminated ? `, TLS ${mode} terminated: ${protocol}` : ''}${auto ? ', AUTO_PASSTHROUGH: routed by SNI, VirtualServices ignored' : passthrough})`,
        protocol, number: port.number, ...(auto ? { ignoresRoutes: true, kinds: [] } : mode === 'PASSTHROUGH' ? { kinds: ['tls'], passthrough: true } : {}),
      });
    }
  }
  return out;
}

/**
 * The ports where the http rules of `vs` meet requests on every proxy it is bound to: the sidecars'
 * ({@link hostPortsOf}) when it is bound to `mesh`, and for each bound Gateway the server ports serving
 * its hosts that carry HTTP after TLS termination (a gateway route's `match.port` is the server port).
 * Null when any part is unknown (a host without a service for the sidecars, a Gateway not in the input).
 */
export function httpPortsOf(graph: MeshGraph, vs: MeshObject): ReadonlySet<number> | null {
  return httpPortsWith(graph, vs, () => hostPortsOf(graph, vs));
}

/**
 * {@link httpPortsOf} with the sidecars' ports given by `meshPorts` (called when `vs` is bound to
 * `mesh`; null: unknown), for rules that read them another way (a Sidecar listener's protocol).
 */
export function httpPortsWith(graph: MeshGraph, vs: MeshObject, meshPorts: () => ReadonlySet<number> | null): Set<number> | null {
  const hosts = stringList(vs.spec.hosts) ?? [];
  if (hosts.length === 0) return null;
  const out = new Set<number>();
  for (const g of graph.gatewaysOf(vs)) {
    if (g.mesh) {
      const mesh = meshPorts();
      if (mesh === null) return null;
      mesh.forEach((p) => out.add(p));
      continue;
    }
    if (!g.gateway) return null;
    for (const p of gatewayServerPortsOf(graph, vs, g.gateway, hosts)) {
      if (typeof p.number !== 'number') return null;
      if ((p.kinds ?? routeKindsFor(p.protocol)).includes('http')) out.add(p.number);
    }
  }
  return out;
}

/**
 * Whether the http rules (in order) between them catch every request by port alone: each port in
 * `hostPorts` has a match entry that is only `port: N` (plus neutral keys) in some rule, e.g.
 * `port: 80` then `port: 8080` on a service whose HTTP ports are 80 and 8080. False when
 * `hostPorts` is null (unknown).
 */
export function portsAllCaught(rules: readonly HttpRule[], hostPorts: ReadonlySet<number> | null): boolean {
  return hostPorts !== null && uncaughtPorts(rules, hostPorts).length === 0;
}

/** The HTTP ports of the hosts that no port-only match entry of `rules` names (all of them when none does). */
export function uncaughtPorts(rules: readonly HttpRule[], hostPorts: ReadonlySet<number>): number[] {
  const caught = new Set<number>();
  for (const r of rules) {
    for (const m of r.matches) {
      if (typeof m.port === 'number' && Object.keys(m).every((k) => k === 'port' || NEUTRAL_KEYS.has(k))) caught.add(m.port);
    }
  }
  return [...hostPorts].filter((p) => !caught.has(p)).sort((a, b) => a - b);
}

/** Canonical JSON of a match entry, without `name` (Istio's duplicate test). */
export function matchKey(m: Readonly<Record<string, unknown>>): string {
  return canonical(Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'name' && k !== 'statPrefix')));
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isRecord(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

const regexCache = new Map<string, RE2JS | null>();
function fullMatch(regex: string, value: string): boolean {
  let re = regexCache.get(regex);
  if (re === undefined) {
    try {
      re = RE2JS.compile(regex);
    } catch {
      re = null;
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(regex, re);
  }
  return re !== null && re.matches(value);
}

/**
 * Whether StringMatch `a` accepts every value `b` accepts (conservative: false when unsure).
 * `{}` (presence) accepts anything present. `lower` compares exact/prefix case-insensitively.
 */
function stringCovers(a: unknown, b: unknown, lower = false): boolean {
  if (!isRecord(a) || !isRecord(b)) return false;
  if (Object.keys(a).length === 0) return true;
  const norm = (s: unknown) => (typeof s === 'string' ? (lower ? s.toLowerCase() : s) : undefined);
  const [ae, ap, ar] = [norm(a.exact), norm(a.prefix), a.regex];
  const [be, bp, br] = [norm(b.exact), norm(b.prefix), b.regex];
  if (ae !== undefined) return be === ae;
  if (ap !== undefined) return (be !== undefined && be.startsWith(ap)) || (bp !== undefined && bp.startsWith(ap));
  if (typeof ar === 'string') {
    if (regexMatchesEvery(ar, 'any') || br === ar) return true;
    return typeof b.exact === 'string' && !lower && fullMatch(ar, b.exact);
  }
  return false;
}

function keyedCovers(a: unknown, b: unknown): boolean {
  if (!isRecord(a)) return false;
  if (!isRecord(b)) return Object.keys(a).length === 0;
  return Object.keys(a).every((k) => Object.hasOwn(b, k) && stringCovers(a[k], b[k]));
}

/**
 * Whether match entry `a` takes every request match entry `b` takes (every condition of `a` is
 * implied by `b`). Conservative: conditions it cannot compare must be written identically.
 */
export function matchCovers(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  for (const k of Object.keys(a)) {
    if (NEUTRAL_KEYS.has(k)) continue;
    const av = a[k];
    const bv = b[k];
    switch (k) {
      case 'uri': {
        if (isCatchAllUri(av)) continue;
        if (b.ignoreUriCase === true && a.ignoreUriCase !== true) return false;
        if (!stringCovers(av, bv, a.ignoreUriCase === true)) return false;
        continue;
      }
      case 'scheme':
      case 'method':
      case 'authority':
        if (isCatchAllPseudoHeader(av)) continue;
        if (!stringCovers(av, bv)) return false;
        continue;
      case 'headers':
      case 'queryParams':
        if (!keyedCovers(av, bv)) return false;
        continue;
      case 'sourceLabels':
        if (!isRecord(av) || !isRecord(bv) || !Object.keys(av).every((l) => bv[l] === av[l])) return false;
        continue;
      case 'gateways':
        if (!Array.isArray(av) || !Array.isArray(bv) || bv.length === 0 || !bv.every((g) => av.includes(g))) return false;
        continue;
      default:
        if (bv === undefined || canonical(av) !== canonical(bv)) return false;
    }
  }
  return true;
}

/** A match entry that an earlier one already takes. */
export interface ShadowedMatch {
  readonly match: number;
  readonly byRule: HttpRule;
  readonly byMatch: number;
  /** Written identically (Istio's own test), rather than merely covered. */
  readonly exact: boolean;
}

/** What first-match-wins leaves of one http rule. */
export interface RuleReachability {
  readonly rule: HttpRule;
  /** The earlier rule that takes every request (and the catch-all match, null for "no match"), if any. */
  readonly afterCatchAll: { readonly rule: HttpRule; readonly match: number | null } | null;
  /** Match entries already taken by an earlier match (of an earlier rule, or earlier in this rule). */
  readonly shadowed: readonly ShadowedMatch[];
  /** True when the rule can never match: after a catch-all, or every match is taken by earlier rules. */
  readonly unreachable: boolean;
}

/** A match entry of `analyzeHttpRules`, numbered in rule order. */
interface SeenMatch {
  readonly rule: HttpRule;
  readonly match: number;
  readonly m: Readonly<Record<string, unknown>>;
  readonly key: string;
  readonly seq: number;
}

/**
 * Earlier match entries, looked up by what could cover a new one: entries that are only
 * `uri: {prefix: P}` sit in a map by P and are found through the prefixes of the new entry's URI;
 * the rest are compared one by one. Returns the earliest covering entry, as a scan would.
 */
class CoverIndex {
  private readonly byPrefix = new Map<string, SeenMatch>();
  private readonly general: SeenMatch[] = [];

  add(e: SeenMatch): void {
    const p = prefixOnly(e.m);
    if (p === undefined) this.general.push(e);
    else if (!this.byPrefix.has(p)) this.byPrefix.set(p, e);
  }

  first(m: Readonly<Record<string, unknown>>): SeenMatch | undefined {
    let best: SeenMatch | undefined;
    const uri = m.uri;
    if (isRecord(uri) && m.ignoreUriCase !== true) {
      for (const v of [uri.exact, uri.prefix]) {
        if (typeof v !== 'string') continue;
        for (let i = 1; i <= v.length; i++) {
          const e = this.byPrefix.get(v.slice(0, i));
          if (e && (!best || e.seq < best.seq)) best = e;
        }
      }
    }
    for (const e of this.general) {
      if (best && e.seq > best.seq) break;
      if (matchCovers(e.m, m)) return e;
    }
    return best;
  }
}

/** P when a match entry is exactly `uri: {prefix: P}` (case-sensitive, P not a catch-all), else undefined. */
function prefixOnly(m: Readonly<Record<string, unknown>>): string | undefined {
  if (m.ignoreUriCase === true) return undefined;
  const keys = Object.keys(m).filter((k) => !NEUTRAL_KEYS.has(k));
  const uri = m.uri;
  if (keys.length !== 1 || keys[0] !== 'uri' || !isRecord(uri) || Object.keys(uri).length !== 1) return undefined;
  return typeof uri.prefix === 'string' && !isCatchAllUri(uri) ? uri.prefix : undefined;
}

/**
 * `r` with `gateways` removed from match entries whose gateways include every gateway the
 * VirtualService is bound to (e.g. `gateways: [mesh]` on a mesh-only VirtualService): such a
 * condition narrows nothing, as Istio's route.go `sourceMatchHTTP` holds on every proxy it builds for.
 */
export function withoutNeutralGateways(vs: MeshObject, r: HttpRule): HttpRule {
  if (!r.matches.some((m) => m.gateways !== undefined)) return r;
  const bound = gatewayRefsOf(vs).map((g) => g.key);
  const matches = r.matches.map((m) => {
    const listed = stringList(m.gateways);
    if (!listed) return m;
    const keys = new Set(listed.map((ref) => gatewayRefOf(ref, vs.namespace, []).key));
    if (!bound.every((k) => keys.has(k))) return m;
    const { gateways: _neutral, ...rest } = m;
    return rest;
  });
  return { ...r, matches };
}

/**
 * A rule that delegates, as the route table holds it: the match entries of the delegate's rules merged under
 * its own (mesh/delegation.ts mergedDelegateRules; a merged rule without match stands for `{}`), or one entry
 * nothing equals or covers when istiod drops the delegation. Other rules are returned as they are.
 */
export function asDelegated(graph: MeshGraph, vs: MeshObject, r: HttpRule): HttpRule {
  const merged = mergedDelegateRules(graph, vs, r.rule);
  if (merged === null) return r;
  const matches = merged.flatMap((m) => (m.matches.length > 0 ? m.matches : [{}]));
  const effective = matches.length > 0 ? matches : [{ '(delegation dropped)': r.index }];
  return { ...r, rule: { ...r.rule, match: effective }, matches: effective };
}

/**
 * Walks `spec.http` in order, as Envoy does (first match wins), and says for each rule whether
 * it can still match and which of its match entries earlier entries already take (`hostPorts`
 * as for `isCatchAllMatch`). Earlier rules' matches are looked up through a `CoverIndex`, so
 * URI-prefix routes cost the length of their paths, not the number of rules before them.
 */
export function analyzeHttpRules(vs: MeshObject, hostPorts: ReadonlySet<number> | null = null, graph?: MeshGraph): RuleReachability[] {
  const out: RuleReachability[] = [];
  const earlierRules = new CoverIndex();
  const byKey = new Map<string, SeenMatch>();
  let seq = 0;
  let catchAll: RuleReachability['afterCatchAll'] = null;
  for (const r of httpRulesOf(vs).map((rule) => withoutNeutralGateways(vs, graph ? asDelegated(graph, vs, rule) : rule))) {
    if (catchAll) {
      out.push({ rule: r, afterCatchAll: catchAll, shadowed: [], unreachable: true });
      continue;
    }
    const shadowed: ShadowedMatch[] = [];
    const ownEarlier: SeenMatch[] = [];
    r.matches.forEach((m, j) => {
      const key = matchKey(m);
      const dup = byKey.get(key);
      // Prefer an earlier rule as the culprit: a rule whose every match an earlier rule takes is unreachable.
      const earlier = dup && dup.rule !== r ? dup : earlierRules.first(m);
      const cover = earlier ?? dup ?? ownEarlier.find((e) => matchCovers(e.m, m));
      if (cover) shadowed.push({ match: j, byRule: cover.rule, byMatch: cover.match, exact: cover === dup });
      const entry = { rule: r, match: j, m, key, seq: seq++ };
      ownEarlier.push(entry);
      if (!byKey.has(key)) byKey.set(key, entry);
    });
    for (const e of ownEarlier) earlierRules.add(e);
    const unreachable = r.matches.length > 0 && shadowed.filter((s) => s.byRule !== r).length === r.matches.length;
    out.push({ rule: r, afterCatchAll: null, shadowed, unreachable });
    const c = catchAllMatchOf(r, hostPorts);
    if (c !== undefined && !unreachable) catchAll = { rule: r, match: c };
  }
  return out;
}

/**
 * The proxy that builds the routes of `vs` for one of its gateways (`graph.gatewaysOf`), as istiod trims their
 * match entries (routing.ts httpMatchAppliesOn): the sidecars listen on the hosts' HTTP ports ({@link hostPortsOf}),
 * a Gateway's proxies on its servers carrying HTTP for the hosts of `vs`; `workload` (a gateway pod) gives the
 * labels and namespace. What the input cannot say is left unknown.
 */
export function routeProxyFor(graph: MeshGraph, vs: MeshObject, g: { readonly key: string; readonly gateway: MeshObject | null },
  workload?: { readonly labels: Readonly<Record<string, string>>; readonly namespace: string }): RouteProxy {
  if (g.key === 'mesh') return { key: g.key, ports: hostPortsOf(graph, vs) ?? undefined };
  if (!g.gateway) return { key: g.key };
  const served = gatewayServerPortsOf(graph, vs, g.gateway, stringList(vs.spec.hosts) ?? []).filter((p) => (p.kinds ?? routeKindsFor(p.protocol)).includes('http'));
  const ports = served.every((p) => typeof p.number === 'number') ? new Set(served.map((p) => p.number as number)) : undefined;
  return { key: g.key, ports, ...(workload ? { labels: workload.labels, namespace: workload.namespace } : {}) };
}
