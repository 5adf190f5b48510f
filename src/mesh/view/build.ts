/**
 * `buildProxyView(graph, proxy)`: everything istiod computes for one proxy, as a pure function.
 */
import { pathNormalizationOf } from '../mesh-config.js';
import type { MeshGraph } from '../graph.js';
import type { ServiceInfo } from '../services.js';
import { exportedTo } from '../visibility.js';
import { ClusterCollector } from './clusters.js';
import { buildGatewayServers, gatewayApiRoutes } from './gateway-scope.js';
import { buildInbound } from './inbound.js';
import { originOf } from './origin.js';
import { selectionTarget } from './proxy.js';
import { hostService, oneServicePerHost } from './host-services.js';
import { routeTraits } from './route-traits.js';
import { buildOutboundL4Listeners } from './outbound-l4-listeners.js';
import { serviceCreationOrder } from '../service-precedence.js';
import { tcpPortConflicts, type RouteEnv } from './routes.js';
import { buildSidecarScope, importedServiceView, sidecarImports } from './sidecar-scope.js';
import type { ProxyIdentity, ProxyView, ViewProblem } from './types.js';

type Scoped = Omit<ProxyView, 'proxy' | 'inbound'>;

/** Per graph: whether pod labels change a sidecar's view, and the views already computed per scope. */
interface PushCache {
  readonly labelSensitive: boolean;
  readonly scopes: Map<string, Scoped>;
}

const CACHE = new WeakMap<MeshGraph, PushCache>();

/** The graph each computed view came from, by its `clusters` list (one list per computed scope). */
const GRAPHS = new WeakMap<object, MeshGraph>();

/**
 * The graph `view` was computed from by {@link buildProxyView} (undefined for a view made another
 * way): the xDS translation's carry-over store hangs off it.
 */
export function graphOfView(view: Pick<ProxyView, 'clusters'>): MeshGraph | undefined {
  return GRAPHS.get(view.clusters);
}

/**
 * Whether two sidecars in one namespace under one Sidecar resource can see different config:
 * only when a DestinationRule has a `workloadSelector` or a route match uses `sourceLabels`.
 */
function labelSensitive(graph: MeshGraph): boolean {
  if (graph.ofKind('DestinationRule').some((o) => o.spec.workloadSelector !== undefined)) return true;
  return graph.ofKind('VirtualService').some((o) => routeTraits(o).sourceLabels);
}

function cacheOf(graph: MeshGraph): PushCache {
  let c = CACHE.get(graph);
  if (!c) CACHE.set(graph, (c = { labelSensitive: labelSensitive(graph), scopes: new Map() }));
  return c;
}

/**
 * Computes the view of `proxy`. Pure: same graph and proxy, same view; never throws for bad
 * input (see `problems`). Like istiod's SidecarScope, the computed part is shared by every sidecar
 * with the same namespace and Sidecar resource (and labels, when a workloadSelector
 * DestinationRule or a `sourceLabels` match makes them matter): treat views as read-only.
 */
export function buildProxyView(graph: MeshGraph, proxy: ProxyIdentity): ProxyView {
  if (proxy.type !== 'sidecar') return { proxy, ...computeView(graph, proxy), inbound: buildInbound(graph, proxy) };
  const cache = cacheOf(graph);
  const sidecar = graph.sidecarsFor(selectionTarget(proxy))[0];
  const labels = cache.labelSensitive ? JSON.stringify(Object.entries(proxy.labels).sort()) : '';
  const key = `${proxy.namespace}\u0000${sidecar?.key ?? ''}\u0000${labels}`;
  let scoped = cache.scopes.get(key);
  if (!scoped) cache.scopes.set(key, (scoped = computeView(graph, proxy)));
  return { proxy, ...scoped, inbound: buildInbound(graph, proxy) };
}

function computeView(graph: MeshGraph, proxy: ProxyIdentity): Scoped {
  const problems: ViewProblem[] = [];
  const clusters = new ClusterCollector(graph, proxy.namespace, proxy.labels);
  // Asked for every destination of every route (three per service in a split): once per host.
  const seen = new Map<string, ServiceInfo | null>();
  const visible = (host: string): ServiceInfo | undefined => {
    let s = seen.get(host);
    if (s === undefined) {
      const candidates = graph.services.forHost(host, proxy.namespace).filter((x) => exportedTo(x.exportTo, x.namespace, proxy.namespace));
      const exact = candidates.filter((x) => x.host === host);
      // The host's own services by istiod's precedence; else the first wildcard ServiceEntry covering it.
      seen.set(host, (s = (exact.length > 0 ? hostService(exact, proxy.namespace) : candidates[0]) ?? null));
    }
    return s ?? undefined;
  };
  const env: RouteEnv = {
    graph, visible, clusters, problems,
    scope: { gateway: 'mesh', port: 0, labels: proxy.labels, namespace: proxy.namespace },
  };
  const { sidecar, scope: imports } = sidecarImports(graph, proxy, env);
  const scope = proxy.type === 'sidecar'
    ? buildSidecarScope(graph, proxy, env, imports)
    : { services: oneServicePerHost(graph.services.all.filter((s) => exportedTo(s.exportTo, s.namespace, proxy.namespace)), proxy.namespace).map((s) => ({ service: s, ports: s.ports.map((p) => p.number) })), routes: [] };
  const gatewayServers = proxy.type === 'router' ? buildGatewayServers(graph, proxy, env) : [];
  const services = scope.services.map((i) => importedServiceView(graph, i)).sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  // istiod's CDS (`buildOutboundClusters`): every non-UDP imported port of every service in scope
  // gets its cluster, and one per DestinationRule subset, whether or not a route names it; gateways too.
  for (const { service: s, ports } of scope.services) for (const p of s.ports) {
    if (p.protocol === 'UDP' || !ports.includes(p.number)) continue;
    clusters.add(s, s.host, p.number, undefined);
    for (const sub of clusters.destinationRule(s.host)?.subsets ?? []) clusters.add(s, s.host, p.number, sub.name);
  }
  const mode = sidecar && typeof (sidecar.spec.outboundTrafficPolicy as { mode?: unknown } | undefined)?.mode === 'string'
    ? ((sidecar.spec.outboundTrafficPolicy as { mode: string }).mode === 'REGISTRY_ONLY' ? 'REGISTRY_ONLY' : 'ALLOW_ANY')
    : graph.meshConfig.outboundTrafficPolicy.mode;
  const routes = [...scope.routes].sort((a, b) => a.port - b.port || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  if (proxy.type === 'sidecar') problems.push(...tcpPortConflicts(routes, services));
  const creationRank = new Map([...scope.services].map((i) => i.service).sort(serviceCreationOrder).map((s, i) => [s.host, i]));
  const all = clusters.all();
  GRAPHS.set(all, graph);
  return {
    clusterDomain: graph.clusterDomain,
    trustDomain: graph.trustDomain,
    rootNamespace: graph.rootNamespace,
    outboundTrafficPolicy: mode,
    pathNormalization: pathNormalizationOf(graph.meshConfig),
    connectTimeoutMs: graph.meshConfig.connectTimeoutMs,
    sidecar: sidecar && originOf(sidecar, ['spec']),
    services,
    routes,
    clusters: all,
    outboundL4Listeners: proxy.type === 'sidecar' ? buildOutboundL4Listeners(routes, services, (host) => creationRank.get(host) ?? -1) : [],
    gatewayServers,
    gatewayApiRoutes: gatewayApiRoutes(graph, proxy, new Set(services.map((s) => s.host))),
    problems,
  };
}
