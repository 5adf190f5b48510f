/**
 * istiod's SidecarScope for a sidecar proxy: the services it sees (exportTo, then the Sidecar's
 * egress imports, plus hosts that a visible VirtualService routes to), the VirtualService that
 * applies per host, and the routes per (host, port).
 */
import type { MeshGraph } from '../graph.js';
import type { MeshObject } from '../object.js';
import type { ServiceInfo } from '../services.js';
import { configOrder } from '../destination-rules.js';
import { routeKindsFor } from '../protocol.js';
import { exportedTo, exportToOf, importingEntry, sidecarEgress, virtualServiceTier, type EgressHost } from '../visibility.js';
import { perServiceOf, routesUnchanged } from './carry.js';
import { oneServicePerHost } from './host-services.js';
import { serviceDataplane } from './clusters.js';
import { originOf } from './origin.js';
import { selectionTarget } from './proxy.js';
import { defaultHttpRoute, httpRoutesOf, l4RoutesOf, type RouteEnv } from './routes.js';
import { answersKey, matchesNameTheClient, outsiderAnswersKey, seesAsOutsider } from './push-index.js';
import type { HostRoutesView, Origin, ProxyIdentity, ServiceView, ViewProblem } from './types.js';

/** The Sidecar resource in force and its egress imports (null = import everything exported). */
export function sidecarImports(graph: MeshGraph, proxy: ProxyIdentity, env: Pick<RouteEnv, 'problems'>): { sidecar: MeshObject | null; hosts: EgressHost[] | null } {
  const sidecar = graph.sidecarsFor(selectionTarget(proxy))[0] ?? null;
  if (!sidecar) return { sidecar: null, hosts: null };
  const { listeners, problems } = sidecarEgress(sidecar);
  for (const p of problems) env.problems.push({ code: 'view/egress-host', message: p.message, origin: originOf(p.object, p.path) });
  if (listeners.length === 0) return { sidecar, hosts: null };
  return { sidecar, hosts: listeners.flatMap((l) => l.hosts) };
}

const SERVICE_VIEWS = new WeakMap<MeshGraph, WeakMap<ServiceInfo, ServiceView>>();

/**
 * The view of a service (the same object for every proxy that sees it, and for the graph that
 * replaces this one when none of the service's workloads changed: `perServiceOf`).
 */
export function serviceView(graph: MeshGraph, s: ServiceInfo): ServiceView {
  return perServiceOf(SERVICE_VIEWS, graph, s, () => computeServiceView(graph, s));
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

/** Istio's `Service.ServiceAccounts`: SPIFFE ids of the selected workloads, plus ServiceEntry `subjectAltNames`. */
function serviceAccountsOf(graph: MeshGraph, s: ServiceInfo): string[] {
  const out = new Set<string>();
  if (s.selector) for (const w of graph.workloadsSelectedBy(s.namespace, s.selector)) out.add(`spiffe://${graph.principalOf(w)}`);
  const sans = s.kind === 'ServiceEntry' ? (s.object.spec as { subjectAltNames?: unknown }).subjectAltNames : undefined;
  if (Array.isArray(sans)) for (const v of sans) if (typeof v === 'string' && v !== '') out.add(v);
  return [...out].sort();
}

/**
 * The mesh VirtualService for `host` this proxy applies and the ignored ones: most specific host, then istiod's
 * precedence for the proxy's namespace (`virtualServiceTier`: its own scoped ones, those exported to it by name,
 * those exported everywhere), then config order.
 */
function virtualServicesFor(graph: MeshGraph, host: string, proxy: ProxyIdentity, imports: EgressHost[] | null): { applied: MeshObject | null; ignored: MeshObject[] } {
  for (const group of graph.virtualServiceGroupsFor(host, 'mesh', proxy.namespace)) {
    const kept = imports === null ? group : group.filter((vs) => importingEntry(imports, vs.namespace, host) !== undefined);
    if (kept.length === 0) continue;
    const tier = (vs: MeshObject) => virtualServiceTier(exportToOf(vs, graph.meshConfig).values, vs.namespace, proxy.namespace);
    const sorted = [...kept].sort((a, b) => tier(a) - tier(b) || configOrder(a, b));
    return { applied: sorted[0]!, ignored: sorted.slice(1) };
  }
  return { applied: null, ignored: [] };
}

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
 * Computes the sidecar scope. `env.visible` must answer for every service exported to the proxy's namespace.
 * Without Sidecar egress imports and client-naming matches, the routes of a service are computed once
 * per graph for every namespace that sees each host they depend on as the outsiders do (outside the
 * host's `namespacesSeeingDifferently`, or with the outsiders' `answersKey`: a namespace's own
 * services, usually) and shared: same route objects, same problems, same clusters added (each
 * proxy's collector makes its own cluster views from them).
 */
export function buildSidecarScope(graph: MeshGraph, proxy: ProxyIdentity, env: RouteEnv, imports: EgressHost[] | null): { services: ServiceInfo[]; routes: HostRoutesView[] } {
  const services = oneServicePerHost(graph.services.all.filter((s) => exportedTo(s.exportTo, s.namespace, proxy.namespace) && (imports === null || importingEntry(imports, s.namespace, s.host) !== undefined)), proxy.namespace);
  // One service per host (istiod's SidecarScope): a route's destination host already in scope adds nothing.
  const seen = new Set(services.map((s) => s.host));
  const routes: HostRoutesView[] = [];
  const queue = [...services];
  let shared = imports === null && !matchesNameTheClient(graph) ? SHARED_ROUTES.get(graph) : undefined;
  if (!shared && imports === null && !matchesNameTheClient(graph)) SHARED_ROUTES.set(graph, (shared = new WeakMap()));
  // A host this namespace may see differently is still shared when its answers are the outsiders'
  // (its own services: the same rules found as client-namespace instead of service-namespace).
  const alike = (h: string): boolean => seesAsOutsider(graph, h, proxy.namespace)
    || answersKey(graph, h, proxy.namespace, env.clusters.destinationRule(h)) === outsiderAnswersKey(graph, h);
  for (let i = 0; i < queue.length; i++) {
    const s = queue[i]!;
    const r = shared ? sharedServiceRoutes(graph, proxy, env, s, shared, alike) : serviceRoutes(graph, proxy, env, imports, s);
    routes.push(...r.routes);
    for (const target of r.targets) if (!seen.has(target.host)) { seen.add(target.host); queue.push(target); }
  }
  return { services: queue, routes };
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
  const r = serviceRoutes(graph, proxy, recording, null, s);
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

function serviceRoutes(graph: MeshGraph, proxy: ProxyIdentity, env: RouteEnv, imports: EgressHost[] | null, s: ServiceInfo): ServiceRoutes {
  const routes: HostRoutesView[] = [];
  const targets: ServiceInfo[] = [];
  const { applied, ignored } = virtualServicesFor(graph, s.host, proxy, imports);
  const vsOrigins: Origin[] = applied ? [originOf(applied, ['spec'])] : [];
  for (const port of s.ports) {
    const kinds = routeKindsFor(port.protocol);
    const portEnv: RouteEnv = { ...env, scope: { ...env.scope, port: port.number } };
    const http = kinds.includes('http') ? (applied ? httpRoutesOf(portEnv, applied) : [defaultHttpRoute(portEnv, s, s.host, port.number)]) : [];
    const tcp = kinds.includes('tcp') && applied ? l4RoutesOf(portEnv, applied, 'tcp') : [];
    const tls = kinds.includes('tls') && applied ? l4RoutesOf(portEnv, applied, 'tls') : [];
    routes.push({
      host: s.host, port: port.number, protocol: port.protocol, virtualServices: vsOrigins,
      ignoredVirtualServices: ignored.map((o) => originOf(o, ['spec'])), http, tcp, tls,
    });
    // Hosts a visible VirtualService routes to are imported too (istiod adds its destinations).
    for (const r of [...http, ...tcp, ...tls]) for (const d of r.destinations) {
      const target = d.known ? env.visible(d.host) : undefined;
      if (target) targets.push(target);
    }
  }
  return { routes, targets };
}
