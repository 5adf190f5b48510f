/**
 * TCPRoutes and TLSRoutes on a Gateway API Gateway's listeners as view routes: the `tcp` and `tls` routes of
 * the VirtualServices istiod makes of them (`mesh/gateway-api-l4-routes.ts`). Every origin points at the
 * route: a route at `spec.rules[i]`, a destination at `spec.rules[i].backendRefs[k]`, a TLS match at
 * `spec.hostnames` (or the rule when the route has none).
 */
import type { FieldPath } from '../types.js';
import type { MeshObject } from '../object.js';
import { backendKind } from '../gateway-api-backends.js';
import { l4BackendPermitted, ZERO_WEIGHT_DESTINATION, type GatewayApiL4Backend, type GatewayApiL4Rule, type GatewayApiL4VirtualService } from '../gateway-api-l4-routes.js';
import { originOf } from './origin.js';
import { translateDestination, type RouteEnv } from './routes.js';
import type { DestinationView, L4RouteView } from './types.js';

/**
 * One backendRef as a destination (`buildDestination`): a Service's FQDN and port, a `Hostname` as written; a
 * backendRef the route may not use (no ReferenceGrant, when `enforceRefGrant`) or of another kind is istiod's empty
 * `Destination`: no host, no cluster (Envoy closes the connection).
 */
function backendDestination(env: RouteEnv, route: MeshObject, b: GatewayApiL4Backend, path: FieldPath, enforceRefGrant: boolean): DestinationView {
  const kind = backendKind(b.ref);
  if ((enforceRefGrant && !l4BackendPermitted(env.graph, route, b.ref)) || kind === 'other') {
    return { host: '', port: null, weight: b.weight, cluster: null, known: false, origin: originOf(route, path) };
  }
  const name = typeof b.ref.name === 'string' ? b.ref.name : '';
  const ns = typeof b.ref.namespace === 'string' ? b.ref.namespace : route.namespace;
  const host = kind === 'Service' ? `${name}.${ns}.svc.${env.graph.clusterDomain}` : name;
  return translateDestination(env, route, { host, ...(typeof b.ref.port === 'number' ? { port: { number: b.ref.port } } : {}) }, b.weight, path, path, true);
}

/**
 * One `tcp` or `tls` route istiod makes of a TCPRoute or TLSRoute rule, as a view route: destinations at
 * `spec.rules[i].backendRefs[k]` (istiod's zero-weight destination at `backendRefs` when none has weight), the route at
 * `spec.rules[i]`. `match`: its one match (its SNI hosts, empty for `tcp`, and where it comes from), or null for none.
 * `enforceRefGrant`: a route on a Gateway (a backendRef into another namespace needs a ReferenceGrant), not in the mesh.
 */
export function l4RouteView(env: RouteEnv, route: MeshObject, r: GatewayApiL4Rule, match: { readonly sniHosts: readonly string[]; readonly path: FieldPath } | null, enforceRefGrant: boolean): L4RouteView {
  const rulePath: FieldPath = ['spec', 'rules', r.rule];
  const destinations = r.backends.length > 0
    ? r.backends.map((b) => backendDestination(env, route, b, [...rulePath, 'backendRefs', b.index], enforceRefGrant))
    : [translateDestination(env, route, ZERO_WEIGHT_DESTINATION, 100, [...rulePath, 'backendRefs'])];
  return {
    match: match === null ? [] : [{ sniHosts: match.sniHosts, destinationSubnets: [], destinationCidrs: [], origin: originOf(route, match.path) }],
    destinations, origin: originOf(route, rulePath),
  };
}

/** The `tcp` or `tls` routes (as `vs.kind` says) of one VirtualService istiod makes of a TCPRoute or TLSRoute, in rule order. */
export function gatewayApiL4RoutesOf(env: RouteEnv, vs: GatewayApiL4VirtualService): L4RouteView[] {
  const route = vs.object;
  return vs.rules.map((r) => {
    const hostnamesPath: FieldPath = Array.isArray(route.spec.hostnames) && route.spec.hostnames.length > 0 ? ['spec', 'hostnames'] : ['spec', 'rules', r.rule];
    return l4RouteView(env, route, r, r.sniHosts === null ? null : { sniHosts: r.sniHosts, path: hostnamesPath }, true);
  });
}
