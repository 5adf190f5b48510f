/**
 * A `RequestMirror` filter's backendRef as istiod reads it (pilot/pkg/config/kube/gateway conversion.go
 * `createMirrorFilter` → `buildDestination`): the error that makes istiod drop the mirror of an HTTPRoute
 * rule (`mirrorBackendErr`: the route is kept without it) and fail a GRPCRoute whole (`convertGRPCRoute`
 * returns it). Read from istio/istio at 86c9f01f (2026-08-22). Pure.
 */
import type { MeshGraph } from './graph.js';
import { backendKind } from './gateway-api-backends.js';
import { referenceGrantFor } from './gateway-api-attachment.js';
import { GATEWAY_API_GROUP, gatewayApiOf } from './gateway-api.js';
import type { MeshObject } from './object.js';

type Raw = Readonly<Record<string, unknown>>;

/**
 * Why istiod cannot build the destination of mirror backendRef `b` of `route`, or null, in `buildDestination`'s
 * order: (`enforceRefGrant`, a route on a Gateway) a backend in another namespace no ReferenceGrant lets the
 * route use; a kind other than Service or `networking.istio.io` Hostname; a Service named by a host name (a
 * `.`); a Hostname with `namespace`; a Service or Hostname the input does not hold ("not found"); no `port`.
 */
export function mirrorBackendError(graph: MeshGraph, route: MeshObject, b: Raw, enforceRefGrant: boolean): string | null {
  const name = typeof b.name === 'string' ? b.name : '';
  const ns = typeof b.namespace === 'string' ? b.namespace : route.namespace;
  const kind = backendKind(b);
  if (enforceRefGrant && ns !== route.namespace) {
    const to = { group: typeof b.group === 'string' ? b.group : '', kind: typeof b.kind === 'string' ? b.kind : 'Service', namespace: ns, name };
    if (!referenceGrantFor(gatewayApiOf(graph), { group: GATEWAY_API_GROUP, kind: route.kind, namespace: route.namespace }, to)) {
      return `backendRef ${name}/${ns} not accessible to a ${route.kind} in namespace "${route.namespace}" (missing a ReferenceGrant?)`;
    }
  }
  if (kind === 'other') return `referencing unsupported backendRef: group "${typeof b.group === 'string' ? b.group : ''}" kind "${typeof b.kind === 'string' ? b.kind : ''}"`;
  if (kind === 'Service' && name.includes('.')) return 'service name invalid; the name of the Service must be used, not the hostname.';
  if (kind === 'Hostname' && b.namespace !== undefined) return 'namespace may not be set with Hostname type';
  if (kind === 'Service' && !graph.get('Service', ns, name)) return `backend(${name}.${ns}.svc.${graph.clusterDomain}) not found`;
  if (kind === 'Hostname' && graph.services.forHost(name, ns).length === 0) return `backend(${name}) not found`;
  if (typeof b.port !== 'number') return 'port is required in backendRef';
  return null;
}
