import type { FieldPath } from './types.js';
import { hostsIntersect, isWildcard, parseGatewayHost, resolveHost, routeHostKey, wildcardsCovering } from './hosts.js';
import { isRecord, stringList, stringMap, type MeshObject } from './object.js';
import { push } from './services.js';
import { DEFAULT_MESH_CONFIG, type MeshConfig } from './mesh-config.js';
import { exportToOf, exportedTo } from './visibility.js';
import { routeRulesOf, type RouteSection } from './route-rules.js';

/** A host named in a VirtualService or DestinationRule, resolved in the object's namespace. */
interface HostEntry {
  readonly host: string;
  readonly object: MeshObject;
  /** Effective exportTo (MeshConfig default filled in). */
  readonly exportTo: readonly string[];
}

/** Exact and wildcard host entries; a concrete host is looked up without scanning. */
class HostTable {
  private readonly exact = new Map<string, HostEntry[]>();
  private readonly wildcard = new Map<string, HostEntry[]>();
  private readonly all: HostEntry[] = [];

  add(e: HostEntry): void {
    this.all.push(e);
    push(isWildcard(e.host) ? this.wildcard : this.exact, e.host, e);
  }

  /** Entries whose host covers `host`, grouped most specific first (exact, then longer wildcards). */
  matching(host: string): HostEntry[][] {
    if (isWildcard(host)) {
      const hits = this.all.filter((e) => hostsIntersect(e.host, host));
      return hits.length > 0 ? [hits] : [];
    }
    const groups: HostEntry[][] = [];
    const exact = this.exact.get(host);
    if (exact) groups.push(exact);
    for (const w of wildcardsCovering(host)) {
      const g = this.wildcard.get(w);
      if (g) groups.push(g);
    }
    return groups;
  }
}

export type { DestinationRuleScope } from './destination-rules.js';

/** The rules a DestinationRule lookup found (see `destination-rules.ts` for the merged view). */
export interface DestinationRuleMatch {
  readonly scope: import('./destination-rules.js').DestinationRuleScope;
  /** The host the rules were written for (the most specific match). */
  readonly host: string;
  /** All rules for that host in that namespace, in Istio's merge order. */
  readonly rules: readonly MeshObject[];
}

/** A gateway named in a VirtualService's `spec.gateways` (or the implicit `mesh`). */
export interface GatewayRef {
  /** As written (`mesh` when the VirtualService names none). */
  readonly ref: string;
  readonly mesh: boolean;
  /** Resolved `namespace/name` (`mesh` for the mesh). */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  /** `['spec','gateways',i]`, or `['spec']` for the implicit mesh. */
  readonly path: FieldPath;
}

/**
 * The gateways a VirtualService binds to: `ns/name`, `./name` or a short name (the VirtualService's
 * namespace), or the legacy `name.ns.svc.cluster.local`; no `gateways` means `mesh`.
 */
export function gatewayRefsOf(vs: MeshObject): GatewayRef[] {
  const list = stringList(vs.spec.gateways);
  if (!list || list.length === 0) return [{ ref: 'mesh', mesh: true, key: 'mesh', namespace: '', name: 'mesh', path: ['spec'] }];
  return list.map((ref, i) => gatewayRefOf(ref, vs.namespace, ['spec', 'gateways', i]));
}

/**
 * One gateway name as istiod resolves it for a VirtualService in `namespace` (Istio's
 * `resolveGatewayName`, used for `spec.gateways` and `match[].gateways` alike): `mesh`, `ns/name`,
 * `./name` (the VirtualService's namespace), the legacy `name.ns[.svc.cluster.local]`, or a short name
 * in the VirtualService's namespace.
 */
export function gatewayRefOf(ref: string, namespace: string, path: FieldPath): GatewayRef {
  if (ref === 'mesh') return { ref, mesh: true, key: 'mesh', namespace: '', name: 'mesh', path };
  const slash = ref.indexOf('/');
  let ns: string;
  let name: string;
  if (slash >= 0) [ns, name] = [ref.slice(0, slash) === '.' ? namespace : ref.slice(0, slash), ref.slice(slash + 1)];
  else if (ref.includes('.')) [name, ns] = ref.split('.') as [string, string];
  else [ns, name] = [namespace, ref];
  return { ref, mesh: false, key: `${ns}/${name}`, namespace: ns, name, path };
}

/**
 * Whether a gateway reference is in the legacy `name.namespace[.svc.cluster.local]` form: no `/` and a
 * `.`. istiod reads it as `namespace/name` (`resolveGatewayName`); Istio's webhook warns about it
 * (`validateGatewayNames`), and `istioctl analyze` does not read it at all (see {@link analyzerGatewayName}).
 */
export function isLegacyGatewayRef(ref: string): boolean {
  return ref !== 'mesh' && !ref.includes('/') && ref.includes('.');
}

/**
 * A `spec.gateways` entry as `istioctl analyze`'s virtualservice.GatewayAnalyzer looks it up
 * (`resource.NewShortOrFullName`): split at the first `/`, otherwise a name in the VirtualService's
 * `namespace`, dots and all. Unlike istiod it knows neither the legacy `name.namespace` form nor `./name`.
 */
export function analyzerGatewayName(ref: string, namespace: string): { readonly namespace: string; readonly name: string } {
  const slash = ref.indexOf('/');
  return slash < 0 ? { namespace, name: ref } : { namespace: ref.slice(0, slash), name: ref.slice(slash + 1) };
}

/** The gateways the matches of one http, tls or tcp rule are restricted to (`match[j].gateways[k]`). */
export interface RuleMatchGateways {
  readonly section: RouteSection;
  /** Index of the rule in its section. */
  readonly rule: number;
  /** Every entry, resolved as `spec.gateways` ({@link gatewayRefOf}), `mesh` included; path `[...rule, 'match', j, 'gateways', k]`. */
  readonly refs: readonly GatewayRef[];
  /** Whether every match entry of the rule names gateways (then the rule applies only on those). */
  readonly everyMatchNamesGateways: boolean;
}

/** The rules of `vs` (http, tls, tcp, in order) whose matches name gateways; rules without any are left out. */
export function matchGatewaysOf(vs: MeshObject): RuleMatchGateways[] {
  const out: RuleMatchGateways[] = [];
  for (const { section, index, rule, path } of routeRulesOf(vs)) {
    if (!Array.isArray(rule.match)) continue;
    const refs = rule.match.flatMap((m, j) =>
      (isRecord(m) ? stringList(m.gateways) ?? [] : []).map((ref, k) => gatewayRefOf(ref, vs.namespace, [...path, 'match', j, 'gateways', k])),
    );
    const everyMatchNamesGateways = rule.match.every((m) => isRecord(m) && (stringList(m.gateways) ?? []).length > 0);
    if (refs.length > 0) out.push({ section, rule: index, refs, everyMatchNamesGateways });
  }
  return out;
}

/**
 * A proxy that builds routes from a VirtualService: the sidecars (`mesh`) or one Gateway (`namespace/name`),
 * with what istiod reads of it when it trims match entries. A field left undefined is unknown (any sidecar).
 */
export interface RouteProxy {
  /** `mesh` or the Gateway's `namespace/name` (as {@link gatewayRefOf} resolves it). */
  readonly key: string;
  /** The listener ports the VirtualService's routes are built for (a gateway's server ports); undefined = unknown. */
  readonly ports?: ReadonlySet<number>;
  /** The proxy workload's labels (`sourceLabels`); undefined = unknown. */
  readonly labels?: Readonly<Record<string, string>>;
  /** The proxy workload's namespace (`sourceNamespace`); undefined = unknown. */
  readonly namespace?: string;
}

/**
 * The port a VirtualService match entry (`HTTPMatchRequest`, `L4MatchAttributes`, `TLSMatchAttributes`)
 * restricts to, or undefined when it matches on every port. `port` is a proto3 uint32 (the CRD allows
 * 0..4294967295): `port: 0` is the unset value, so istiod reads `{port: 0}` as no port condition at all
 * (validation checks only a non-zero port, route.go compares only `match.Port != 0`).
 */
export function matchPortOf(m: unknown): number | undefined {
  return isRecord(m) && typeof m.port === 'number' && m.port !== 0 ? m.port : undefined;
}

/**
 * Whether istiod keeps the http match entry `m` of a VirtualService in `vsNamespace` in the route table
 * of `proxy` (Istio route.go TranslateRoute): `match.port` must be a listener port of the proxy, then
 * `sourceMatchHTTP`: when `match.gateways` is set it alone decides (the proxy's gateway named in any form
 * {@link gatewayRefOf} resolves, `mesh` for sidecars), else `sourceLabels` must be a subset of the proxy's
 * labels and `sourceNamespace` its namespace. 'unknown' when it depends on what `proxy` leaves undefined.
 */
export function httpMatchAppliesOn(m: unknown, vsNamespace: string, proxy: RouteProxy): boolean | 'unknown' {
  if (!isRecord(m)) return true;
  let unknown = false;
  const port = matchPortOf(m);
  if (port !== undefined) {
    if (!proxy.ports) unknown = true;
    else if (!proxy.ports.has(port)) return false;
  }
  const gateways = stringList(m.gateways) ?? [];
  if (gateways.length > 0) {
    return gateways.some((g) => gatewayRefOf(g, vsNamespace, []).key === proxy.key) ? (unknown ? 'unknown' : true) : false;
  }
  const source = Object.entries(stringMap(m.sourceLabels));
  if (source.length > 0) {
    if (!proxy.labels) unknown = true;
    else if (!source.every(([k, v]) => proxy.labels![k] === v)) return false;
  }
  if (typeof m.sourceNamespace === 'string' && m.sourceNamespace !== '') {
    if (proxy.namespace === undefined) unknown = true;
    else if (m.sourceNamespace !== proxy.namespace) return false;
  }
  return unknown ? 'unknown' : true;
}

/**
 * Whether an http rule of a VirtualService in `vsNamespace` has a route on `proxy`: a rule without match
 * entries always does, else when some entry applies ({@link httpMatchAppliesOn}; 'unknown' when none surely
 * does and some might).
 */
export function httpRuleAppliesOn(rule: unknown, vsNamespace: string, proxy: RouteProxy): boolean | 'unknown' {
  const matches = isRecord(rule) && Array.isArray(rule.match) ? rule.match : [];
  if (matches.length === 0) return true;
  const each = matches.map((m) => httpMatchAppliesOn(m, vsNamespace, proxy));
  return each.includes(true) ? true : each.includes('unknown') ? 'unknown' : false;
}

/**
 * Whether a rule of `section` (`http`, `tls`, `tcp`) of a VirtualService in `vsNamespace` has a route on
 * `proxy`. HTTP as {@link httpRuleAppliesOn}. For tls and tcp only `match.gateways` is read (Istio matchTLS /
 * matchTCP: an entry naming gateways applies only on those): their other fields are read against the ports of
 * tls and tcp listeners, which `proxy.ports` (HTTP listener ports) does not give.
 */
export function ruleAppliesOn(section: RouteSection, rule: unknown, vsNamespace: string, proxy: RouteProxy): boolean | 'unknown' {
  if (section === 'http') return httpRuleAppliesOn(rule, vsNamespace, proxy);
  const matches = isRecord(rule) && Array.isArray(rule.match) ? rule.match : [];
  if (matches.length === 0) return true;
  return matches.some((m) => {
    const gateways = isRecord(m) ? stringList(m.gateways) ?? [] : [];
    return gateways.length === 0 || gateways.some((g) => gatewayRefOf(g, vsNamespace, []).key === proxy.key);
  });
}

/** VirtualServices by host and by bound gateway. */
export class VirtualServiceIndex {
  private readonly hosts = new HostTable();
  /** `hosts` again, keyed by the lower-cased host (`routeHostKey`), for a sidecar's HTTP binding. */
  private readonly foldedHosts = new HostTable();
  private readonly gatewayKeys = new Map<MeshObject, Set<string>>();
  private readonly order = new Map<MeshObject, number>();

  constructor(services: Iterable<MeshObject>, domain: string, meshConfig: MeshConfig = DEFAULT_MESH_CONFIG) {
    for (const o of services) {
      this.order.set(o, this.order.size);
      this.gatewayKeys.set(o, new Set(gatewayRefsOf(o).map((g) => g.key)));
      const exportTo = exportToOf(o, meshConfig).values;
      for (const h of stringList(o.spec.hosts) ?? []) {
        const host = resolveHost(h, o.namespace, domain).fqdn;
        this.hosts.add({ host, object: o, exportTo });
        this.foldedHosts.add({ host: routeHostKey(host), object: o, exportTo });
      }
    }
  }

  /**
   * Like `lookup`, grouped by how specifically the VirtualService host covers `fqdn` (exact
   * first, then longer wildcards); input order within a group. `ignoreCase`: hosts compared
   * lower-cased, as istiod binds VirtualService hosts to services in a sidecar's outbound HTTP
   * route configurations (httproute.go selectVirtualServices, route.go separateVSHostsAndServices);
   * everywhere else it compares them as written.
   */
  lookupGroups(fqdn: string, gateway: string, fromNamespace?: string, ignoreCase = false): MeshObject[][] {
    const groups: MeshObject[][] = [];
    for (const group of ignoreCase ? this.foldedHosts.matching(routeHostKey(fqdn)) : this.hosts.matching(fqdn)) {
      const kept = new Set<MeshObject>();
      for (const e of group) {
        if (!this.gatewayKeys.get(e.object)!.has(gateway)) continue;
        if (gateway === 'mesh' && fromNamespace !== undefined && !exportedTo(e.exportTo, e.object.namespace, fromNamespace)) continue;
        kept.add(e.object);
      }
      if (kept.size > 0) groups.push([...kept].sort((a, b) => this.order.get(a)! - this.order.get(b)!));
    }
    return groups;
  }

  /** VirtualServices bound to `gateway` (`namespace/name`), input order. */
  boundTo(gateway: string): MeshObject[] {
    return [...this.order.keys()].filter((o) => this.gatewayKeys.get(o)!.has(gateway));
  }

  /**
   * VirtualServices with a host covering `fqdn`, bound to `gateway` (`mesh` or `namespace/name`),
   * and (for `mesh` with `fromNamespace` given) exported to that namespace. Input order.
   */
  lookup(fqdn: string, gateway: string, fromNamespace?: string): MeshObject[] {
    const out = new Set<MeshObject>();
    for (const group of this.hosts.matching(fqdn)) {
      for (const e of group) {
        if (!this.gatewayKeys.get(e.object)!.has(gateway)) continue;
        if (gateway === 'mesh' && fromNamespace !== undefined && !exportedTo(e.exportTo, e.object.namespace, fromNamespace)) continue;
        out.add(e.object);
      }
    }
    return [...out].sort((a, b) => this.order.get(a)! - this.order.get(b)!);
  }
}

/** A Gateway server host that a host can bind to. */
export interface GatewayServerMatch {
  readonly server: Readonly<Record<string, unknown>>;
  readonly serverIndex: number;
  /** The server host entry as written (`ns/host` form included). */
  readonly host: string;
  readonly path: FieldPath;
}

/**
 * Servers of `gateway` with a host that `host` intersects, honouring the `namespace/host`
 * form (`*`, `.`, or a namespace) against the binding VirtualService's namespace when given.
 */
export function gatewayServersForHost(gateway: MeshObject, host: string, virtualServiceNamespace?: string): GatewayServerMatch[] {
  const out: GatewayServerMatch[] = [];
  const servers = Array.isArray(gateway.spec.servers) ? gateway.spec.servers : [];
  servers.forEach((server, serverIndex) => {
    if (!isRecord(server)) return;
    (stringList(server.hosts) ?? []).forEach((entry, j) => {
      const parsed = parseGatewayHost(entry, gateway.namespace);
      if (virtualServiceNamespace !== undefined && parsed.namespace !== '*' && parsed.namespace !== virtualServiceNamespace) return;
      if (!hostsIntersect(parsed.host, host)) return;
      out.push({ server, serverIndex, host: entry, path: ['spec', 'servers', serverIndex, 'hosts', j] });
    });
  });
  return out;
}
