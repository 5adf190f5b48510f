/**
 * Whether a Gateway API route may use what it references across namespaces, as the Gateway API
 * spec (and Istio's implementation, pilot/pkg/config/kube/gateway) decides it:
 * - a backendRef into another namespace needs a ReferenceGrant in the backend's namespace whose
 *   `from` names the route's group, kind and namespace and whose `to` names the backend's group and
 *   kind (and name, when it gives one); otherwise `ResolvedRefs: False`, reason `RefNotPermitted`;
 * - a parentRef to a Gateway is accepted only by listeners whose `allowedRoutes.namespaces.from`
 *   admits the route's namespace (`Same`, the default: the Gateway's own; `All`; `Selector`: by
 *   namespace labels); otherwise `Accepted: False`, reason `NotAllowedByListeners`.
 */
import { GATEWAY_API_GROUP, type GatewayApiIndex } from './gateway-api.js';
import { isRecord, type MeshObject } from './object.js';

/** One end of a reference: group ('' for core), kind, namespace and (for a target) name. */
export interface ReferenceEnd {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name?: string;
}

/** The ReferenceGrant that lets `from` refer to `to`, or undefined (same-namespace references need none: check before calling). */
export function referenceGrantFor(index: GatewayApiIndex, from: ReferenceEnd, to: ReferenceEnd): MeshObject | undefined {
  return index.ofKind('ReferenceGrant').find((g) => {
    if (g.namespace !== to.namespace) return false;
    const froms = Array.isArray(g.spec.from) ? g.spec.from : [];
    const tos = Array.isArray(g.spec.to) ? g.spec.to : [];
    const fromOk = froms.some((f) => isRecord(f) && (f.group ?? '') === from.group && f.kind === from.kind && f.namespace === from.namespace);
    const toOk = tos.some((t) => isRecord(t) && (t.group ?? '') === to.group && t.kind === to.kind && (typeof t.name !== 'string' || t.name === '' || t.name === to.name));
    return fromOk && toOk;
  });
}

/**
 * Whether some listener of `gateway` (only the one named `sectionName`, when given) admits routes
 * from `routeNamespace`. A `Selector` listener admits when the namespace's labels are unknown
 * (`namespaceLabels` undefined) or match its `matchLabels`; `matchExpressions` are not judged (admit).
 */
export function listenersAdmit(
  gateway: MeshObject,
  routeNamespace: string,
  sectionName: string | undefined,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): boolean {
  const listeners = (Array.isArray(gateway.spec.listeners) ? gateway.spec.listeners : []).filter(
    (l) => isRecord(l) && (sectionName === undefined || l.name === sectionName),
  ) as Record<string, unknown>[];
  if (listeners.length === 0) return sectionName === undefined; // no listeners at all: not ours to judge here
  return listeners.some((l) => {
    const ns = isRecord(l.allowedRoutes) && isRecord(l.allowedRoutes.namespaces) ? l.allowedRoutes.namespaces : {};
    const from = typeof ns.from === 'string' ? ns.from : 'Same';
    if (from === 'All') return true;
    if (from === 'Same') return routeNamespace === gateway.namespace;
    if (from !== 'Selector') return true;
    const selector = isRecord(ns.selector) ? ns.selector : {};
    if (namespaceLabels === undefined || selector.matchExpressions !== undefined) return true;
    const match = isRecord(selector.matchLabels) ? selector.matchLabels : {};
    return Object.entries(match).every(([k, v]) => namespaceLabels[k] === v);
  });
}

/** The Gateway API group, re-exported for callers that build ReferenceEnds. */
export { GATEWAY_API_GROUP };
