/**
 * istiod's SidecarScope for a sidecar proxy: the services it sees and which of their ports (exportTo,
 * then the Sidecar's egress listeners and the destinations of the VirtualServices they import:
 * `sidecar-imports.ts`), the VirtualService that applies per host, and the routes per (host, port).
 */
import { isIP } from 'node:net';
import type { MeshGraph } from '../graph.js';
import { stringList, type MeshObject } from '../object.js';
import type { ServiceInfo } from '../services.js';
import { routeHostKey } from '../hosts.js';
import { configOrder } from '../destination-rules.js';
import { parseIstioIdentity, principalOf } from '../mesh-config.js';
import { isHttp, isTls, routeKindsFor, type IstioProtocol } from '../protocol.js';
import { exportedTo, exportToOf, importingEntry, virtualServiceTier, type EgressHost } from '../visibility.js';
import { perServiceOf, routesUnchanged } from './carry.js';
import { oneServicePerHost } from './host-services.js';
import { serviceDataplane } from './clusters.js';
import { originOf } from './origin.js';
import { selectionTarget } from './proxy.js';
import { defaultHttpRoute, httpRoutesOf, type RouteEnv } from './routes.js';
import { answersKey, matchesNameTheClient, outsiderAnswersKey, seesAsOutsider } from './push-index.js';
import { sidecarImportScope, type ImportedService, type SidecarImportScope } from './sidecar-imports.js';
import { outboundClusterName } from './traffic-policy.js';
import type { HostRoutesView, HttpRouteView, Origin, ProxyIdentity, ServiceView, ViewProblem } from './types.js';
import { gammaL4Candidates, isGammaL4 } from './gamma-l4-routes.js';
import { httpRoutesToFirstCatchAll } from './catch-all-route.js';
import { l4VirtualServicesFor, mergeSidecarL4Routes, type MergedL4Routes } from './sidecar-l4-routes.js';
import { candidateOrder, gammaCandidates, gammaHttpRoutesOf, isGamma, type MeshRouteSource } from './gamma-routes.js';

/**
 * The Sidecar resource in force and istiod's SidecarScope of it for the proxy's namespace
 * (`sidecar-imports.ts`; null: no Sidecar, or one without egress listeners, imports everything exported).
 */
export function sidecarImports(graph: MeshGraph, proxy: ProxyIdentity, env: Pick<RouteEnv, 'problems'>): { sidecar: MeshObject | null; scope: SidecarImportScope | null } {
  const sidecar = graph.sidecarsFor(selectionTarget(proxy))[0] ?? null;
  if (!sidecar) return { sidecar: null, scope: null };
  const scope = sidecarImportScope(graph, sidecar, proxy.namespace);
  for (const p of scope?.problems ?? []) env.problems.push({ code: 'view/egress-host', message: p.message, origin: originOf(p.object, p.path) });
  return { sidecar, scope };
}

const SERVICE_VIEWS = new WeakMap<MeshGraph, WeakMap<ServiceInfo, ServiceView>>();

/**
 * The view of a service (the same object for every proxy that sees it, and for the graph that
 * replaces this one when none of the service's workloads changed: `perServiceOf`).
 */
export function serviceView(graph: MeshGraph, s: ServiceInfo): ServiceView {
  return perServiceOf(SERVICE_VIEWS, graph, s, () => computeServiceView(graph, s));
}

/** The view of a service in a proxy's scope with only the ports imported there (istiod's trimmed copy of the service). */
export function importedServiceView(graph: MeshGraph, i: ImportedService): ServiceView {
  const whole = serviceView(graph, i.service);
  return i.ports.length === whole.ports.length ? whole : { ...whole, ports: whole.ports.filter((p) => i.ports.includes(p.number)) };
}

function computeServiceView(graph: MeshGraph, s: ServiceInfo): ServiceView {
  return {
    host: s.host, namespace: s.namespace, kind: s.kind,
    ports: s.ports.map((p) => ({
      number: p.number, name: p.name, protocol: p.protocol, sniffed: p.protocol === 'UnsupportedProtocol',
      ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
    })),
    location: s.location, resolution: s.resolution, addresses: s.addresses,
    selector: s.selector && { ...s.selector }, dataplane: serviceDataplane(graph, s), serviceAccounts: serviceAccountsOf(graph, s),
    origin: originOf(s.object, s.hostPath),
  };
}

/**
 * Istio's service accounts of a service as a client verifies them (`PushContext.addServiceAccounts`):
 * SPIFFE ids of the selected workloads, plus ServiceEntry `subjectAltNames`, each SPIFFE id also in
 * every MeshConfig `trustDomainAliases` domain (`spiffe.ExpandWithTrustDomains`), sorted.
 */
function serviceAccountsOf(graph: MeshGraph, s: ServiceInfo): string[] {
  const out = new Set<string>();
  if (s.selector) for (const w of graph.workloadsSelectedBy(s.namespace, s.selector)) out.add(`spiffe://${graph.principalOf(w)}`);
  const sans = s.kind === 'ServiceEntry' ? (s.object.spec as { subjectAltNames?: unknown }).subjectAltNames : undefined;
  if (Array.isArray(sans)) for (const v of sans) if (typeof v === 'string' && v !== '') out.add(v);
  return expandWithTrustDomains(out, graph.meshConfig.trustDomainAliases).sort();
}

/**
 * istiod's `spiffe.ExpandWithTrustDomains`: every id, and each SPIFFE identity again in every alias
 * trust domain (ids that are not SPIFFE identities, such as DNS names, are kept as they are).
 */
export function expandWithTrustDomains(ids: Iterable<string>, aliases: readonly string[]): string[] {
  if (aliases.length === 0) return [...ids];
  const out = new Set<string>(ids);
  for (const id of [...out]) {
    const identity = parseIstioIdentity(id);
    if (identity) for (const td of aliases) out.add(`spiffe://${principalOf(td, identity.namespace, identity.serviceAccount)}`);
  }
  return [...out];
}

/**
 * The mesh VirtualServices for `host` this proxy may apply, best first: most specific host, then istiod's
 * precedence for the proxy's namespace (`virtualServiceTier`: its own scoped ones, those exported to it by
 * name, those exported everywhere), then config order; the GAMMA VirtualServices istiod makes of mesh
 * HTTPRoutes, GRPCRoutes, TCPRoutes and TLSRoutes for the host join the exact-host group in istiod's order
 * (`gamma-routes.ts` `candidateOrder`).
 */
function virtualServicesFor(graph: MeshGraph, host: string, proxy: ProxyIdentity, imports: readonly EgressHost[] | null): MeshRouteSource[] {
  const gamma: MeshRouteSource[] = [...gammaCandidates(graph, host, proxy.namespace, imports), ...gammaL4Candidates(graph, host, proxy.namespace, imports)];
  const tier = (vs: MeshObject) => virtualServiceTier(exportToOf(vs, graph.meshConfig).values, vs.namespace, proxy.namespace);
  // istiod binds a sidecar's HTTP VirtualService hosts to services lower-cased on both sides (httproute.go
  // selectVirtualServices): `Reviews.prod.svc.cluster.local` routes the Service reviews.
  for (const group of graph.virtualServiceGroupsFor(host, 'mesh', proxy.namespace, true)) {
    const kept = imports === null ? group : group.filter((vs) => importingEntry(imports, vs.namespace, host) !== undefined);
    if (kept.length === 0) continue;
    if (gamma.length === 0) return [...kept].sort((a, b) => tier(a) - tier(b) || configOrder(a, b));
    // GAMMA hosts are exact: a wildcard group is less specific than they are.
    if (!kept.some((vs) => namesExactly(graph, vs, host))) return gamma.sort(candidateOrder(graph, proxy.namespace, tier));
    return [...kept, ...gamma].sort(candidateOrder(graph, proxy.namespace, tier));
  }
  return gamma.sort(candidateOrder(graph, proxy.namespace, tier));
}

/** Whether `vs` lists `host` itself (not through a wildcard). */
function namesExactly(graph: MeshGraph, vs: MeshObject, host: string): boolean {
  return (stringList(vs.spec.hosts) ?? []).some((h) => routeHostKey(graph.resolveHost(h, vs.namespace).fqdn) === routeHostKey(host));
}

const NO_L4: MergedL4Routes = { routes: [], used: [] };

/** The routes of one service's ports for a sidecar, and the services those routes make visible. */
interface ServiceRoutes {
  readonly routes: readonly HostRoutesView[];
  readonly targets: readonly ServiceInfo[];
}

/** Routes computed for the outsiders of every host they looked at, with what computing them did to the proxy's view. */
interface SharedServiceRoutes extends ServiceRoutes {
  /** Every host whose services or DestinationRule the routes depend on. */
  readonly hosts: readonly string[];
  readonly problems: readonly ViewProblem[];
  readonly adds: readonly (readonly [ServiceInfo, string, number, string | undefined])[];
}

/** Per graph and service: its routes as any namespace outside every host they depend on sees them. */
const SHARED_ROUTES = new WeakMap<MeshGraph, WeakMap<ServiceInfo, SharedServiceRoutes>>();

/**
 * Computes the sidecar scope: the services CDS builds clusters from, with the ports of each, and the
 * routes per (host, port). Without a Sidecar egress (`scope` null, istiod's default listener `*\/*`)
 * every service exported to the proxy's namespace, whole, and their routes; with one, {@link buildEgressScope}.
 * `env.visible` must answer for every service exported to the proxy's namespace.
 * Without Sidecar egress imports and client-naming matches, the routes of a service are computed once
 * per graph for every namespace that sees each host they depend on as the outsiders do (outside the
 * host's `namespacesSeeingDifferently`, or with the outsiders' `answersKey`: a namespace's own
 * services, usually) and shared: same route objects, same problems, same clusters added (each
 * proxy's collector makes its own cluster views from them).
 */
export function buildSidecarScope(graph: MeshGraph, proxy: ProxyIdentity, env: RouteEnv, scope: SidecarImportScope | null): { services: ImportedService[]; routes: HostRoutesView[] } {
  if (scope) return buildEgressScope(graph, proxy, env, scope);
  const services = oneServicePerHost(graph.services.all.filter((s) => exportedTo(s.exportTo, s.namespace, proxy.namespace)), proxy.namespace);
  // One service per host (istiod's SidecarScope): a route's destination host already in scope adds nothing.
  const seen = new Set(services.map((s) => s.host));
  const routes: HostRoutesView[] = [];
  const queue = [...services];
  let shared = !matchesNameTheClient(graph) ? SHARED_ROUTES.get(graph) : undefined;
  if (!shared && !matchesNameTheClient(graph)) SHARED_ROUTES.set(graph, (shared = new WeakMap()));
  // A host this namespace may see differently is still shared when its answers are the outsiders'
  // (its own services: the same rules found as client-namespace instead of service-namespace).
  const alike = (h: string): boolean => seesAsOutsider(graph, h, proxy.namespace)
    || answersKey(graph, h, proxy.namespace, env.clusters.destinationRule(h)) === outsiderAnswersKey(graph, h);
  for (let i = 0; i < queue.length; i++) {
    const s = queue[i]!;
    const r = shared ? sharedServiceRoutes(graph, proxy, env, s, shared, alike) : serviceRoutes(graph, proxy, env, null, s, s.ports.map((p) => p.number));
    routes.push(...r.routes);
    // istiod adds the destinations of the VirtualServices it imports (`collectImportedServices`).
    for (const target of r.targets) if (!seen.has(target.host)) { seen.add(target.host); queue.push(target); }
  }
  return { services: queue.map((s) => ({ service: s, ports: s.ports.map((p) => p.number) })), routes };
}

/**
 * The scope under a Sidecar's egress listeners, as istiod builds it:
 * - services and ports: `scope.services` (`collectImportedServices`), what CDS builds from; a route
 *   destination outside them adds no cluster (the route keeps the cluster name, which does not
 *   exist: Envoy answers 503 NC);
 * - routes (`buildSidecarOutboundListeners`, `BuildSidecarOutboundVirtualHosts`): per listener in
 *   order, for each service its hosts import (`ilw.services`, not the VirtualService destinations
 *   added for CDS) and each of its imported ports, with the VirtualServices that listener imports. A
 *   listener without port (or HTTP_PROXY) adds nothing on a port where a port-bound listener built
 *   `0.0.0.0:<port>` (an HTTP one, or a TCP or sniffed one for a service without IP): istiod locks it;
 *   only a non-HTTP port of a service with its own IP address gets its own listener `<vip>:<port>`
 *   there. A (host, port) is built once, by the first listener;
 * - protocol: a port-bound listener builds its listener with its own `port.protocol`, not the
 *   service port's ({@link listenerRouteKinds}).
 */
function buildEgressScope(graph: MeshGraph, proxy: ProxyIdentity, env: RouteEnv, scope: SidecarImportScope): { services: ImportedService[]; routes: HostRoutesView[] } {
  const cds = new Map<string, ReadonlySet<number>>();
  for (const i of scope.services) cds.set(i.service.host, new Set(i.ports));
  const gated: RouteEnv = {
    ...env,
    clusters: {
      add: (service, host, port, subset) => (cds.get(host)?.has(port) ? env.clusters.add(service, host, port, subset) : outboundClusterName(port, subset, host)),
      destinationRule: (host) => env.clusters.destinationRule(host),
    },
  };
  // istiod locks the listeners the port-bound egress listeners built (keyed by address and port): an
  // HTTP one on 0.0.0.0:<port>; a TCP or sniffed one on each service's IP, or 0.0.0.0:<port> for a
  // service without one; UDP builds none. Only 0.0.0.0:<port> can hold a later listener's services.
  const locked = new Set<number>();
  for (const l of scope.listeners) {
    if (!l.matchPort || l.protocol === 'UDP') continue;
    if (l.services.some((i) => isHttp(l.protocol) || !i.service.addresses.some((a) => isIP(a) !== 0))) locked.add(l.port!);
  }
  const built = new Set<string>();
  const routes: HostRoutesView[] = [];
  for (const l of scope.listeners) {
    for (const { service, ports } of l.services) {
      const own = ports.filter((n) => {
        const key = `${service.host}\u0000${n}`;
        if (built.has(key)) return false;
        if (!l.matchPort && locked.has(n) && !ownAddressListener(service, n)) return false;
        built.add(key);
        return true;
      });
      if (own.length > 0) routes.push(...serviceRoutes(graph, proxy, gated, l.hosts, service, own, l.matchPort ? l.protocol : undefined).routes);
    }
  }
  return { services: [...scope.services], routes };
}

/** Whether istiod builds `port` of `service` on a listener of its own (`<vip>:<port>`): a non-HTTP port and an IP address. */
function ownAddressListener(service: ServiceInfo, port: number): boolean {
  const p = service.ports.find((x) => x.number === port);
  return p !== undefined && !isHttp(p.protocol) && service.addresses.some((a) => isIP(a) !== 0);
}

/** The routes of `s`: shared when every host they depend on is `alike` (seen as outsiders see it), else computed for this proxy. */
function sharedServiceRoutes(graph: MeshGraph, proxy: ProxyIdentity, env: RouteEnv, s: ServiceInfo, shared: WeakMap<ServiceInfo, SharedServiceRoutes>, alike: (host: string) => boolean): ServiceRoutes {
  let known = shared.get(s);
  if (!known) {
    // The predecessor's, when only VirtualServices changed and none reaches these routes (`carry.ts`).
    const base = graph.viewBase()?.graph;
    const before = base && SHARED_ROUTES.get(base)?.get(s);
    if (before && routesUnchanged(graph, before.hosts)) shared.set(s, (known = before));
  }
  if (known && known.hosts.every(alike)) {
    env.problems.push(...known.problems);
    for (const [service, host, port, subset] of known.adds) env.clusters.add(service, host, port, subset);
    return known;
  }
  const hosts = new Set([s.host]);
  const problems: ViewProblem[] = [];
  const adds: [ServiceInfo, string, number, string | undefined][] = [];
  const recording: RouteEnv = {
    ...env, problems,
    visible: (h) => { hosts.add(h); return env.visible(h); },
    clusters: {
      add: (service, host, port, subset) => { hosts.add(host); adds.push([service, host, port, subset]); return env.clusters.add(service, host, port, subset); },
      destinationRule: (h) => { hosts.add(h); return env.clusters.destinationRule(h); },
    },
  };
  const r = serviceRoutes(graph, proxy, recording, null, s, s.ports.map((p) => p.number));
  env.problems.push(...problems);
  if (!known && [...hosts].every(alike)) {
    // A repeated add is a no-op (the first one made the cluster): replay the first of each.
    const once = new Map<string, (typeof adds)[number]>();
    for (const a of adds) {
      const key = `${a[1]}\u0000${a[2]}\u0000${a[3] ?? ''}`;
      if (!once.has(key)) once.set(key, a);
    }
    shared.set(s, { ...r, hosts: [...hosts], problems, adds: [...once.values()] });
  }
  return r;
}

/**
 * The routes of `ports` of `s`, with the VirtualServices `imports` import (null: every one exported
 * here), and the services their destinations name. `listenerProtocol`: the protocol of the Sidecar
 * egress listener bound to the port, which the listener is built with instead of the port's.
 */
function serviceRoutes(graph: MeshGraph, proxy: ProxyIdentity, env: RouteEnv, imports: readonly EgressHost[] | null, s: ServiceInfo, ports: readonly number[], listenerProtocol?: IstioProtocol): ServiceRoutes {
  const routes: HostRoutesView[] = [];
  const targets: ServiceInfo[] = [];
  const candidates = virtualServicesFor(graph, s.host, proxy, imports);
  let l4Candidates: MeshRouteSource[] | undefined;
  for (const port of s.ports) {
    if (!ports.includes(port.number)) continue;
    const protocol = listenerProtocol ?? port.protocol;
    const kinds = listenerProtocol === undefined ? routeKindsFor(port.protocol) : listenerRouteKinds(listenerProtocol, port.protocol);
    if (listenerProtocol !== undefined && kinds.length === 0) continue;
    const portEnv: RouteEnv = { ...env, scope: { ...env.scope, port: port.number } };
    const { applied, routed } = appliedHttpSource(graph, portEnv, s.host, candidates, kinds.includes('http'));
    // No VirtualService has a route for this port (every match names another port): the service keeps its
    // default route (istiod BuildSidecarVirtualHostWrapper).
    const fallback = kinds.includes('http') && routed.length === 0;
    const http = fallback ? [defaultHttpRoute(portEnv, s, s.host, port.number)] : routed;
    // TCP and TLS: every VirtualService of the host, merged (`sidecar-l4-routes.ts`).
    const l4Kinds = kinds.filter((k): k is 'tcp' | 'tls' => k !== 'http');
    const l4 = l4Kinds.length > 0 ? (l4Candidates ??= l4VirtualServicesFor(graph, s.host, proxy, imports)) : [];
    const tcp = kinds.includes('tcp') ? mergeSidecarL4Routes(portEnv, l4, 'tcp') : NO_L4;
    const tls = kinds.includes('tls') ? mergeSidecarL4Routes(portEnv, l4, 'tls') : NO_L4;
    // istiod builds a TLS port's chains from `tls` routes only, another port's from `tcp` routes.
    const l4Used = new Set((isTls(protocol) ? tls.used : tcp.used).map((i) => l4[i]!));
    const httpSource = kinds.includes('http') && !fallback ? applied : null;
    const supplying = [...(httpSource ? [httpSource] : []), ...l4.filter((c) => l4Used.has(c) && c !== httpSource)];
    // A TCP port no VirtualService routes keeps the first candidate as its source, as when one applied.
    const sources = supplying.length > 0 ? supplying : !fallback && applied ? [applied] : [];
    const ignored = candidates.filter((c) => !sources.includes(c));
    routes.push({
      host: s.host, port: port.number, protocol, virtualServices: sources.flatMap(sourceOrigins),
      ignoredVirtualServices: ignored.flatMap(sourceOrigins), http, tcp: tcp.routes, tls: tls.routes,
    });
    // Hosts a visible VirtualService routes to are imported too (istiod adds its destinations).
    for (const r of [...http, ...tcp.routes, ...tls.routes]) for (const d of r.destinations) {
      const target = d.known ? env.visible(d.host) : undefined;
      if (target) targets.push(target);
    }
  }
  return { routes, targets };
}

/**
 * The candidate whose HTTP routes a sidecar port gets, and those routes, as istiod builds them
 * (`BuildSidecarVirtualHostWrapper`): each VirtualService of the egress listener, in order, that has
 * routes for the port (`BuildHTTPRoutesForVirtualService`, which stops at the first catch-all) gives a
 * virtual host for the host, and `BuildSidecarOutboundVirtualHosts` keeps the first per domain: one
 * without routes for the port (its matches all name another port, or none applies to this client)
 * lets the next one apply. Only VirtualServices that name the host exactly (GAMMA ones included)
 * compete so: a wildcard host reaches a service only through the one VirtualService
 * `computeWildcardHostVirtualServiceIndex` picks (the first with the most specific wildcard, and none
 * when one names the host exactly), so the search stops there. `http` false (a port without HTTP
 * routes): the first VirtualService (not GAMMA) stands as the source, with no routes.
 */
function appliedHttpSource(graph: MeshGraph, env: RouteEnv, host: string, candidates: readonly MeshRouteSource[], http: boolean): { applied: MeshRouteSource | null; routed: readonly HttpRouteView[] } {
  if (!http) return { applied: candidates.find((c) => !isGammaL4(c) && !isGamma(c)) ?? null, routed: [] };
  for (const c of candidates) {
    // One made of a mesh TCPRoute or TLSRoute has no HTTP routes: it joins the L4 merge.
    if (isGammaL4(c)) continue;
    const routed = httpRoutesToFirstCatchAll(isGamma(c) ? gammaHttpRoutesOf(env, c) : httpRoutesOf(env, c));
    if (routed.length > 0) return { applied: c, routed };
    if (!isGamma(c) && !namesExactly(graph, c, host)) break;
  }
  return { applied: null, routed: [] };
}

/** The objects a route candidate stands for: the VirtualService, the HTTPRoutes merged into a GAMMA one, or the TCPRoute or TLSRoute. */
function sourceOrigins(c: MeshRouteSource): Origin[] {
  if (isGamma(c)) return c.objects.map((o) => originOf(o, ['spec']));
  return [originOf(isGammaL4(c) ? c.object : c, ['spec'])];
}

/**
 * The route kinds a port-bound Sidecar egress listener of `listener` protocol builds for a service
 * port of `service` protocol (istiod `buildSidecarOutboundListener`, which switches on the listener's
 * protocol, and `BuildSidecarVirtualHostWrapper`, which gives a virtual host only to HTTP or sniffed
 * service ports):
 * - HTTP listener (HCM): `http` when the service port is HTTP or sniffed; else none, as istiod's route
 *   configuration has no virtual host for it (a request for it meets only the allow-any or
 *   block-all virtual host);
 * - TCP-like listener: the listener protocol's L4 kinds (`tcp`, `tls` for TLS/HTTPS), so an HTTP
 *   service behind `protocol: TCP` gets tcp_proxy and its `http` routes do not apply;
 * - protocol unset (sniffed): `tcp`, plus `http` when the service port is HTTP or sniffed;
 * - UDP: none (istiod builds no listener).
 */
export function listenerRouteKinds(listener: IstioProtocol, service: IstioProtocol): readonly ('http' | 'tls' | 'tcp')[] {
  const serviceHttp = isHttp(service) || service === 'UnsupportedProtocol';
  if (isHttp(listener)) return serviceHttp ? ['http'] : [];
  if (listener === 'UnsupportedProtocol') return serviceHttp ? ['http', 'tcp'] : ['tcp'];
  return routeKindsFor(listener);
}
