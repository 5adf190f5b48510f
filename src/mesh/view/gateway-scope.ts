/**
 * What a gateway (router) proxy serves: the Gateways whose selector selects it, each server with
 * the VirtualServices bound to it and exported to the proxy's namespace, merged per host in Istio's order
 * (`virtualServiceTier`, then creation time and name: a later VirtualService's routes come after an earlier
 * one's, catch-all routes last, so only a later catch-all is dead: `gateway-route-order.ts`), then the servers
 * of the Gateway API Gateways it serves with their HTTPRoutes (`gateway-api-servers.ts`), and the Gateway API
 * routes whose parent is this gateway.
 */
import type { MeshGraph } from '../graph.js';
import { configOrder } from '../destination-rules.js';
import { conversionFails } from '../gateway-api-filters.js';
import { hostMatches, parseGatewayHost, routeHostKey } from '../hosts.js';
import { isRecord, stringList, stringMap, type MeshObject } from '../object.js';
import { afterTlsTermination, declaredPortProtocol, routeKindsFor } from '../protocol.js';
import { selects } from '../services.js';
import { exportedTo, exportToOf, virtualServiceTier } from '../visibility.js';
import { buildGatewayApiServers } from './gateway-api-servers.js';
import { gatewayHostHttpRoutes } from './gateway-route-order.js';
import { meshTlsDefaults } from './defaults.js';
import { containerPortOf } from './inbound.js';
import { originOf } from './origin.js';
import { httpRoutesOf, l4RoutesOf, type RouteEnv } from './routes.js';
import type { GatewayApiRouteView, GatewayServerView, HostRoutesView, ProxyIdentity } from './types.js';

const GATEWAY_API = 'gateway.networking.k8s.io';

/** Istio Gateways whose `selector` selects the proxy's labels (any namespace, Istio's default), in istiod's merge order (initGateways sortConfigByCreationTime: creation time, name, namespace). */
export function gatewaysFor(graph: MeshGraph, proxy: ProxyIdentity): MeshObject[] {
  return graph.ofKind('Gateway').filter((g) => {
    const sel = isRecord(g.spec.selector) ? stringMap(g.spec.selector) : {};
    return Object.keys(sel).length > 0 && selects(sel, proxy.labels);
  }).sort(configOrder);
}

/** The narrower of a VirtualService host and a server host they intersect on, or null. */
function boundHost(vsHost: string, serverHost: string): string | null {
  if (hostMatches(serverHost, vsHost)) return vsHost;
  if (hostMatches(vsHost, serverHost)) return serverHost;
  return null;
}

/**
 * The VirtualServices bound to Gateway `key` that a gateway proxy in `namespace` receives, in istiod's order
 * (PushContext.VirtualServicesForGateway): those of its namespace not exported everywhere, then those other
 * namespaces export to it by name, then those exported everywhere (`virtualServiceTier`), config order within
 * each. A VirtualService not exported to `namespace` never reaches the proxy. istiod appends the routes of every
 * VirtualService for a host in this order, so the order decides which of two overlapping routes wins.
 */
export function virtualServicesForGateway(graph: MeshGraph, key: string, namespace: string): MeshObject[] {
  const tiers = new Map<MeshObject, number>();
  for (const vs of graph.virtualServicesBoundTo(key)) {
    const exportTo = exportToOf(vs, graph.meshConfig).values;
    if (exportedTo(exportTo, vs.namespace, namespace)) tiers.set(vs, virtualServiceTier(exportTo, vs.namespace, namespace));
  }
  return [...tiers.keys()].sort((a, b) => tiers.get(a)! - tiers.get(b)! || configOrder(a, b));
}

/** The routes of one server of `gateway`, from `bound`: the VirtualServices {@link virtualServicesForGateway} gives the proxy for it. */
function serverRoutes(graph: MeshGraph, env: RouteEnv, bound: readonly MeshObject[], gateway: MeshObject, server: Record<string, unknown>, port: number, protocol: ReturnType<typeof declaredPortProtocol>['protocol']): HostRoutesView[] {
  const key = `${gateway.namespace}/${gateway.name}`;
  const serverHosts = (stringList(server.hosts) ?? []).map((h) => parseGatewayHost(h, gateway.namespace));
  const tls = isRecord(server.tls) ? server.tls : null;
  // An unset mode is PASSTHROUGH, the TLSmode enum's zero value.
  const terminated = tls !== null && typeof tls.mode === 'string' && tls.mode !== 'PASSTHROUGH' && tls.mode !== 'AUTO_PASSTHROUGH';
  const effective = terminated ? afterTlsTermination(protocol) : protocol;
  const kinds = routeKindsFor(effective);
  const byHost = new Map<string, MeshObject[]>();
  for (const vs of bound) {
    for (const h of stringList(vs.spec.hosts) ?? []) {
      const host = graph.resolveHost(h, vs.namespace).fqdn;
      for (const sh of serverHosts) {
        if (sh.namespace !== '*' && sh.namespace !== vs.namespace) continue;
        const bound = boundHost(host, sh.host);
        if (bound === null) continue;
        // istiod binds case-sensitively, then keys the virtual host by the lower-cased host (gateway.go
        // buildGatewayRoutes, vHostDedupMap): `Shop.example.com` and `shop.example.com` share one.
        const key = routeHostKey(bound);
        const list = byHost.get(key) ?? [];
        if (!list.includes(vs)) list.push(vs);
        byHost.set(key, list);
        break;
      }
    }
  }
  const portEnv: RouteEnv = { ...env, scope: { ...env.scope, gateway: key, port } };
  return [...byHost.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([host, list]) => ({
    host, port, protocol: effective,
    virtualServices: list.map((o) => originOf(o, ['spec'])), ignoredVirtualServices: [],
    http: kinds.includes('http') ? gatewayHostHttpRoutes(list.map((vs) => httpRoutesOf(portEnv, vs))) : [],
    tcp: kinds.includes('tcp') ? list.flatMap((vs) => l4RoutesOf(portEnv, vs, 'tcp')) : [],
    tls: kinds.includes('tls') ? list.flatMap((vs) => l4RoutesOf(portEnv, vs, 'tls')) : [],
  }));
}

/**
 * The port the gateway workload listens on for a Gateway server port, as istiod's `resolvePorts`
 * with a selector-based Gateway: the first Service (by host) in the proxy's namespace that selects
 * the gateway pod and has a port numbered `serverPort` gives its `targetPort` (a named one resolved
 * through the pod's container ports); no such Service port (or an unresolvable name): `serverPort`.
 */
export function gatewayListenerPort(graph: MeshGraph, proxy: ProxyIdentity, serverPort: number): number {
  const services = graph.services.selecting(proxy.namespace, proxy.labels).filter((s) => s.kind !== 'ServiceEntry').sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const name = proxy.workload ?? proxy.name;
  const workload = graph.workloads.all.find((w) => w.namespace === proxy.namespace && w.name === name);
  for (const s of services) {
    const p = s.ports.find((x) => x.number === serverPort);
    if (p) return containerPortOf(p, workload) ?? serverPort;
  }
  return serverPort;
}

/** Every server of every Gateway selecting the proxy, with its routes, then those of the Gateway API Gateways it serves (`gateway-api-servers.ts`). */
export function buildGatewayServers(graph: MeshGraph, proxy: ProxyIdentity, env: RouteEnv): GatewayServerView[] {
  const out: GatewayServerView[] = [];
  const listenerPorts = new Map<number, number>();
  const listenerPort = (n: number) => listenerPorts.get(n) ?? (listenerPorts.set(n, gatewayListenerPort(graph, proxy, n)), listenerPorts.get(n)!);
  const tlsDefaults = meshTlsDefaults(graph.meshConfig);
  for (const gateway of gatewaysFor(graph, proxy)) {
    const bound = virtualServicesForGateway(graph, `${gateway.namespace}/${gateway.name}`, proxy.namespace);
    (Array.isArray(gateway.spec.servers) ? gateway.spec.servers : []).forEach((server, i) => {
      if (!isRecord(server) || !isRecord(server.port) || typeof server.port.number !== 'number') return;
      const protocol = declaredPortProtocol(typeof server.port.protocol === 'string' ? server.port.protocol : undefined).protocol;
      if (isRecord(server.tls) && server.tls.mode === 'AUTO_PASSTHROUGH') addAutoPassthroughClusters(graph, env, proxy, gateway, server);
      out.push({
        gateway: `${gateway.namespace}/${gateway.name}`, port: server.port.number,
        portName: typeof server.port.name === 'string' ? server.port.name : '', listenerPort: listenerPort(server.port.number),
        bind: typeof server.bind === 'string' ? server.bind : '', protocol,
        hosts: stringList(server.hosts) ?? [], tls: isRecord(server.tls) ? server.tls : null,
        ...(isRecord(server.tls) && tlsDefaults ? { meshTlsDefaults: tlsDefaults } : {}),
        routes: serverRoutes(graph, env, bound, gateway, server, server.port.number, protocol),
        origin: originOf(gateway, ['spec', 'servers', i]),
      });
    });
  }
  out.push(...buildGatewayApiServers(graph, proxy, env));
  return out;
}

/**
 * An AUTO_PASSTHROUGH server forwards to any mesh-internal service its hosts cover, by the SNI the
 * client sends (`outbound_.<port>_.<subset>_.<fqdn>`): the gateway needs a cluster for every such
 * service port and DestinationRule subset (Istio's `builtAutoPassthroughFilterChains`).
 */
function addAutoPassthroughClusters(graph: MeshGraph, env: RouteEnv, proxy: ProxyIdentity, gateway: MeshObject, server: Record<string, unknown>): void {
  const hosts = (stringList(server.hosts) ?? []).map((h) => parseGatewayHost(h, gateway.namespace));
  for (const s of graph.services.all) {
    if (s.location !== 'MESH_INTERNAL' || !exportedTo(s.exportTo, s.namespace, proxy.namespace)) continue;
    if (!hosts.some((h) => (h.namespace === '*' || h.namespace === s.namespace) && hostMatches(h.host, s.host))) continue;
    const subsets = env.clusters.destinationRule(s.host)?.subsets ?? [];
    for (const p of s.ports) {
      if (p.protocol === 'UDP') continue;
      env.clusters.add(s, s.host, p.number, undefined);
      for (const sub of subsets) env.clusters.add(s, s.host, p.number, sub.name);
    }
  }
}

/**
 * Gateway API routes (HTTPRoute, GRPCRoute, TCPRoute, TLSRoute) whose `parentRefs` name this
 * proxy: a Gateway whose deployment carries `gateway.networking.k8s.io/gateway-name` (routers),
 * or a visible Service (GAMMA mesh routes, sidecars). Listed here; mesh HTTPRoutes and GRPCRoutes are routed on
 * sidecars (`gamma-routes.ts`), mesh TCPRoutes and TLSRoutes too (`gamma-l4-routes.ts`), and HTTPRoutes, GRPCRoutes,
 * TCPRoutes and TLSRoutes on a Gateway's listeners on its gateway (`gateway-api-servers.ts`). A route whose
 * conversion istiod fails as a whole (an unsupported filter: route_collections.go computeRoute) is left out:
 * istiod builds nothing from it.
 */
export function gatewayApiRoutes(graph: MeshGraph, proxy: ProxyIdentity, visibleHosts: ReadonlySet<string>): GatewayApiRouteView[] {
  const gatewayName = proxy.labels['gateway.networking.k8s.io/gateway-name'] ?? proxy.labels['istio.io/gateway-name'];
  const out: GatewayApiRouteView[] = [];
  for (const o of graph.objects) {
    if (o.group !== GATEWAY_API || !o.kind.endsWith('Route') || conversionFails(o)) continue;
    (Array.isArray(o.spec.parentRefs) ? o.spec.parentRefs : []).forEach((ref, i) => {
      if (!isRecord(ref) || typeof ref.name !== 'string') return;
      const ns = typeof ref.namespace === 'string' ? ref.namespace : o.namespace;
      const kind = typeof ref.kind === 'string' ? ref.kind : 'Gateway';
      const hit = kind === 'Gateway'
        ? proxy.type === 'router' && gatewayName === ref.name && ns === proxy.namespace
        : kind === 'Service' && proxy.type === 'sidecar' && visibleHosts.has(graph.resolveHost(`${ref.name}.${ns}.svc.${graph.clusterDomain}`, ns).fqdn);
      if (hit) out.push({ kind: o.kind, parent: `${kind} ${ns}/${ref.name}`, origin: originOf(o, ['spec', 'parentRefs', i]) });
    });
  }
  return out;
}
