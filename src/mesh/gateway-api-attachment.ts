/**
 * Whether a Gateway API route may use what it references across namespaces, as the Gateway API
 * spec (and Istio's implementation, pilot/pkg/config/kube/gateway) decides it:
 * - a backendRef into another namespace needs a ReferenceGrant in the backend's namespace whose
 *   `from` names the route's group, kind and namespace and whose `to` names the backend's group and
 *   kind (and name, when it gives one); otherwise `ResolvedRefs: False`, reason `RefNotPermitted`;
 * - a parentRef to a Gateway is accepted only by listeners that take the route's kind
 *   (by protocol: HTTP/HTTPS take HTTPRoute and GRPCRoute, TLS takes TLSRoute (and TCPRoute when it
 *   terminates), TCP TCPRoute; narrowed by `allowedRoutes.kinds`) and whose `allowedRoutes.namespaces.from` admits the route's namespace
 *   (`Same`, the default: the Gateway's own; `All`; `Selector`: by namespace labels); otherwise
 *   `Accepted: False`, reason `NotAllowedByListeners` (or `NoMatchingParent` for an unknown sectionName).
 */
import { hostsIntersect } from './hosts.js';
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
 * Route kinds a listener's protocol supports (Istio gatewaycommon GenerateGatewaySupportedKinds):
 * HTTP/HTTPS take HTTPRoute and GRPCRoute, TCP TCPRoute, TLS TLSRoute (and TCPRoute when the listener
 * terminates TLS); any other protocol (UDP included: Istio has no UDPRoute) takes none.
 */
const KINDS_BY_PROTOCOL: Readonly<Record<string, readonly string[]>> = {
  HTTP: ['HTTPRoute', 'GRPCRoute'],
  HTTPS: ['HTTPRoute', 'GRPCRoute'],
  TLS: ['TLSRoute'],
  TCP: ['TCPRoute'],
};

/**
 * Why no listener of `gateway` (only the one named `sectionName` and on `port`, when given) accepts a
 * `routeKind` from `routeNamespace`: 'no-listener' (no listener of that name and port), 'kind' (no candidate listener takes
 * the kind: `allowedRoutes.kinds`, else its protocol's kinds), 'namespace' (those that take the kind do
 * not admit the namespace), 'hostname' (the route lists `hostnames` and none intersects the `hostname` of
 * any listener left; a listener without hostname takes all: Gateway API NoMatchingListenerHostname);
 * undefined when one accepts it. A `Selector` listener admits when its
 * selector (`matchLabels`, `matchExpressions`) selects the namespace's labels as written in the input
 * (`namespaceLabels`) plus `kubernetes.io/metadata.name`, which the API server sets on every
 * namespace; when the Namespace is not in the input (undefined) only that label is judged
 * (`selectorAdmits`). A Gateway without listeners is not judged.
 */
export function listenerRejection(
  gateway: MeshObject,
  routeKind: string,
  routeNamespace: string,
  sectionName: string | undefined,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
  port?: number,
  routeHostnames: readonly string[] = [],
): 'no-listener' | 'kind' | 'namespace' | 'hostname' | undefined {
  if (listenersOf(gateway).length === 0) return undefined;
  const stages = listenerStages(gateway, routeKind, routeNamespace, sectionName, namespaceLabels, port, routeHostnames);
  if (stages.named.length === 0) return 'no-listener';
  if (stages.takingKind.length === 0) return 'kind';
  if (stages.admitting.length === 0) return 'namespace';
  return stages.accepting.length > 0 ? undefined : 'hostname';
}

/**
 * The listeners of `gateway` a route's parentRef narrows to, stage by stage, each a subset of the one
 * before: `named` (its `sectionName` and `port`), `takingKind` (they take `routeKind`), `admitting`
 * (they admit `routeNamespace`: {@link admitsNamespace}), `accepting` (their `hostname` meets one of
 * `routeHostnames`; all of `admitting` when the route lists none). The one filter chain
 * {@link listenerRejection} and {@link admittedOnUnknownLabels} both judge by.
 */
function listenerStages(
  gateway: MeshObject,
  routeKind: string,
  routeNamespace: string,
  sectionName: string | undefined,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
  port: number | undefined,
  routeHostnames: readonly string[],
): { named: Listener[]; takingKind: Listener[]; admitting: Listener[]; accepting: Listener[] } {
  const named = listenersOf(gateway).filter((l) => addressed(l, sectionName, port));
  const takingKind = named.filter((l) => kindsOf(l).includes(routeKind));
  const admitting = takingKind.filter((l) => admitsNamespace(l, gateway.namespace, routeNamespace, namespaceLabels));
  const accepting = routeHostnames.length === 0 ? admitting : admitting.filter((l) => listenerTakesHostnames(l, routeHostnames));
  return { named, takingKind, admitting, accepting };
}

type Listener = Readonly<Record<string, unknown>>;

/**
 * The `allowedRoutes.namespaces.selector`s by which the listeners of `gateway` that take a `routeKind` from
 * `routeNamespace` (as {@link listenerRejection} picks them: `sectionName`, `port`, kind, namespace, hostnames) admit
 * it, when the Namespace is not in the input (`namespaceLabels` undefined) and each of them admits it only because
 * {@link selectorAdmits} takes labels other than `kubernetes.io/metadata.name` as met; undefined when no listener
 * admits it, or one does for certain.
 */
export function admittedOnUnknownLabels(
  gateway: MeshObject,
  routeKind: string,
  routeNamespace: string,
  sectionName: string | undefined,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
  port?: number,
  routeHostnames: readonly string[] = [],
): readonly Readonly<Record<string, unknown>>[] | undefined {
  if (namespaceLabels !== undefined) return undefined;
  const selectors: Readonly<Record<string, unknown>>[] = [];
  for (const l of listenerStages(gateway, routeKind, routeNamespace, sectionName, undefined, port, routeHostnames).accepting) {
    const ns = isRecord(l.allowedRoutes) && isRecord(l.allowedRoutes.namespaces) ? l.allowedRoutes.namespaces : {};
    if (ns.from !== 'Selector') return undefined;
    const selector = isRecord(ns.selector) ? ns.selector : {};
    if (!selectorNeedsNamespaceLabels(selector)) return undefined;
    selectors.push(selector);
  }
  return selectors.length > 0 ? selectors : undefined;
}

/** Whether a listener's `hostname` (none: every host) intersects one of `hostnames` (`*.` prefixes match by suffix, both ways). */
export function listenerTakesHostnames(listener: Readonly<Record<string, unknown>>, hostnames: readonly string[]): boolean {
  if (typeof listener.hostname !== 'string' || listener.hostname === '') return true;
  const own = listener.hostname.toLowerCase();
  return hostnames.some((h) => hostsIntersect(own, h.toLowerCase()));
}

/** A Gateway's listeners (`spec.listeners`, records only). */
export function listenersOf(gateway: MeshObject): Readonly<Record<string, unknown>>[] {
  return (Array.isArray(gateway.spec.listeners) ? gateway.spec.listeners : []).filter(isRecord);
}

/** Whether a parentRef's `sectionName` and `port` (each optional) name this listener. */
function addressed(listener: Readonly<Record<string, unknown>>, sectionName: string | undefined, port: number | undefined): boolean {
  return (sectionName === undefined || listener.name === sectionName) && (port === undefined || listener.port === port);
}

/**
 * Route kinds a listener takes, as Istio decides it (gatewaycommon GenerateGatewaySupportedKinds): the kinds
 * its protocol supports (`KINDS_BY_PROTOCOL`; a TLS listener whose `tls.mode` is Terminate, the API default
 * when `tls` is written, also takes TCPRoute), intersected with `allowedRoutes.kinds` when that is set
 * (a listed kind's `group` defaults to gateway.networking.k8s.io; a kind outside the protocol's set is
 * dropped, status InvalidRouteKinds). Kinds are returned without group, for the Gateway API group only.
 */
export function kindsOf(listener: Readonly<Record<string, unknown>>): readonly string[] {
  const protocol = typeof listener.protocol === 'string' ? listener.protocol : '';
  const terminates = isRecord(listener.tls) && (listener.tls.mode === undefined || listener.tls.mode === 'Terminate');
  const supported = [...(KINDS_BY_PROTOCOL[protocol] ?? []), ...(protocol === 'TLS' && terminates ? ['TCPRoute'] : [])];
  const kinds = isRecord(listener.allowedRoutes) && Array.isArray(listener.allowedRoutes.kinds) ? listener.allowedRoutes.kinds : [];
  if (kinds.length === 0) return supported;
  const listed = kinds.flatMap((k) => (isRecord(k) && typeof k.kind === 'string' && (k.group ?? GATEWAY_API_GROUP) === GATEWAY_API_GROUP ? [k.kind] : []));
  return supported.filter((k) => listed.includes(k));
}

/**
 * The label the API server sets on every Namespace (Kubernetes 1.22+, `NamespaceDefaultLabelName`):
 * `kubernetes.io/metadata.name: <namespace name>`, immutable, whether or not a manifest writes it.
 */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * The labels a namespace has in the cluster: those written in its manifest plus
 * `kubernetes.io/metadata.name`; undefined when the Namespace is not in the input (then only that
 * label is known, see `selectorAdmits`).
 */
export function namespaceLabelsOf(name: string, written: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> | undefined {
  return written === undefined ? undefined : { ...written, [NAMESPACE_NAME_LABEL]: name };
}

/**
 * Whether a Kubernetes LabelSelector (`matchLabels`, `matchExpressions` with In, NotIn, Exists,
 * DoesNotExist) selects namespace `name`. `labels` are its labels as written in the input, to which
 * `kubernetes.io/metadata.name: name` is always added; when undefined (Namespace not in the input)
 * only requirements on `kubernetes.io/metadata.name` are judged and the rest taken as met. An operator it does not know counts as met (not judged).
 */
export function selectorAdmits(selector: Readonly<Record<string, unknown>>, name: string, labels: Readonly<Record<string, string>> | undefined): boolean {
  const known: Readonly<Record<string, string>> = { ...labels, [NAMESPACE_NAME_LABEL]: name };
  const judged = (key: string) => labels !== undefined || key === NAMESPACE_NAME_LABEL;
  const get = (key: string) => (Object.hasOwn(known, key) ? known[key] : undefined);
  const matchLabels = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  for (const [k, v] of Object.entries(matchLabels)) if (judged(k) && get(k) !== String(v)) return false;
  for (const e of Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []) {
    if (!isRecord(e) || typeof e.key !== 'string' || !judged(e.key)) continue;
    const values = Array.isArray(e.values) ? e.values.map(String) : [];
    const value = get(e.key);
    const has = value !== undefined;
    switch (e.operator) {
      case 'In': if (!has || !values.includes(value!)) return false; break;
      case 'NotIn': if (has && values.includes(value!)) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
    }
  }
  return true;
}

/**
 * Whether `selector` (a Kubernetes LabelSelector) asks for a namespace label other than `kubernetes.io/metadata.name`:
 * for a Namespace not in the input, {@link selectorAdmits} takes such requirements as met, so its answer rests on
 * labels meshproof does not know.
 */
export function selectorNeedsNamespaceLabels(selector: Readonly<Record<string, unknown>>): boolean {
  const keys = [
    ...Object.keys(isRecord(selector.matchLabels) ? selector.matchLabels : {}),
    ...(Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []).flatMap((e) => (isRecord(e) && typeof e.key === 'string' ? [e.key] : [])),
  ];
  return keys.some((k) => k !== NAMESPACE_NAME_LABEL);
}

function admitsNamespace(l: Readonly<Record<string, unknown>>, gatewayNamespace: string, routeNamespace: string, namespaceLabels: Readonly<Record<string, string>> | undefined): boolean {
  const ns = isRecord(l.allowedRoutes) && isRecord(l.allowedRoutes.namespaces) ? l.allowedRoutes.namespaces : {};
  const from = typeof ns.from === 'string' ? ns.from : 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return routeNamespace === gatewayNamespace;
  if (from !== 'Selector') return true;
  const selector = isRecord(ns.selector) ? ns.selector : {};
  return selectorAdmits(selector, routeNamespace, namespaceLabels);
}

/**
 * Why each listener of `gateway` that could take the route (by `sectionName`, `port` and kind)
 * refuses namespace `routeNamespace`, for messages: `listener "http" allowedRoutes.namespaces.from:
 * Selector {matchLabels: {team: web}} does not select namespace foo (labels: {...})`.
 */
export function describeNamespaceRefusals(
  gateway: MeshObject,
  routeKind: string,
  routeNamespace: string,
  sectionName: string | undefined,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
  port?: number,
): string {
  const candidates = listenersOf(gateway).filter((l) => addressed(l, sectionName, port) && kindsOf(l).includes(routeKind));
  return candidates.map((l) => {
    const label = candidates.length > 1 || sectionName === undefined ? `listener ${typeof l.name === 'string' ? `"${l.name}"` : '(unnamed)'} ` : '';
    const ns = isRecord(l.allowedRoutes) && isRecord(l.allowedRoutes.namespaces) ? l.allowedRoutes.namespaces : {};
    if (typeof ns.from !== 'string') return `${label}allowedRoutes.namespaces.from is unset, so Same: only routes in namespace ${gateway.namespace}`;
    if (ns.from === 'Same') return `${label}allowedRoutes.namespaces.from is Same: only routes in namespace ${gateway.namespace}`;
    const labels = namespaceLabelsOf(routeNamespace, namespaceLabels);
    const shown = Object.entries(labels ?? { [NAMESPACE_NAME_LABEL]: routeNamespace }).map(([k, v]) => `${k}: ${v}`).join(', ');
    return `${label}allowedRoutes.namespaces.from is Selector and its selector ${JSON.stringify(ns.selector ?? {})} does not select namespace ` +
      `${routeNamespace}, whose labels are {${shown}}${labels === undefined ? ' (the only label known: the Namespace is not in the input)' : ''}`;
  }).join('; ');
}

/** The Gateway API group, re-exported for callers that build ReferenceEnds. */
export { GATEWAY_API_GROUP };
