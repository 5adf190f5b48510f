/**
 * The traffic map of a mesh: for each host a VirtualService routes, where its traffic enters
 * (gateways, `mesh` for sidecars), each route with its match, and where the route sends requests
 * (destinations with weights, mirrors, faults, timeouts, retries, redirects). Read by the gate's
 * Mermaid diagrams and by `meshproof map`. Hosts are resolved the way istiod resolves them (short
 * names against the VirtualService's namespace); every route keeps its YAML and TypeScript origin.
 */
import type { MeshGraph } from '../mesh/graph.js';
import { isRecord, type MeshObject } from '../mesh/object.js';
import { routeRulesOf } from '../mesh/route-rules.js';
import { matchPortOf } from '../mesh/routing.js';
import { sourceAt, type FileLocation, type SourceOrigin } from '../mesh/types.js';

/** One destination of a route: `host[/subset][:port]` and its share in percent (0–100). */
export interface MapDestination {
  readonly host: string;
  readonly subset: string | null;
  readonly port: number | null;
  /** Istio weight; a route with one destination sends it 100. */
  readonly weight: number;
}

/** One route of a VirtualService as the map shows it. */
export interface MapRoute {
  /** `http`, `tls` or `tcp`. */
  readonly protocol: 'http' | 'tls' | 'tcp';
  /** Route name, or `http[2]`. */
  readonly name: string;
  /** Human summary of the match (`uri prefix /api, header x-canary=true`), `any` when unconditional. */
  readonly match: string;
  readonly destinations: readonly MapDestination[];
  /** Mirror target (`host/subset:port`) and the share of requests copied (`100%` when unset, as Istio). */
  readonly mirror: { readonly target: string; readonly percent: string } | null;
  /** `delay 5s (10%)`, `abort 503 (30%)`, joined; null when no fault. */
  readonly fault: string | null;
  /** Istio duration as written, or null. */
  readonly timeout: string | null;
  /** `3 × 2s on 5xx`, or null. */
  readonly retries: string | null;
  /** `301 → https://…`, `direct 404`, or null. */
  readonly terminal: string | null;
  readonly location: FileLocation;
  readonly source: SourceOrigin | null;
  readonly virtualService: string;
}

/** The traffic of one host. */
export interface HostMap {
  /** Resolved host (FQDN for Kubernetes services). */
  readonly host: string;
  /** Where traffic for the host enters: `namespace/gateway` names and `mesh`. */
  readonly gateways: readonly string[];
  /** In match order (first match wins) when one VirtualService routes the host. */
  readonly routes: readonly MapRoute[];
  /**
   * The VirtualServices routing the host when there are several: Istio merges gateway ones in
   * creation order and applies only one of several mesh ones (IST0109), so the order is undefined.
   */
  readonly virtualServices: readonly string[];
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function stringMatch(v: unknown): string {
  if (!isRecord(v)) return '?';
  for (const k of ['exact', 'prefix', 'regex'] as const) if (typeof v[k] === 'string') return k === 'exact' ? `= ${v[k]}` : `${k} ${v[k]}`;
  return 'present';
}

function matchSummary(route: Record<string, unknown>): string {
  const matches = Array.isArray(route.match) ? route.match.filter(isRecord) : [];
  if (matches.length === 0) return 'any';
  return matches
    .map((m) => {
      const parts: string[] = [];
      if (m.uri !== undefined) parts.push(`uri ${stringMatch(m.uri)}`);
      if (m.method !== undefined) parts.push(`method ${stringMatch(m.method)}`);
      if (m.authority !== undefined) parts.push(`authority ${stringMatch(m.authority)}`);
      for (const [h, v] of Object.entries(isRecord(m.headers) ? m.headers : {})) parts.push(`header ${h} ${stringMatch(v)}`);
      for (const [q, v] of Object.entries(isRecord(m.queryParams) ? m.queryParams : {})) parts.push(`query ${q} ${stringMatch(v)}`);
      for (const [h] of Object.entries(isRecord(m.withoutHeaders) ? m.withoutHeaders : {})) parts.push(`without header ${h}`);
      if (matchPortOf(m) !== undefined) parts.push(`port ${matchPortOf(m)}`);
      if (Array.isArray(m.sniHosts)) parts.push(`sni ${m.sniHosts.join(' ')}`);
      if (isRecord(m.sourceLabels)) parts.push(`from ${Object.entries(m.sourceLabels).map(([k, v]) => `${k}=${v}`).join(',')}`);
      return parts.length > 0 ? parts.join(', ') : 'any';
    })
    .join(' | ');
}

/** A fault's `percentage`: istiod injects nothing without one (or with an empty one). */
function percentOf(v: unknown): string {
  return isRecord(v) && typeof v.value === 'number' ? `${v.value}%` : '0%';
}

function fault(route: Record<string, unknown>): string | null {
  const f = route.fault;
  if (!isRecord(f)) return null;
  const out: string[] = [];
  if (isRecord(f.delay)) out.push(`delay ${str(f.delay.fixedDelay) ?? '?'} (${percentOf(f.delay.percentage)})`);
  if (isRecord(f.abort)) out.push(`abort ${f.abort.httpStatus ?? f.abort.grpcStatus ?? '?'} (${percentOf(f.abort.percentage)})`);
  return out.length > 0 ? out.join(', ') : null;
}

function destinationOf(d: Readonly<Record<string, unknown>>, graph: MeshGraph, namespace: string): Omit<MapDestination, 'weight'> {
  const host = str(d.host);
  return {
    host: host ? graph.resolveHost(host, namespace).fqdn : '?',
    subset: str(d.subset),
    port: isRecord(d.port) && typeof d.port.number === 'number' ? d.port.number : null,
  };
}

/** `host/subset:port` of a destination. */
export function destinationLabel(d: Omit<MapDestination, 'weight'>): string {
  return `${d.host}${d.subset ? `/${d.subset}` : ''}${d.port !== null ? `:${d.port}` : ''}`;
}

function routesOf(vs: MeshObject, graph: MeshGraph): MapRoute[] {
  const out: MapRoute[] = [];
  for (const { section: protocol, index: i, rule: r, path, destinations: entries } of routeRulesOf(vs)) {
    const destinations = entries.map((d) => ({ ...destinationOf(d.destination, graph, vs.namespace), weight: d.effectiveWeight }));
    const mirror = isRecord(r.mirror) ? { target: destinationLabel(destinationOf(r.mirror, graph, vs.namespace)), percent: percentOf(r.mirrorPercentage) } : null;
    const retries = isRecord(r.retries) && typeof r.retries.attempts === 'number'
      ? `${r.retries.attempts} × ${str(r.retries.perTryTimeout) ?? 'route timeout'}${str(r.retries.retryOn) ? ` on ${r.retries.retryOn}` : ''}`
      : null;
    const terminal = isRecord(r.redirect)
      ? `${r.redirect.redirectCode ?? 301} → ${[str(r.redirect.scheme) ? `${r.redirect.scheme}://` : '', str(r.redirect.authority) ?? '', str(r.redirect.uri) ?? ''].join('') || 'redirect'}`
      : isRecord(r.directResponse) ? `direct ${r.directResponse.status ?? '?'}` : null;
    out.push({
      protocol,
      name: str(r.name) ?? `${protocol}[${i}]`,
      match: matchSummary(r),
      destinations,
      mirror,
      fault: fault(r),
      timeout: str(r.timeout),
      retries,
      terminal,
      location: vs.locate(path),
      source: sourceAt(vs.source, path),
      virtualService: `${vs.namespace}/${vs.name}`,
    });
  }
  return out;
}

/**
 * The map of every host the mesh's VirtualServices route, sorted by host. A host routed by several
 * VirtualServices lists all their routes, in the order of the objects (creation order is not known
 * offline; the check suite reports conflicting VirtualServices). `draw` picks the VirtualServices
 * drawn (`map` leaves out those of context files, which only resolve hosts and gateways); @default all
 */
export function trafficMap(graph: MeshGraph, draw: (vs: MeshObject) => boolean = () => true): HostMap[] {
  const byHost = new Map<string, { gateways: Set<string>; routes: MapRoute[] }>();
  for (const vs of graph.ofKind('VirtualService')) {
    if (!draw(vs)) continue;
    const hosts = Array.isArray(vs.spec.hosts) ? vs.spec.hosts.filter((h): h is string => typeof h === 'string') : [];
    const gateways = graph.gatewaysOf(vs).map((g) => g.key);
    const routes = routesOf(vs, graph);
    for (const h of hosts) {
      const fqdn = graph.resolveHost(h, vs.namespace).fqdn;
      const entry = byHost.get(fqdn) ?? { gateways: new Set<string>(), routes: [] };
      for (const g of gateways) entry.gateways.add(g);
      entry.routes.push(...routes);
      byHost.set(fqdn, entry);
    }
  }
  return [...byHost.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([host, e]) => ({ host, gateways: [...e.gateways].sort(), routes: e.routes, virtualServices: [...new Set(e.routes.map((r) => r.virtualService))] }));
}
