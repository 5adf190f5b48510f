/**
 * GAMMA: the mesh VirtualServices istiod makes of Gateway API HTTPRoutes (and GRPCRoutes,
 * `gateway-api-grpc-routes.ts`) whose `parentRefs` name a Service (group "", kind Service) or an Istio
 * ServiceEntry (pilot/pkg/config/kube/gateway route_collections.go `HTTPRouteCollection` + `mergeHTTPRoutes`,
 * conversion.go `convertHTTPRoute`).
 *
 * - One VirtualService per (route namespace, parentRef port, host): key `<ns>[/<port>]/<host>`, name the key
 *   with `/` → `~`, `gateways: [mesh]`, the host the Service's FQDN (`<name>.<ns>.svc.<domain>`) or the
 *   ServiceEntry's hosts. HTTPRoutes with the same key are merged: their routes appended in creation order
 *   (creationTimestamp, namespace, name), then sorted by the Gateway API precedence ({@link sortRoutes}).
 * - Each rule becomes one route per `matches` entry (the API server defaults a rule without matches to
 *   `[{path: {type: PathPrefix, value: /}}]` and a match without path to that path), named the rule's
 *   `name` or `<ns>.<route name>.<rule index>`; a parentRef `port` adds `port` to every match.
 * - A parentRef to a Service or ServiceEntry not in the input is refused (`parent service not found`).
 * - A route whose conversion istiod fails as a whole gives nothing ({@link meshConversionError}).
 * Backends of mesh routes need no ReferenceGrant (istiod passes `enforceRefGrant = !mesh`).
 *
 * Read from istio/istio at 86c9f01f (2026-08-22). Pure data, computed once per graph: the view picks which of these a sidecar applies
 * (`view/gamma-routes.ts`) and translates their rules.
 */
import { creationTime } from './destination-rules.js';
import type { MeshGraph } from './graph.js';
import { backendKind, backendWeight } from './gateway-api-backends.js';
import { conversionFails } from './gateway-api-filters.js';
import { convertGrpcRules, grpcMirrorError } from './gateway-api-grpc-routes.js';
import { GATEWAY_API_GROUP, parentRefsOf } from './gateway-api.js';
import { isWildcard } from './hosts.js';
import { isRecord, stringList, type MeshObject } from './object.js';

type Raw = Readonly<Record<string, unknown>>;

/** Istio `StringMatch` as the conversion writes it. */
export type GammaStringMatch = { readonly exact: string } | { readonly prefix: string } | { readonly regex: string };

/** One Istio HTTPRoute istiod makes of one match of one HTTPRoute (or GRPCRoute, `gateway-api-grpc-routes.ts`) rule. */
export interface GammaRoute {
  /** `rules[i].name`, else `<namespace>.<route name>.<i>` (istiod; every match of a rule shares it). */
  readonly name: string;
  /** The HTTPRoute. */
  readonly object: MeshObject;
  /** Index in `spec.rules`. */
  readonly rule: number;
  /** Index in the rule's `matches`; null when the rule has none (the API server's default match). */
  readonly match: number | null;
  /** The rule as written. */
  readonly raw: Raw;
  /**
   * `createURIMatch`: PathPrefix (a trailing `/` dropped unless the value is `/`), Exact or RegularExpression; for a
   * GRPCRoute `createGRPCURIMatch`, null when the match names no method (any path).
   */
  readonly uri: GammaStringMatch | null;
  /** A GRPCRoute rule without matches: the Istio route has no match at all (it matches everything, sorted last). */
  readonly matchless?: boolean;
  /** `createHeadersMatch`, lower-cased names (Istio lower-cases header keys), the first of a name kept. */
  readonly headers: Readonly<Record<string, GammaStringMatch>>;
  /** `createQueryParamsMatch`. */
  readonly queryParams: Readonly<Record<string, GammaStringMatch>>;
  /** `createMethodMatch`: exact. */
  readonly method?: string;
  /** The parentRef's `port` (`augmentPortMatch`), else null. */
  readonly port: number | null;
  /**
   * Whether a backendRef (or mirror backendRef) into another namespace needs a ReferenceGrant (`enforceRefGrant`:
   * routes on a Gateway, not in the mesh); one without becomes an empty destination (istiod `buildDestination`).
   */
  readonly enforceRefGrant?: boolean;
}

/** One VirtualService istiod makes for the mesh from HTTPRoutes. */
export interface GammaVirtualService {
  /** istiod's merge key `<ns>[/<port>]/<host>`. */
  readonly key: string;
  /** The VirtualService's name: the key with `/` → `~`. */
  readonly name: string;
  /** The HTTPRoutes' namespace (the VirtualService's). */
  readonly namespace: string;
  /** The one host (FQDN). */
  readonly host: string;
  /** The service namespace the parentRef names. */
  readonly serviceNamespace: string;
  /** The parentRef's port, else null (every port). */
  readonly port: number | null;
  /** The HTTPRoutes merged into it, creation order. */
  readonly objects: readonly MeshObject[];
  /** The first HTTPRoute's `metadata.creationTimestamp` ('' when unset): the VirtualService's. */
  readonly creationTimestamp: string;
  /** Routes, sorted ({@link sortRoutes}). */
  readonly http: readonly GammaRoute[];
}

const records = (v: unknown): Raw[] => (Array.isArray(v) ? v.filter(isRecord) : []);

/** istiod `sortRoutesByCreationTime` / `sortConfigByCreationTime`: creation time, then namespace, then name. */
export function routeCreationOrder(a: MeshObject, b: MeshObject): number {
  const ta = creationTime(a);
  const tb = creationTime(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Why istiod's conversion of the rules fails as a whole, or null: an unsupported filter
 * (`gateway-api-filters.ts`), a header modifier value with a control character (`isValidHeaderValue`), a
 * Service backendRef without `port` or whose name is a host name (has a `.`), a `Hostname` backendRef with
 * `namespace`. `computeRoute` then keeps no route of it (the Accepted status carries the error). A mirror
 * backendRef with the same faults only loses the mirror (`mirrorBackendErr`; `gateway-api-mirrors.ts`).
 */
export function meshConversionError(route: MeshObject): string | null {
  if (conversionFails(route)) return 'unsupported filter type';
  for (const rule of records(route.spec.rules)) {
    const filters = [...records(rule.filters), ...records(rule.backendRefs).flatMap((b) => records(b.filters))];
    for (const f of filters) {
      const m = isRecord(f.requestHeaderModifier) ? f.requestHeaderModifier : isRecord(f.responseHeaderModifier) ? f.responseHeaderModifier : undefined;
      const values = m ? [...records(m.set), ...records(m.add)] : [];
      if (values.some((h) => typeof h.value === 'string' && /[\u0000-\u0008\u000a-\u001f\u007f]/.test(h.value))) return 'header value contains invalid characters';
    }
    // buildHTTPDestination reads the backendRefs of weight > 0 only, and none when their weights sum to 0
    // without a redirect (a 500 direct response instead).
    const backends = records(rule.backendRefs).filter((b) => backendWeight(b) > 0);
    const redirect = records(rule.filters).some((f) => f.type === 'RequestRedirect');
    const refs = backends.length > 0 || redirect ? backends : [];
    for (const b of refs) {
      const kind = backendKind(b);
      if (kind === 'Service' && typeof b.name === 'string' && b.name.includes('.')) return 'service name invalid; the name of the Service must be used, not the hostname';
      if (kind === 'Hostname' && b.namespace !== undefined) return 'namespace may not be set with Hostname type';
      if ((kind === 'Service' || kind === 'Hostname') && typeof b.port !== 'number') return 'port is required in backendRef';
    }
  }
  return null;
}

export { backendKind, backendWeight };

function stringMatchOf(type: unknown, value: string, exact: string, regex: string): GammaStringMatch | undefined {
  const t = typeof type === 'string' ? type : exact;
  return t === exact ? { exact: value } : t === regex ? { regex: value } : undefined;
}

/** `createURIMatch` on a match's `path` (absent: the API default PathPrefix `/`). */
function uriOf(path: unknown): GammaStringMatch {
  const p = isRecord(path) ? path : {};
  const value = typeof p.value === 'string' ? p.value : '/';
  if (p.type === 'Exact') return { exact: value };
  if (p.type === 'RegularExpression') return { regex: value };
  return { prefix: value !== '/' && value.endsWith('/') ? value.slice(0, -1) : value };
}

function matchMap(list: unknown, lower: boolean): Record<string, GammaStringMatch> {
  const out: Record<string, GammaStringMatch> = {};
  for (const h of records(list)) {
    if (typeof h.name !== 'string' || typeof h.value !== 'string') continue;
    const name = lower ? h.name.toLowerCase() : h.name;
    const m = stringMatchOf(h.type, h.value, 'Exact', 'RegularExpression');
    if (m && !(name in out)) out[name] = m;
  }
  return out;
}

/** The routes istiod converts one HTTPRoute's rules to (one per match), before any port augmentation. */
export function convertRules(route: MeshObject): GammaRoute[] {
  const out: GammaRoute[] = [];
  records(route.spec.rules).forEach((raw, i) => {
    const name = typeof raw.name === 'string' && raw.name !== '' ? raw.name : `${route.namespace}.${route.name}.${i}`;
    const matches = Array.isArray(raw.matches) && raw.matches.length > 0 ? raw.matches : [null];
    matches.forEach((m, j) => {
      const match = isRecord(m) ? m : {};
      out.push({
        name, object: route, rule: i, match: m === null ? null : j, raw,
        uri: uriOf(match.path), headers: matchMap(match.headers, true), queryParams: matchMap(match.queryParams, false),
        ...(typeof match.method === 'string' ? { method: match.method } : {}),
        port: null,
      });
    });
  });
  return out;
}

const URI_RANK = (m: GammaStringMatch | null): number => (m === null ? -1 : 'exact' in m ? 3 : 'prefix' in m ? 2 : 1);
const URI_LENGTH = (m: GammaStringMatch | null): number => (m === null ? 0 : ('exact' in m ? m.exact : 'prefix' in m ? m.prefix : m.regex).length);

/**
 * istiod `sortHTTPRoutes` (stable): Exact before PathPrefix before RegularExpression, longer path first,
 * a method match first, more header matches first, more query parameter matches first; ties keep their
 * order (HTTPRoute creation order, then rule and match order). A route without any match (a GRPCRoute rule
 * without matches, and no parentRef port) goes after every route with one; no URI match ranks below
 * RegularExpression.
 */
export function sortRoutes(routes: GammaRoute[]): GammaRoute[] {
  // A parentRef port gives a matchless route a match of that port (`augmentPortMatch`) before istiod sorts.
  const none = (r: GammaRoute): number => (r.matchless === true && r.port === null ? 1 : 0);
  return routes.sort((a, b) => none(a) - none(b)
    || URI_RANK(b.uri) - URI_RANK(a.uri)
    || URI_LENGTH(b.uri) - URI_LENGTH(a.uri)
    || (a.method !== undefined ? 0 : 1) - (b.method !== undefined ? 0 : 1)
    || Object.keys(b.headers).length - Object.keys(a.headers).length
    || Object.keys(b.queryParams).length - Object.keys(a.queryParams).length);
}

/** What a mesh parentRef stands for: the hosts a sidecar reaches it by, and every host istiod makes a VirtualService for. */
export interface MeshParent {
  /** The hosts a sidecar reaches (a ServiceEntry's wildcard hosts left out: no service answers for them), lower case. */
  readonly hosts: string[];
  /** Every host istiod builds a VirtualService for (`vsHosts`: a ServiceEntry's `spec.hosts` with its wildcards), lower case. */
  readonly written: string[];
  /** The parent's namespace. */
  readonly namespace: string;
}

/**
 * The hosts and namespace a mesh parentRef (a Service, group "", or an Istio ServiceEntry) stands for, or null when istiod
 * refuses it (`referenceAllowed`: parent not found) or it is not a mesh parent.
 */
export function meshParent(graph: MeshGraph, ref: ReturnType<typeof parentRefsOf>[number]): MeshParent | null {
  if (ref.group === '' && ref.kind === 'Service') {
    const host = `${ref.name}.${ref.namespace}.svc.${graph.clusterDomain}`;
    return graph.get('Service', ref.namespace, ref.name) ? { hosts: [host], written: [host], namespace: ref.namespace } : null;
  }
  if (ref.group === 'networking.istio.io' && ref.kind === 'ServiceEntry') {
    const se = graph.get('ServiceEntry', ref.namespace, ref.name);
    if (!se) return null;
    const written = stringList(se.spec.hosts) ?? [];
    // istiod keeps a wildcard host as a plain domain; a sidecar never reaches it through a service, so it is left out.
    return { hosts: written.filter((h) => !isWildcard(h)), written, namespace: ref.namespace };
  }
  return null;
}

/**
 * The destinations of a GAMMA VirtualService's routes (istiod `virtualServiceDestinations` over it): host → ports,
 * for the backendRefs of weight > 0 and the mirrors' backendRefs that name a Service or a `Hostname`.
 */
export function gammaDestinations(graph: MeshGraph, vs: GammaVirtualService): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  const add = (route: MeshObject, b: Raw) => {
    const kind = backendKind(b);
    if (kind === 'other' || typeof b.name !== 'string' || typeof b.port !== 'number') return;
    const ns = typeof b.namespace === 'string' ? b.namespace : route.namespace;
    const host = kind === 'Service' ? `${b.name}.${ns}.svc.${graph.clusterDomain}` : b.name;
    let ports = out.get(host);
    if (!ports) out.set(host, (ports = new Set()));
    ports.add(b.port);
  };
  for (const r of vs.http) {
    for (const b of records(r.raw.backendRefs)) if (backendWeight(b) > 0) add(r.object, b);
    for (const f of records(r.raw.filters)) if (isRecord(f.requestMirror) && isRecord(f.requestMirror.backendRef)) add(r.object, f.requestMirror.backendRef);
  }
  return out;
}

const CACHE = new WeakMap<MeshGraph, ReadonlyMap<string, readonly GammaVirtualService[]>>();

/** Every GAMMA VirtualService of the graph by host, each host's in key order. Computed once per graph. */
export function gammaVirtualServices(graph: MeshGraph): ReadonlyMap<string, readonly GammaVirtualService[]> {
  let out = CACHE.get(graph);
  if (out) return out;
  const byKey = new Map<string, { host: string; namespace: string; serviceNamespace: string; port: number | null; parts: { object: MeshObject; routes: GammaRoute[] }[] }>();
  for (const route of graph.objects) {
    if (route.group !== GATEWAY_API_GROUP || (route.kind !== 'HTTPRoute' && route.kind !== 'GRPCRoute') || meshConversionError(route) !== null) continue;
    if (route.kind === 'GRPCRoute' && grpcMirrorError(graph, route, false) !== null) continue;
    let converted: GammaRoute[] | undefined;
    const seen = new Set<string>();
    for (const ref of parentRefsOf(route)) {
      const parent = meshParent(graph, ref);
      if (!parent) continue;
      converted ??= route.kind === 'GRPCRoute' ? convertGrpcRules(route) : convertRules(route);
      const port = ref.port ?? null;
      const routes = port === null ? converted : converted.map((r) => ({ ...r, port }));
      for (const host of parent.hosts) {
        const key = `${route.namespace}${port === null ? '' : `/${port}`}/${host}`;
        if (seen.has(key)) continue;
        seen.add(key);
        let entry = byKey.get(key);
        if (!entry) byKey.set(key, (entry = { host, namespace: route.namespace, serviceNamespace: parent.namespace, port, parts: [] }));
        entry.parts.push({ object: route, routes });
      }
    }
  }
  const byHost = new Map<string, GammaVirtualService[]>();
  for (const [key, e] of [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const parts = e.parts.sort((a, b) => routeCreationOrder(a.object, b.object));
    const vs: GammaVirtualService = {
      key, name: key.replaceAll('/', '~'), namespace: e.namespace, host: e.host, serviceNamespace: e.serviceNamespace, port: e.port,
      objects: parts.map((p) => p.object), creationTimestamp: creationTime(parts[0]!.object),
      http: sortRoutes(parts.flatMap((p) => p.routes)),
    };
    const list = byHost.get(e.host);
    if (list) list.push(vs);
    else byHost.set(e.host, [vs]);
  }
  CACHE.set(graph, (out = byHost));
  return out;
}
