import { configOrder } from '../../../mesh/destination-rules.js';
import { mergedDelegateRules } from '../../../mesh/delegation.js';
import type { MeshGraph } from '../../../mesh/graph.js';
import { hostMatches, parseGatewayHost } from '../../../mesh/hosts.js';
import { stringList, type MeshObject } from '../../../mesh/object.js';
import { httpMatchAppliesOn } from '../../../mesh/routing.js';
import { push } from '../../../mesh/services.js';
import { exportToOf, virtualServiceTier } from '../../../mesh/visibility.js';
import { virtualServicesForGateway } from '../../../mesh/view/gateway-scope.js';
import type { Rule } from '../../rule.js';
import { catchAllMatchOf, httpRulesOf, matchCovers, matchKey, ruleLabel, type HttpRule } from '../routing/_helpers.js';
import { gatewaysOf, nameOf } from './_helpers.js';
import { isCatchAllRoute, bareUriPrefix, withoutGateways } from './_route-match.js';

/** A match entry already in the merged route table of one gateway host. */
interface Seen {
  readonly vs: MeshObject;
  readonly rule: HttpRule;
}

/**
 * `gateway/merged-route-shadowed`: VirtualServices sharing a host on one Gateway are merged into one
 * route table, and a rule of one is never reached because another's rule comes first.
 */
const mergedRouteShadowed: Rule = {
  id: 'gateway/merged-route-shadowed',
  severity: 'warning',
  summary: 'Several VirtualServices bind the same host on one Gateway (or on Gateways whose plain-text HTTP servers share gateway pods and a port) and a rule of one can never match: a rule of another, merged before it, takes its requests.',
  docs: [
    'A gateway proxy does not keep VirtualServices apart: istiod merges the http rules of every VirtualService that',
    'binds the same host to the same Gateway into one route table (per virtual host: the narrower of each server host',
    'and VirtualService host, so `*.example.com` and `shop.example.com` share one when the server lists only',
    '`shop.example.com`, and a host no server of the Gateway serves is merged nowhere), in the order istiod lists them for the',
    'gateway proxy\'s namespace (PushContext.VirtualServicesForGateway: that namespace\'s VirtualServices not exported everywhere, then',
    'those exported to it by name, then those exported everywhere; one not exported there is not merged), then by creation time, then name,',
    'then namespace (a rule that delegates stands for the delegate\'s rules merged under its match, as istiod merges them),',
    'and Envoy takes the first rule that matches. One team\'s `prefix: /api` then swallows another',
    'team\'s `prefix: /api/payments`. A catch-all (a rule without match, or a match that is only `prefix: /` or',
    '`regex: .*`, with no header or query condition) does not end the table: istiod moves the catch-all routes of a',
    'gateway virtual host after all others, keeping their order (gateway.go → route.go SortVHostRoutes), so an older',
    'catch-all swallows only the catch-alls merged after it (inside one VirtualService, istiod builds no rule after its',
    'first catch-all: that is `routing/shadowed-rule`\'s). Which VirtualService comes first depends on when each was created, which git does not record: the order',
    'checked is `metadata.creationTimestamp` when present, else name then namespace, as istiod breaks ties; when the',
    'VirtualServices do not all carry a creationTimestamp, the reverse order is checked too, since either may happen. `match.gateways`',
    'entries that exclude the Gateway are left out, and a match entry with a `port` counts only in the route table of that server port (each',
    'port has its own; route.go TranslateRoute drops the entry elsewhere). Fix: keep one VirtualService per gateway host and delegate paths to',
    'team VirtualServices (`delegate`), or make the matches disjoint. Plain-text HTTP servers of different Gateways that',
    'select the same gateway pods on one port share one route table too (mergeGateways: `http.<port>`, no duplicate-host',
    'check for plain text): the host\'s routes are those of each Gateway\'s VirtualServices in turn, Gateways by creation',
    'time (both orders are checked when a Gateway has no creationTimestamp); a rule taken by another Gateway\'s',
    'VirtualService is reported as well. Rules shadowed inside one VirtualService are',
    '`routing/shadowed-rule`\'s. Mirrors istio-vet\'s ConflictingVirtualServiceHost and Kiali\'s KIA1106.',
  ].join(' '),
  kinds: ['VirtualService', 'Gateway'],
  check(graph, ctx) {
    // gateway key + virtual host → VirtualServices merged into it. As istiod's buildGatewayHTTPRouteConfig,
    // the virtual host is each intersection of a server host (namespace-scoped) with a VirtualService host
    // (host.Names.Intersection: the narrower of the two), so `*.example.com` and `shop.example.com` share a
    // table when the server lists only shop.example.com, and a host no server serves is merged nowhere.
    const groups = new Map<string, MeshObject[]>();
    // The same key → the port numbers of the servers that serve it: each port has its own route table.
    const serverPorts = new Map<string, Set<number>>();
    for (const vs of graph.ofKind('VirtualService')) {
      const hosts = new Set((stringList(vs.spec.hosts) ?? []).map((h) => graph.resolveHost(h, vs.namespace).fqdn));
      for (const g of graph.gatewaysOf(vs)) {
        if (g.mesh || !g.gateway) continue;
        for (const h of hosts) {
          for (const m of graph.gatewayServersForHost(g.gateway, h, vs.namespace)) {
            const server = parseGatewayHost(m.host, g.gateway.namespace).host.toLowerCase();
            const key = `${g.key}\u0000${hostMatches(server, h) ? h : server}`;
            push(groups, key, vs);
            const port = serverPortOf(m.server);
            if (port !== undefined) serverPorts.set(key, (serverPorts.get(key) ?? new Set()).add(port));
          }
        }
      }
    }
    const infos = new Map(gatewaysOf(graph).map((g) => [`${g.gateway.namespace}/${g.gateway.name}`, g]));
    const ordered = new Map<string, MeshObject[]>();
    const done = new Set<string>();
    for (const [key, list] of groups) {
      const bound = [...new Set(list)];
      if (bound.length < 2) continue;
      const [gatewayKey, host] = key.split('\u0000') as [string, string];
      const info = infos.get(gatewayKey);
      const proxyNamespaces = info && info.workloads.length > 0 ? [...new Set(info.workloads.map((w) => w.namespace))].sort() : [gatewayKey.split('/')[0]!];
      const reported = new Set<string>();
      const orders = new Set<string>();
      for (const namespace of proxyNamespaces) {
        // istiod's order for a gateway proxy in `namespace`, as the view merges them.
        const forProxy = `${gatewayKey}\u0000${namespace}`;
        if (!ordered.has(forProxy)) ordered.set(forProxy, virtualServicesForGateway(graph, gatewayKey, namespace));
        const members = ordered.get(forProxy)!.filter((vs) => bound.includes(vs));
        const tiers = new Map(members.map((vs) => [vs, virtualServiceTier(exportToOf(vs, graph.meshConfig).values, vs.namespace, namespace)]));
        const order = members.map(nameOf).join(' ');
        if (members.length < 2 || orders.has(order)) continue;
        orders.add(order);
        const ports = portsToWalk(members, serverPorts.get(key));
        const findings = shadowedOnPorts(graph, members, gatewayKey, ports).map((f) => ({ ...f, ifFirst: undefined as MeshObject | undefined }));
        // Without creationTimestamps the input does not fix the order within a tier (istiod uses the cluster's
        // creation times, which git does not record): the reverse order is as possible, so its shadows count too.
        if (!members.every(hasCreationTimestamp)) {
          const reversed = [...members].sort((a, b) => tiers.get(a)! - tiers.get(b)! || configOrder(b, a));
          const known = new Set(findings.map((f) => `${nameOf(f.vs)} ${f.rule.index}`));
          for (const f of shadowedOnPorts(graph, reversed, gatewayKey, ports)) {
            if (!known.has(`${nameOf(f.vs)} ${f.rule.index}`)) findings.push({ ...f, ifFirst: f.by.catchAll ? f.by.vs : f.by.rules[0]!.vs });
          }
        }
        const tiered = new Set(tiers.values()).size > 1;
        const orderText = tiered
          ? `for its proxies in namespace ${namespace}, the VirtualServices of that namespace not exported everywhere first, then those exported to it by name, then those exported everywhere, creation time, then name within each`
          : 'creation time, then name';
        for (const finding of findings) {
          const id = `${nameOf(finding.vs)} ${finding.rule.index}`;
          if (reported.has(id) || done.has(id)) continue;
          done.add(id);
          reported.add(id);
          const by = finding.by;
          const why = by.catchAll
            ? `${ruleLabel(by.rule)} of VirtualService ${nameOf(by.vs)} before it matches every request (${by.rule.matches.length === 0 || by.rule.matches.some(isCatchAllRoute)
              ? 'istiod moves the catch-all routes after the others but keeps their order'
              : 'a match that takes every request without being prefix "/" is not moved after the others by istiod'})`
            : `matches of ${by.rules.map((r) => `${ruleLabel(r.rule)} of VirtualService ${nameOf(r.vs)}`).join(', ')} take all of its requests`;
          const onPorts = finding.ports.length > 0 && finding.ports.length < ports.length ? ` on server port ${finding.ports.join(', ')} of` : ' on';
          ctx.report(
            finding.vs,
            `${capitalize(ruleLabel(finding.rule))} ${finding.ifFirst ? 'may never be used' : 'is never used'}${onPorts} Gateway ${gatewayKey} for host ${host}: istiod merges the ${members.length > 3 ? `${members.length} VirtualServices` : `VirtualServices ${members.map(nameOf).join(', ')}`} ` +
              `binding this host into one route table (${orderText}) and ` +
              `${finding.ifFirst ? `should VirtualService ${nameOf(finding.ifFirst)} be created before ${nameOf(finding.vs)} (no creationTimestamp in the input rules that out), ` : ''}${why}; ` +
              'keep one VirtualService per gateway host and delegate paths, or make the matches disjoint',
            { path: finding.rule.path },
          );
        }
      }
    }
    reportAcrossGateways(graph, infos, done, (vs, message, path) => ctx.report(vs, message, { path }));
  },
};

/**
 * Plain-text HTTP servers of DIFFERENT Gateways on the same proxies and port share one route table (mergeGateways:
 * serversByRouteName `http.<port>`, no duplicate-host check for plain text), and buildGatewayHTTPRouteConfig appends
 * the routes of each server's VirtualServices to the host's virtual host in server order: Gateways by creation time,
 * each Gateway's VirtualServices in its own order. A rule another Gateway's VirtualService takes first is never used.
 */
function reportAcrossGateways(graph: MeshGraph, infos: ReadonlyMap<string, ReturnType<typeof gatewaysOf>[number]>, done: Set<string>,
  report: (vs: MeshObject, message: string, path: HttpRule['path']) => void): void {
  const groups = new Map<string, { key: string; vs: MeshObject }[]>();
  for (const vs of graph.ofKind('VirtualService')) {
    const hosts = new Set((stringList(vs.spec.hosts) ?? []).map((h) => graph.resolveHost(h, vs.namespace).fqdn));
    for (const g of graph.gatewaysOf(vs)) {
      const info = g.gateway && !g.mesh ? infos.get(g.key) : undefined;
      if (!info || info.workloads.length === 0) continue;
      for (const h of hosts) {
        for (const m of graph.gatewayServersForHost(g.gateway!, h, vs.namespace)) {
          const port = serverPortOf(m.server);
          const tls = m.server.tls as Record<string, unknown> | undefined;
          if (port === undefined || (tls !== undefined && Object.keys(tls).some((k) => k !== 'httpsRedirect'))) continue;
          const server = parseGatewayHost(m.host, g.gateway!.namespace).host.toLowerCase();
          push(groups, `${info.scopeKey}\u0000${port}\u0000${hostMatches(server, h) ? h : server}`, { key: g.key, vs });
        }
      }
    }
  }
  for (const [groupKey, list] of groups) {
    const gateways = [...new Set(list.map((e) => e.key))];
    if (gateways.length < 2) continue;
    const [, portText, host] = groupKey.split('\u0000') as [string, string, string];
    const port = Number(portText);
    const objects = gateways.map((k) => infos.get(k)!.gateway);
    const oldest = [...objects].sort(configOrder).map((o) => `${o.namespace}/${o.name}`);
    const orders = objects.every(hasCreationTimestamp) ? [oldest] : [oldest, [...oldest].reverse()];
    orders.forEach((order, i) => {
      const keyOf = new Map<MeshObject, string>();
      for (const key of order) {
        const bound = new Set(list.filter((e) => e.key === key).map((e) => e.vs));
        const namespace = infos.get(key)!.workloads[0]!.namespace;
        for (const vs of virtualServicesForGateway(graph, key, namespace)) if (bound.has(vs) && !keyOf.has(vs)) keyOf.set(vs, key);
      }
      const members = [...keyOf.keys()];
      if (members.length < 2) return;
      for (const f of shadowedOnPorts(graph, members, (vs) => keyOf.get(vs)!, [port])) {
        const takers = f.by.catchAll ? [f.by.vs] : f.by.rules.map((r) => r.vs);
        const id = `${nameOf(f.vs)} ${f.rule.index}`;
        if (done.has(id) || takers.every((t) => keyOf.get(t) === keyOf.get(f.vs))) continue;
        done.add(id);
        const why = f.by.catchAll
          ? `${ruleLabel(f.by.rule)} of VirtualService ${nameOf(f.by.vs)} (Gateway ${keyOf.get(f.by.vs)}) before it matches every request`
          : `matches of ${f.by.rules.map((r) => `${ruleLabel(r.rule)} of VirtualService ${nameOf(r.vs)} (Gateway ${keyOf.get(r.vs)})`).join(', ')} take all of its requests`;
        report(f.vs, `${capitalize(ruleLabel(f.rule))} ${i > 0 ? 'may never be used' : 'is never used'} on port ${port} for host ${host}: Gateways ${gateways.join(' and ')} ` +
          `select the same gateway pods with plain-text HTTP servers on that port, so istiod merges them into one route table (http.${port}) and appends ` +
          `each Gateway's VirtualServices in turn (Gateways by creation time${i > 0 ? '; without creationTimestamps either Gateway may come first' : ''}); ${why}; ` +
          'serve the host from one Gateway, or make the matches disjoint', f.rule.path);
      }
    });
  }
}

/** The Gateway (`namespace/name`) a member VirtualService is merged for. */
type KeyOf = (vs: MeshObject) => string;

interface Shadowed {
  readonly vs: MeshObject;
  readonly rule: HttpRule;
  readonly by: { readonly catchAll: true; readonly vs: MeshObject; readonly rule: HttpRule } | { readonly catchAll: false; readonly rules: readonly Seen[] };
}

/** The part of one merged rule that keeps its place in the gateway's route table, or the part istiod moves last. */
interface Unit {
  readonly vs: MeshObject;
  readonly rule: HttpRule;
  /** The rule's match entries in this part, without their gateways condition; empty for a rule without match. */
  readonly matches: readonly Readonly<Record<string, unknown>>[];
}

/**
 * The server ports whose route tables differ for `members`: when a match entry names a `port`, each port
 * serving the host is walked apart (istiod builds one route table per server port and keeps a match only on
 * its own port); otherwise one walk stands for all (`[undefined]`).
 */
function portsToWalk(members: readonly MeshObject[], served: ReadonlySet<number> | undefined): (number | undefined)[] {
  const named = members.some((vs) => httpRulesOf(vs).some((r) => r.matches.some((m) => m.port !== undefined)));
  return named && served && served.size > 0 ? [...served].sort((a, b) => a - b) : [undefined];
}

/** `shadowedAcross` on each of `ports`, each finding once with the ports where it holds. */
function shadowedOnPorts(graph: MeshGraph, members: readonly MeshObject[], gatewayKey: string | KeyOf, ports: readonly (number | undefined)[]): (Shadowed & { ports: number[] })[] {
  const out = new Map<string, Shadowed & { ports: number[] }>();
  const keyOf = typeof gatewayKey === 'string' ? () => gatewayKey : gatewayKey;
  for (const port of ports) {
    for (const f of shadowedAcross(graph, members, keyOf, port)) {
      const id = `${nameOf(f.vs)} ${f.rule.index}`;
      const known = out.get(id);
      if (known) {
        if (port !== undefined) known.ports.push(port);
      } else out.set(id, { ...f, ports: port === undefined ? [] : [port] });
    }
  }
  return [...out.values()];
}

/** The port number of a Gateway server, if written. */
function serverPortOf(server: Readonly<Record<string, unknown>>): number | undefined {
  const port = server.port as Record<string, unknown> | undefined;
  return typeof port?.number === 'number' ? port.number : undefined;
}

/**
 * A match entry as the route table of server port `port` holds it (route.go TranslateRoute): undefined when it
 * names another port (istiod builds no route for it there), else without its `port`, which that table always
 * meets. With `port` undefined (no entry names a port) the entry is kept as written.
 */
function onPort(m: Readonly<Record<string, unknown>>, port: number | undefined): Readonly<Record<string, unknown>> | undefined {
  if (port === undefined || m.port === undefined || m.port === 0) return m;
  if (m.port !== port) return undefined;
  const { port: _port, ...rest } = m;
  return rest;
}

/**
 * Walks the merged rules in the order the gateway's virtual host holds them and returns the rules of later
 * VirtualServices that an earlier VirtualService's rules leave unreachable. istiod appends the routes of each
 * VirtualService, one Envoy route per match entry up to its first catch-all (route.go
 * BuildHTTPRoutesForVirtualService stops there), then moves the catch-all routes after all others, each group
 * keeping its order (gateway.go buildGatewayHTTPRouteConfig → route.go SortVHostRoutes): so an older catch-all
 * swallows only newer catch-alls. A rule is reported when every one of its match entries is taken earlier.
 * Matches are looked up by exact key and, for a URI prefix or exact value, through every prefix of it, so the
 * walk is linear in the number of match entries; only matches with other conditions are compared one by one.
 */
function shadowedAcross(graph: MeshGraph, members: readonly MeshObject[], keyOf: KeyOf, port: number | undefined): Shadowed[] {
  const kept: Unit[][] = [];
  const last: Unit[][] = [];
  for (const vs of members) {
    const own: Unit[] = [];
    const moved: Unit[] = [];
    for (const rule of mergedHttpRulesOf(graph, vs)) {
      // On this gateway a match entry naming it holds its gateways condition: compare it without that field.
      const matches = rule.matches.filter((m) => appliesTo(m, vs, keyOf(vs))).map(withoutGateways)
        .map((m) => onPort(m, port)).filter((m): m is Readonly<Record<string, unknown>> => m !== undefined);
      if (rule.matches.length > 0 && matches.length === 0) continue;
      // istiod builds a VirtualService's routes up to its first catch-all and no further
      // (route.go BuildHTTPRoutesForVirtualService); rules after it are routing/shadowed-rule's.
      const at = matches.length === 0 ? 0 : matches.findIndex(isCatchAllRoute);
      const front = at < 0 ? matches : matches.slice(0, at);
      if (front.length > 0) own.push({ vs, rule, matches: front });
      if (at < 0) continue;
      moved.push({ vs, rule, matches: matches.length === 0 ? [] : [matches[at]!] });
      break;
    }
    kept.push(own);
    last.push(moved);
  }
  const walked = walk([...kept, ...last]);
  const out: Shadowed[] = [];
  for (const [rule, parts] of walked) {
    if (parts.some((p) => p.by === undefined)) continue;
    const bys = parts.map((p) => p.by!);
    const by = bys.length === 1 ? bys[0]! : { catchAll: false as const, rules: [...new Set(bys.flatMap((b) => (b.catchAll ? [{ vs: b.vs, rule: b.rule }] : b.rules)))] };
    out.push({ vs: parts[0]!.vs, rule, by });
  }
  return out;
}

/** Walks groups of units (each group one VirtualService's) in order; per rule, what took each of its parts (undefined: reached). */
function walk(groups: readonly (readonly Unit[])[]): Map<HttpRule, { vs: MeshObject; by: Shadowed['by'] | undefined }[]> {
  const out = new Map<HttpRule, { vs: MeshObject; by: Shadowed['by'] | undefined }[]>();
  const note = (u: Unit, by: Shadowed['by'] | undefined) => push(out, u.rule, { vs: u.vs, by });
  const byKey = new Map<string, Seen>();
  const byPrefix = new Map<string, Seen>();
  const general: { seen: Seen; m: Readonly<Record<string, unknown>> }[] = [];
  let catchAll: Seen | undefined;
  for (const units of groups) {
    const added: { key: string; seen: Seen; m: Readonly<Record<string, unknown>> }[] = [];
    for (const u of units) {
      const { vs, rule: r, matches } = u;
      if (catchAll) {
        note(u, catchAll.vs !== vs ? { catchAll: true, vs: catchAll.vs, rule: catchAll.rule } : undefined);
        continue;
      }
      const covers = matches.map((m) => coverOf(m, vs, byKey, byPrefix, general));
      if (matches.length > 0 && covers.every((c) => c !== undefined)) {
        note(u, { catchAll: false, rules: [...new Set(covers as Seen[])] });
        continue;
      }
      note(u, undefined);
      const seen = { vs, rule: r };
      for (const m of matches) added.push({ key: matchKey(m), seen, m });
      if (matches.length === 0 || catchAllMatchOf({ ...r, matches }) !== undefined) catchAll = seen;
    }
    // A VirtualService's own matches shadow only later VirtualServices here.
    for (const { key, seen, m } of added) {
      if (!byKey.has(key)) byKey.set(key, seen);
      const prefix = bareUriPrefix(m);
      if (prefix !== undefined) {
        if (!byPrefix.has(prefix)) byPrefix.set(prefix, seen);
      } else general.push({ seen, m });
    }
  }
  return out;
}

/**
 * The http rules of `vs` as the gateway's route table holds them: a rule that delegates is replaced by the
 * delegate's rules with their matches merged under its own (mesh/delegation.ts mergedDelegateRules; none when
 * istiod drops the delegation), labelled with the delegate rule they came from.
 */
function mergedHttpRulesOf(graph: MeshGraph, vs: MeshObject): HttpRule[] {
  return httpRulesOf(vs).flatMap((r) => {
    const merged = mergedDelegateRules(graph, vs, r.rule);
    if (merged === null) return [r];
    return merged.map((m) => ({ ...r, rule: { ...r.rule, name: `delegated to ${m.delegate.namespace}/${m.delegate.name} spec.http[${m.index}]` }, matches: m.matches }));
  });
}

/** The earlier rule (of another VirtualService) whose match takes every request `m` takes, if any. */
function coverOf(
  m: Readonly<Record<string, unknown>>,
  vs: MeshObject,
  byKey: ReadonlyMap<string, Seen>,
  byPrefix: ReadonlyMap<string, Seen>,
  general: readonly { seen: Seen; m: Readonly<Record<string, unknown>> }[],
): Seen | undefined {
  const same = byKey.get(matchKey(m));
  if (same && same.vs !== vs) return same;
  const uri = m.uri as Record<string, unknown> | undefined;
  const value = typeof uri?.prefix === 'string' ? uri.prefix : typeof uri?.exact === 'string' ? uri.exact : undefined;
  if (value !== undefined && m.ignoreUriCase !== true) {
    for (let i = value.length; i > 0; i--) {
      const hit = byPrefix.get(value.slice(0, i));
      if (hit && hit.vs !== vs) return hit;
    }
  }
  for (const g of general) if (g.seen.vs !== vs && matchCovers(g.m, m)) return g.seen;
  return undefined;
}

/**
 * Whether a match entry may apply on `gatewayKey` (routing.ts httpMatchAppliesOn: `match.gateways` absent, or
 * naming it in any form istiod resolves; its other fields are compared as match conditions).
 */
function appliesTo(m: Readonly<Record<string, unknown>>, vs: MeshObject, gatewayKey: string): boolean {
  return httpMatchAppliesOn(m, vs.namespace, { key: gatewayKey }) !== false;
}

function hasCreationTimestamp(o: MeshObject): boolean {
  const meta = o.body.metadata;
  return typeof meta === 'object' && meta !== null && typeof (meta as Record<string, unknown>).creationTimestamp === 'string';
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export default mergedRouteShadowed;
