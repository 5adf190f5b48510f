/**
 * Which proxy sends a request, which routes it sees for the host, and which route takes the
 * request: the per-proxy view (Istio's merge order already applied) plus first-match-wins.
 */
import type { MeshGraph } from '../../mesh/graph.js';
import { hostMatches } from '../../mesh/hosts.js';
import { isRecord, stringMap } from '../../mesh/object.js';
import { selects } from '../../mesh/services.js';
import { buildProxyView, describeProxy, proxyOf, type HostRoutesView, type HttpRouteView, type Origin, type ProxyView } from '../../mesh/view/index.js';
import { asMatchRequest } from '../expectations/match-request.js';
import type { RequestSpec, RequestVia } from '../expectations/types.js';
import { requestMatches } from './match.js';

/** The view of the proxy a request goes through, or why there is none. */
export function viewFor(graph: MeshGraph, via: RequestVia): ProxyView | string {
  if (via.kind === 'mesh') {
    const workload = graph.workloads.inNamespace(via.namespace).find((w) => graph.membershipOf(w).dataplane === 'sidecar');
    const proxy = workload ? proxyOf(graph, workload) : describeProxy({ name: 'meshproof-verify-client', namespace: via.namespace });
    return buildProxyView(graph, proxy);
  }
  const [ns, name] = via.gateway.includes('/') ? via.gateway.split('/') : ['default', via.gateway];
  const gw = graph.get('Gateway', ns!, name!);
  if (!gw) return `Gateway ${via.gateway} is not in the input`;
  const selector = isRecord(gw.spec.selector) ? stringMap(gw.spec.selector) : {};
  const workload = graph.workloads.all.find((w) => Object.keys(selector).length > 0 && selects(selector, w.labels));
  const proxy = workload ? { ...proxyOf(graph, workload), type: 'router' as const } : describeProxy({ type: 'router', name: 'meshproof-verify-gateway', namespace: ns!, labels: selector });
  return buildProxyView(graph, proxy);
}

/** The routes the proxy applies for the request's host and port, or why there are none. */
export function hostRoutesFor(view: ProxyView, request: RequestSpec): HostRoutesView | string {
  const via = request.via;
  // The view's hosts are lower case; a request's host compares case-insensitively, as Envoy matches it.
  const host = request.host.toLowerCase();
  if (via.kind === 'gateway') {
    const servers = view.gatewayServers.filter((s) => s.gateway === via.gateway && s.port === via.port);
    if (servers.length === 0) return `gateway ${via.gateway} has no server on port ${via.port} for proxy ${view.proxy.namespace}/${view.proxy.name}`;
    const routes = servers.flatMap((s) => s.routes).filter((r) => hostMatches(r.host, host));
    // The most specific virtual host wins, as Envoy picks exact domains before wildcards.
    routes.sort((a, b) => Number(b.host === host) - Number(a.host === host) || b.host.length - a.host.length);
    return routes[0] ?? `gateway ${via.gateway}:${via.port} has no VirtualService for host ${request.host} (Envoy answers 404 NR)`;
  }
  const candidates = view.routes.filter((r) => r.host === host && (request.port === undefined || r.port === request.port));
  const http = candidates.filter((r) => r.http.length > 0);
  if (http.length === 0) return `the sidecar of ${view.proxy.namespace}/${view.proxy.name} has no HTTP route for ${request.host}${request.port !== undefined ? `:${request.port}` : ''} (not visible, or not an HTTP port)`;
  return http[0]!;
}

/** The route that takes the request (first match wins), with the index of the match entry; null = no route (404 NR). */
export function selectRoute(routes: HostRoutesView, request: RequestSpec): { route: HttpRouteView; index: number; matchIndex: number | null } | null {
  const req = asMatchRequest(request);
  for (const [index, route] of routes.http.entries()) {
    if (route.match.length === 0) return { route, index, matchIndex: null };
    const j = route.match.findIndex((m) => requestMatches(m, req));
    if (j >= 0) return { route, index, matchIndex: j };
  }
  return null;
}

/** `dist/customers.k8s.yaml:41 (VirtualService customers/customers spec.http[1]; apps/customers.ts:51)` */
export function describeOrigin(o: Origin | null | undefined): string {
  if (!o) return '(default)';
  const field = o.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
  const ts = o.source ? `; ${o.source.file}:${o.source.line}` : '';
  return `${o.location.file}:${o.location.line} (${o.ref.kind} ${o.ref.namespace}/${o.ref.name} ${field}${ts})`;
}

/** `route "v1-v3-split"` or `route #2`. */
export function routeLabel(route: HttpRouteView, index: number): string {
  return route.name !== undefined ? `route "${route.name}"` : `route #${index + 1}`;
}
