import { GATEWAY_API_GROUP, gatewayApiOf, gatewayHandledByIstiod, parentRefsOf } from '../../../mesh/gateway-api.js';
import { listenerRejection, listenersOf } from '../../../mesh/gateway-api-attachment.js';
import { regexMatchesEvery } from '../../../mesh/catch-all-regex.js';
import { hostMatches } from '../../../mesh/hosts.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

/** One HTTPRoute or GRPCRoute match as istiod converts it: one Istio http route per match (conversion.go convertHTTPRoute, convertGRPCRoute). */
interface Entry {
  readonly route: MeshObject;
  readonly rule: number;
  /** Index in `matches`, or -1 when the rule has none (the CRD default: PathPrefix "/"). */
  readonly match: number;
  /**
   * Path match type rank as istiod's getURIRank: Exact 3, PathPrefix 2, RegularExpression 1, no path -1;
   * a GRPCRoute rule without matches (no match at all) ranks -2: sortHTTPRoutes puts match-less routes last.
   */
  readonly rank: number;
  readonly length: number;
  readonly method: boolean;
  readonly headers: number;
  readonly queryParams: number;
  /** The whole match, normalized: equal keys match the same requests. */
  readonly key: string;
  readonly label: string;
}

const RANK: Record<string, number> = { Exact: 3, PathPrefix: 2, RegularExpression: 1 };

/** A `{type, name, value}` list (headers, queryParams) as sorted canonical strings; header names are case-insensitive. */
function pairs(list: unknown, lowerNames: boolean): string[] {
  return (Array.isArray(list) ? list : []).filter(isRecord)
    .map((h) => `${typeof h.type === 'string' ? h.type : 'Exact'}:${lowerNames ? String(h.name).toLowerCase() : String(h.name)}=${String(h.value)}`).sort();
}

function entryOf(route: MeshObject, rule: number, match: number, m: Readonly<Record<string, unknown>>): Entry {
  const path = isRecord(m.path) ? m.path : {};
  const type = typeof path.type === 'string' ? path.type : 'PathPrefix';
  const written = typeof path.value === 'string' ? path.value : '/';
  // A PathPrefix matches by path segment, so "/api/" and "/api" are the same prefix.
  const value = type === 'PathPrefix' && written.length > 1 ? written.replace(/\/+$/, '') || '/' : written;
  const method = typeof m.method === 'string' ? m.method : '';
  const headers = pairs(m.headers, true);
  const queryParams = pairs(m.queryParams, false);
  const label = [`${type} ${written}`, ...(method ? [`method ${method}`] : []), ...headers.map((h) => `header ${h}`), ...queryParams.map((q) => `query ${q}`)].join(', ');
  // A regex every path matches (`.*`, `/.*`, `^/.*$`) takes the same requests as PathPrefix "/".
  const same = type === 'RegularExpression' && regexMatchesEvery(written, 'path') ? ['PathPrefix', '/'] : [type, value];
  return {
    route, rule, match, rank: RANK[type] ?? 0, length: value.length, method: method !== '', headers: headers.length, queryParams: queryParams.length,
    key: JSON.stringify([...same, method, headers, queryParams]), label,
  };
}

/**
 * The path istiod matches for a GRPCRoute method match (conversion.go createGRPCURIMatch): gRPC calls are
 * POST /<service>/<method>, so an Exact service and method is an exact path, a service alone a prefix, and
 * a method alone or a RegularExpression a regex. Undefined when the match has no method (headers only).
 */
function grpcPathOf(method: unknown): { readonly type: string; readonly value: string } | undefined {
  if (!isRecord(method)) return undefined;
  const service = typeof method.service === 'string' ? method.service : undefined;
  const name = typeof method.method === 'string' ? method.method : undefined;
  if (service === undefined && name === undefined) return undefined;
  const regex = method.type === 'RegularExpression';
  if (service === undefined) return { type: 'RegularExpression', value: `/[^/]+/${name!}` };
  if (name === undefined) return regex ? { type: 'RegularExpression', value: `/${service}/.+` } : { type: 'PathPrefix', value: `/${service}/` };
  return { type: regex ? 'RegularExpression' : 'Exact', value: `/${service}/${name}` };
}

function grpcEntryOf(route: MeshObject, rule: number, match: number, m: Readonly<Record<string, unknown>> | undefined): Entry {
  // No match: every call, the Envoy route a PathPrefix "/" without headers, so it shares that key with an HTTPRoute catch-all.
  if (!m) return { route, rule, match, rank: -2, length: 0, method: false, headers: 0, queryParams: 0, key: JSON.stringify(['PathPrefix', '/', '', [], []]), label: 'every call' };
  const path = grpcPathOf(m.method);
  const headers = pairs(m.headers, true);
  const method = isRecord(m.method) ? [m.method.service, m.method.method].filter((x) => typeof x === 'string').join('/') : '';
  const label = [...(method ? [`method ${method}`] : []), ...headers.map((h) => `header ${h}`)].join(', ');
  return {
    route, rule, match, rank: path ? RANK[path.type]! : -1, length: path?.value.length ?? 0, method: false, headers: headers.length, queryParams: 0,
    key: JSON.stringify([path?.type ?? '', path?.value ?? '', '', headers, []]), label,
  };
}

function entriesOf(route: MeshObject): Entry[] {
  const out: Entry[] = [];
  const grpc = route.kind === 'GRPCRoute';
  (Array.isArray(route.spec.rules) ? route.spec.rules : []).forEach((r, i) => {
    if (!isRecord(r)) return;
    const matches = Array.isArray(r.matches) && r.matches.length > 0 ? r.matches.filter(isRecord) : null;
    if (!matches) out.push(grpc ? grpcEntryOf(route, i, -1, undefined) : entryOf(route, i, -1, {}));
    else matches.forEach((m, k) => out.push(grpc ? grpcEntryOf(route, i, k, m) : entryOf(route, i, k, m)));
  });
  return out;
}

/** istiod's sortHTTPRoutes comparator: match-less last, then path rank, path length, method, header count, query count (stable). */
function precedence(a: Entry, b: Entry): number {
  return b.rank - a.rank || b.length - a.length || Number(b.method) - Number(a.method) || b.headers - a.headers || b.queryParams - a.queryParams;
}

const created = (o: MeshObject): string => {
  const meta = o.body.metadata as { creationTimestamp?: unknown } | undefined;
  return typeof meta?.creationTimestamp === 'string' ? meta.creationTimestamp : '';
};

/** Route order before the sort: creationTimestamp, then namespace, then name (route_collections.go sortRoutesByCreationTime). */
function routeOrder(a: MeshObject, b: MeshObject): number {
  const ca = created(a);
  const cb = created(b);
  if (ca !== cb) return ca < cb ? -1 : 1;
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The virtual hosts a route gets on one listener: each route hostname narrowed by the listener's, or the listener's own. */
function virtualHosts(listener: Readonly<Record<string, unknown>>, hostnames: readonly string[]): string[] {
  const own = typeof listener.hostname === 'string' && listener.hostname !== '' ? listener.hostname.toLowerCase() : '*';
  if (hostnames.length === 0) return [own];
  return hostnames.map((h) => h.toLowerCase()).flatMap((h) => (hostMatches(own, h) ? [h] : hostMatches(h, own) ? [own] : []));
}

const typeOf = (e: Entry): string => Object.keys(RANK).find((t) => RANK[t] === e.rank) ?? 'a match without path';
const pathOf = (e: Entry): FieldPath => (e.match < 0 ? ['spec', 'rules', e.rule] : ['spec', 'rules', e.rule, 'matches', e.match]);
const noMatches = (e: Entry): string => (e.route.kind === 'GRPCRoute' ? ' (no matches: every call)' : ' (no matches: PathPrefix /)');
const where = (e: Entry): string => `${e.route.kind} ${e.route.namespace}/${e.route.name} spec.rules[${e.rule}]${e.match < 0 ? noMatches(e) : `.matches[${e.match}]`}`;

/**
 * `gatewayapi/merged-route-shadowed`: HTTPRoutes and GRPCRoutes sharing a hostname
 * on one Gateway listener are merged into one route table, and a match that an earlier one repeats is
 * never reached.
 */
const mergedRouteShadowed: Rule = {
  id: 'gatewayapi/merged-route-shadowed',
  severity: 'warning',
  summary: 'Two HTTPRoute or GRPCRoute matches for the same hostname on one Gateway listener are identical: istiod merges the routes and only the first one (oldest route, then namespace/name) is ever reached.',
  docs: [
    'istiod merges every HTTPRoute attached to a Gateway for one hostname into one route table',
    '(pilot/pkg/config/kube/gateway route_collections.go): the routes are ordered by `metadata.creationTimestamp`, then',
    'namespace, then name (sortRoutesByCreationTime), each match becomes one Envoy route, and the table is sorted',
    'stably by the Gateway API precedence (sortHTTPRoutes: Exact before PathPrefix before RegularExpression, longer',
    'paths first, then matches with a method, more headers, more query parameters). Unlike VirtualService rules,',
    'HTTPRoute rules are therefore not shadowed by the order they are written in (a PathPrefix "/" rule written first',
    'still comes last); what is shadowed is a match another route or rule repeats exactly (the same path type and value,',
    'a PathPrefix with or without trailing slash being one prefix, the same method, headers and query parameters): only',
    'the first is reached, and the second route\'s backends get none of those requests. A rule without `matches` is',
    'PathPrefix "/", and so is a RegularExpression every path matches (`.*`, `/.*`, `^/.*$`), which sorts after it. Which route comes first depends on creation time, which git does not record: without',
    'creationTimestamp the order checked is namespace then name, and the message says the order may differ in the',
    'cluster. GRPCRoutes are merged into the same table as the HTTPRoutes of the hostname (Istio 1.30+: controller.go',
    'HTTPAndGRPCMerged, "allowing HTTPRoute and GRPCRoute to coexist on the same hostname"), a method',
    'match becoming the path /<service>/<method> (createGRPCURIMatch: an exact service and method an Exact path, a',
    'service alone a prefix, a method alone or a RegularExpression a regex) and a rule without matches taking every call',
    'after all others. Fix: make the matches differ (a longer path, a header, another method) or move both rules into',
    'one route and keep one. Only Gateways istiod programs are judged (an Istio gatewayClassName, or a GatewayClass with',
    'an istio.io controllerName): another controller merges its routes its own way.',
  ].join(' '),
  kinds: ['HTTPRoute', 'GRPCRoute', 'Gateway'],
  check(graph, ctx) {
    const k8s = gatewayApiOf(graph);
    const groups = new Map<string, MeshObject[]>();
    for (const route of [...k8s.ofKind('HTTPRoute'), ...k8s.ofKind('GRPCRoute')]) {
      const hostnames = stringList(route.spec.hostnames) ?? [];
      const nsLabels = graph.get('Namespace', '', route.namespace)?.labels;
      const keys = new Set<string>();
      for (const p of parentRefsOf(route)) {
        if (p.group !== GATEWAY_API_GROUP || p.kind !== 'Gateway') continue;
        const gateway = k8s.get('Gateway', p.namespace, p.name);
        if (!gateway || !gatewayHandledByIstiod(gateway, k8s)) continue;
        for (const l of listenersOf(gateway)) {
          if (typeof l.name !== 'string') continue;
          if (p.sectionName !== undefined && p.sectionName !== l.name) continue;
          if (p.port !== undefined && p.port !== l.port) continue;
          if (listenerRejection(gateway, route.kind, route.namespace, l.name, nsLabels, undefined, hostnames) !== undefined) continue;
          // HTTPRoutes and GRPCRoutes of one gateway hostname are merged into one table (controller.go HTTPAndGRPCMerged).
          for (const h of virtualHosts(l, hostnames)) keys.add(`${p.namespace}/${p.name}\u0000${String(l.port)}\u0000${h}`);
        }
      }
      for (const key of keys) {
        const list = groups.get(key);
        if (list) list.push(route);
        else groups.set(key, [route]);
      }
    }
    const reported = new Set<string>();
    for (const [key, routes] of groups) {
      const [gateway, port, host] = key.split('\u0000') as [string, string, string];
      const kinds = [...new Set(routes.map((r) => `${r.kind}s`))].sort().join(' and ');
      const ordered = [...routes].sort(routeOrder);
      const timed = ordered.every((r) => created(r) !== '');
      const table = ordered.flatMap(entriesOf).sort(precedence);
      const first = new Map<string, Entry>();
      for (const e of table) {
        const earlier = first.get(e.key);
        if (!earlier) {
          first.set(e.key, e);
          continue;
        }
        const id = `${e.route.key}#${e.rule}#${e.match}`;
        if (reported.has(id)) continue;
        reported.add(id);
        const order = earlier.route === e.route
          ? `its own ${earlier.rule === e.rule ? `matches[${earlier.match}]` : `spec.rules[${earlier.rule}]`} has it first`
          : earlier.rank > e.rank
            ? `${where(earlier)} takes the same requests and sorts first (sortHTTPRoutes puts ${e.rank === -2 ? 'a rule without matches after every other' : `${typeOf(earlier)} before ${typeOf(e)}`})`
            : `${where(earlier)} has it and comes first (${timed ? 'older creationTimestamp' : 'no creationTimestamp in the input: ordered by namespace, then name; in the cluster the older route wins'}, then namespace/name)`;
        ctx.report(e.route, `${where(e)}${e.match < 0 ? '' : ` (${e.label})`} is never reached for ${host} on Gateway ${gateway} port ${port}: ${order}; ` +
          `istiod merges the ${kinds} of one gateway hostname into one route table and the first identical match takes every request. ` +
          `Make the matches differ (${e.route.kind === 'GRPCRoute' ? 'another service or method, a header' : 'a longer path, a header or method'}), or keep one of them`, { path: pathOf(e) });
      }
    }
  },
};

export default mergedRouteShadowed;
