/**
 * `buildProxyView(graph, proxy)`: everything istiod computes for one proxy, as a pure function.
 */
import type { MeshGraph } from '../graph.js';
import type { ServiceInfo } from '../services.js';
import { exportedTo } from '../visibility.js';
import { ClusterCollector } from './clusters.js';
import { buildGatewayServers, gatewayApiRoutes } from './gateway-scope.js';
import { originOf } from './origin.js';
import type { RouteEnv } from './routes.js';
import { buildSidecarScope, serviceView, sidecarImports } from './sidecar-scope.js';
import type { ProxyIdentity, ProxyView, ViewProblem } from './types.js';

/** Computes the view of `proxy`. Pure: same graph and proxy, same view. Never throws for bad input (see `problems`). */
export function buildProxyView(graph: MeshGraph, proxy: ProxyIdentity): ProxyView {
  const problems: ViewProblem[] = [];
  const clusters = new ClusterCollector(graph, proxy.namespace, proxy.labels);
  const visible = (host: string): ServiceInfo | undefined => graph.services.forHost(host, proxy.namespace).find((s) => exportedTo(s.exportTo, s.namespace, proxy.namespace));
  const env: RouteEnv = {
    graph, visible, clusters, problems,
    scope: { gateway: 'mesh', port: 0, labels: proxy.labels, namespace: proxy.namespace },
  };
  const { sidecar, hosts } = sidecarImports(graph, proxy, env);
  const scope = proxy.type === 'sidecar' ? buildSidecarScope(graph, proxy, env, hosts) : { services: graph.services.all.filter((s) => exportedTo(s.exportTo, s.namespace, proxy.namespace)), routes: [] };
  const gatewayServers = proxy.type === 'router' ? buildGatewayServers(graph, proxy, env) : [];
  const services = scope.services.map((s) => serviceView(graph, s)).sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  if (proxy.type === 'sidecar') {
    for (const s of scope.services) for (const p of s.ports) {
      for (const sub of clusters.destinationRule(s.host)?.subsets ?? []) clusters.add(s, s.host, p.number, sub.name);
    }
  }
  const mode = sidecar && typeof (sidecar.spec.outboundTrafficPolicy as { mode?: unknown } | undefined)?.mode === 'string'
    ? ((sidecar.spec.outboundTrafficPolicy as { mode: string }).mode === 'REGISTRY_ONLY' ? 'REGISTRY_ONLY' : 'ALLOW_ANY')
    : graph.meshConfig.outboundTrafficPolicy.mode;
  return {
    proxy,
    clusterDomain: graph.clusterDomain,
    trustDomain: graph.trustDomain,
    rootNamespace: graph.rootNamespace,
    outboundTrafficPolicy: mode,
    sidecar: sidecar && originOf(sidecar, ['spec']),
    services,
    routes: [...scope.routes].sort((a, b) => a.port - b.port || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0)),
    clusters: clusters.all(),
    gatewayServers,
    gatewayApiRoutes: gatewayApiRoutes(graph, proxy, new Set(services.map((s) => s.host))),
    problems,
  };
}
