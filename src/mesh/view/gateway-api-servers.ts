/**
 * Gateway API Gateways on a gateway (router) proxy: the Istio servers istiod makes of their listeners
 * (`mesh/gateway-api-gateway-routes.ts`) with the HTTPRoutes and GRPCRoutes attached to each, and the TCPRoutes
 * and TLSRoutes (`mesh/gateway-api-l4-routes.ts`), as {@link GatewayServerView}s
 * the gateway translator lays out like any Istio Gateway's.
 *
 * Which proxies a Gateway configures (model/push_context.go `mergeGateways` over the
 * `internal.istio.io/gateway-service` annotation): those in the Gateway's namespace that a gateway Service
 * selects. For a managed Gateway (`gateway-api-deployment.ts`) that is the Service istiod deploys with it,
 * `<name>-<class>`, whose selector is `gateway.networking.k8s.io/gateway-name: <name>` (`gateway-api-service.ts`,
 * or that Service as the input holds it); for a manual one (`spec.addresses` of type Hostname) the Services those addresses name (a
 * short name in the Gateway's namespace). Each listener listens on its gateway Service port's `targetPort`
 * (`resolvePorts`); a listener whose port the Service does not expose is no server.
 */
import type { MeshGraph } from '../graph.js';
import { GATEWAY_NAME_LABEL, isManagedGateway, managedDeploymentName } from '../gateway-api-deployment.js';
import { gatewayApiVirtualServices, servedGatewayApiServers, type GatewayApiServer, type GatewayApiVirtualService } from '../gateway-api-gateway-routes.js';
import { gatewayApiL4VirtualServices, type GatewayApiL4VirtualService } from '../gateway-api-l4-routes.js';
import { gatewayApiOf } from '../gateway-api.js';
import { hostMatches, parseGatewayHost, routeHostKey } from '../hosts.js';
import { isRecord, type MeshObject } from '../object.js';
import { afterTlsTermination, declaredPortProtocol, routeKindsFor } from '../protocol.js';
import { defaultExportTo, exportedTo } from '../visibility.js';
import { gammaHttpRoutesOf } from './gamma-routes.js';
import { gatewayApiL4RoutesOf } from './gateway-api-l4-routes.js';
import { containerPortOf } from './inbound.js';
import { gatewayHostHttpRoutes } from './gateway-route-order.js';
import { meshTlsDefaults } from './defaults.js';
import { originOf } from './origin.js';
import type { RouteEnv } from './routes.js';
import type { GatewayServerView, HostRoutesView, ProxyIdentity } from './types.js';

/**
 * The gateway Service host names of a Gateway (`extractGatewayServices`): for a managed Gateway the Service istiod
 * deploys, `<deployment name>.<ns>.svc.<domain>`; else those its `spec.addresses` of type Hostname name (a short
 * name in the Gateway's namespace).
 */
function gatewayServices(graph: MeshGraph, gateway: MeshObject): string[] {
  if (isManagedGateway(gateway)) return [`${managedDeploymentName(gateway)}.${gateway.namespace}.svc.${graph.clusterDomain}`];
  return (Array.isArray(gateway.spec.addresses) ? gateway.spec.addresses : []).flatMap((a) => {
    if (!isRecord(a) || typeof a.value !== 'string' || (a.type !== undefined && a.type !== null && a.type !== 'Hostname')) return [];
    return [a.value.includes('.') ? a.value : `${a.value}.${gateway.namespace}.svc.${graph.clusterDomain}`];
  });
}

/**
 * How `proxy` serves a Gateway: the ports its pods listen on for each listener port (`resolvePorts` over the
 * gateway Services that select it in the Gateway's namespace: the `targetPort` of the Service port numbered like
 * the listener, a named one through the pod's container ports), or null when no gateway Service selects it. The
 * Service istiod deploys with a managed Gateway of its class is in the registry (`gateway-api-service.ts`); a managed
 * Gateway without one there is taken to have it: selector `gateway.networking.k8s.io/gateway-name: <name>`, every
 * listener port, `targetPort` the port itself.
 */
function gatewayPorts(graph: MeshGraph, proxy: ProxyIdentity, gateway: MeshObject): ((port: number) => number | null) | null {
  if (gateway.namespace !== proxy.namespace) return null;
  const hosts = gatewayServices(graph, gateway);
  const inInput = graph.services.all.filter((s) => s.kind === 'Service' && s.namespace === gateway.namespace && hosts.includes(s.host));
  if (inInput.length === 0 && isManagedGateway(gateway)) return proxy.labels[GATEWAY_NAME_LABEL] === gateway.name ? (port) => port : null;
  const selecting = graph.services.selecting(proxy.namespace, proxy.labels).filter((s) => inInput.includes(s));
  if (selecting.length === 0) return null;
  const workload = graph.workloads.all.find((w) => w.namespace === proxy.namespace && w.name === (proxy.workload ?? proxy.name));
  return (port) => {
    for (const s of selecting) {
      const p = s.ports.find((x) => x.number === port);
      if (p) return containerPortOf(p, workload);
    }
    return null;
  };
}

/** The Gateway API Gateways whose servers `proxy` serves (see the module comment), input order. */
export function gatewayApiGatewaysFor(graph: MeshGraph, proxy: ProxyIdentity): MeshObject[] {
  return gatewayApiOf(graph).ofKind('Gateway').filter((gw) => gatewayPorts(graph, proxy, gw) !== null);
}

/** The narrower of a VirtualService host and a server host they intersect on, or null. */
function boundHost(vsHost: string, serverHost: string): string | null {
  if (hostMatches(serverHost, vsHost)) return vsHost;
  if (hostMatches(vsHost, serverHost)) return serverHost;
  return null;
}

/**
 * The routes of one server: the VirtualServices bound to its internal Gateway, those of HTTPRoutes and GRPCRoutes
 * (`http`) and those of TCPRoutes and TLSRoutes (`tcp`, `tls`), per host they bind on (sorted), each kind only
 * where the server's protocol takes it (`routeKindsFor`); on a TLS server that terminates (`terminated`), the
 * TLSRoutes' first routes stand in as tcp routes where no TCPRoute comes first, as istiod's fallback does.
 */
function serverRoutes(env: RouteEnv, server: GatewayApiServer, protocol: GatewayServerView['protocol'], listenerPort: number, bound: readonly GatewayApiVirtualService[], l4: readonly GatewayApiL4VirtualService[], terminated: boolean): HostRoutesView[] {
  const hosts = server.hosts.map((h) => parseGatewayHost(h, server.owner.namespace));
  const byHost = new Map<string, { http: GatewayApiVirtualService[]; l4: GatewayApiL4VirtualService[] }>();
  const bind = <T extends { readonly host: string; readonly namespace: string }>(vs: T, add: (e: { http: GatewayApiVirtualService[]; l4: GatewayApiL4VirtualService[] }) => void) => {
    for (const sh of hosts) {
      if (sh.namespace !== '*' && sh.namespace !== vs.namespace) continue;
      const bound = boundHost(vs.host, sh.host);
      if (bound === null) continue;
      const host = routeHostKey(bound);
      let entry = byHost.get(host);
      if (!entry) byHost.set(host, (entry = { http: [], l4: [] }));
      add(entry);
      break;
    }
  };
  for (const vs of bound) bind(vs, (e) => { if (!e.http.includes(vs)) e.http.push(vs); });
  for (const vs of l4) bind(vs, (e) => { if (!e.l4.includes(vs)) e.l4.push(vs); });
  const portEnv: RouteEnv = { ...env, scope: { ...env.scope, gateway: server.internalGateway, port: listenerPort } };
  const kinds = routeKindsFor(protocol);
  const l4Of = (list: readonly GatewayApiL4VirtualService[], kind: 'tcp' | 'tls') => (kinds.includes(kind) ? list.filter((vs) => vs.kind === kind).flatMap((vs) => gatewayApiL4RoutesOf(portEnv, vs)) : []);
  // A TLS listener that terminates serves its TLSRoutes too (gateway.go buildGatewayNetworkFiltersFromTCPRoutes:
  // "Fallback to TLS blocks for TLSRoute with TLS termination"): each VirtualService in order, its tcp routes, else
  // for one made of a TLSRoute its first tls route with a match (a zero-weight rule has none), SNI not judged.
  const tcpOf = (list: readonly GatewayApiL4VirtualService[]) => (!terminated || !kinds.includes('tcp') ? l4Of(list, 'tcp') : list.flatMap((vs) => {
    if (vs.kind === 'tcp') return gatewayApiL4RoutesOf(portEnv, vs);
    const routes = gatewayApiL4RoutesOf(portEnv, vs).filter((_, i) => vs.rules[i]!.backends.length > 0);
    return routes.slice(0, 1).map((r) => ({ ...r, match: [] }));
  }));
  return [...byHost.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([host, e]) => ({
    host, port: server.port, protocol,
    virtualServices: [...e.http.flatMap((vs) => vs.objects.map((o) => originOf(o, ['spec']))), ...e.l4.map((vs) => originOf(vs.object, ['spec']))],
    ignoredVirtualServices: [],
    http: kinds.includes('http') ? gatewayHostHttpRoutes(e.http.map((vs) => gammaHttpRoutesOf(portEnv, vs))) : [],
    tcp: tcpOf(e.l4), tls: l4Of(e.l4, 'tls'),
  }));
}

/**
 * The servers of every Gateway API Gateway `proxy` serves ({@link gatewayApiGatewaysFor}), each listener one
 * server named after its internal Gateway (`<ns>/<gateway>~istio-autogenerated-k8s-gateway~<listener>`, port
 * name `default`), the listeners of the ListenerSets istiod accepts on the Gateway included (`<listenerset ns>/<listenerset>~…`), with the HTTPRoutes attached to it that the MeshConfig's `defaultVirtualServiceExportTo` exports to
 * the proxy's namespace (and the GRPCRoutes, merged with them), and the TCPRoutes and TLSRoutes attached to
 * it under the same export rule (`gateway-api-l4-routes.ts`).
 */
export function buildGatewayApiServers(graph: MeshGraph, proxy: ProxyIdentity, env: RouteEnv): GatewayServerView[] {
  const gateways = gatewayApiOf(graph).ofKind('Gateway').flatMap((gw) => {
    const ports = gatewayPorts(graph, proxy, gw);
    return ports ? [{ gw, ports }] : [];
  });
  if (gateways.length === 0) return [];
  const tlsDefaults = meshTlsDefaults(graph.meshConfig);
  const virtualServices = gatewayApiVirtualServices(graph);
  // istiod's VirtualServices from HTTPRoutes carry no exportTo: the MeshConfig default decides whether a gateway
  // proxy in another namespace than the (oldest) route's gets them (PushContext.VirtualServicesForGateway).
  const exportTo = defaultExportTo('VirtualService', graph.meshConfig);
  const l4VirtualServices = gatewayApiL4VirtualServices(graph);
  const visible = <T extends { readonly namespace: string }>(list: readonly T[]) => list.filter((vs) => exportedTo(exportTo, vs.namespace, proxy.namespace));
  return gateways.flatMap(({ gw, ports }) => servedGatewayApiServers(graph, gw).flatMap((server): GatewayServerView[] => {
    // A listener port the gateway Service does not expose binds nothing (resolvePorts has no fallback then).
    const port = ports(server.port);
    if (port === null) return [];
    const declared = declaredPortProtocol(server.protocol).protocol;
    const terminated = server.tls !== null && server.tls.mode !== 'PASSTHROUGH';
    const effective = terminated ? afterTlsTermination(declared) : declared;
    const internal = server.internalGateway;
    return [{
      gateway: internal, port: server.port, portName: 'default', listenerPort: port, bind: '', protocol: declared,
      hosts: server.hosts, tls: server.tls,
      ...(server.tls && tlsDefaults ? { meshTlsDefaults: tlsDefaults } : {}),
      routes: serverRoutes(env, server, effective, port, visible(virtualServices.get(internal) ?? []), visible(l4VirtualServices.get(internal) ?? []), terminated && declared === 'TLS'),
      origin: originOf(server.owner, ['spec', 'listeners', server.listener]),
    }];
  }));
}
