/**
 * Argo Rollouts' Istio traffic routing, as its controller reads it (argoproj/argo-rollouts
 * `pkg/apis/rollouts/v1alpha1/types.go` IstioTrafficRouting, `utils/istio/istio.go`,
 * `rollout/trafficrouting/istio/istio.go`): which VirtualServices, routes and DestinationRule a
 * canary `Rollout` edits, and how it recognises the stable and canary destinations in a route.
 * Pure functions of the Rollout and VirtualService objects; the check is
 * `references/rollout-traffic-routing`. The pod side of a Rollout is in `workloads.ts`.
 */
import type { FieldPath } from './types.js';
import { isRecord, type MeshObject } from './object.js';
import { ARGO_ROLLOUTS_GROUP } from './workloads.js';

/** Path of `spec.strategy.canary.trafficRouting.istio` in a Rollout. */
export const ISTIO_TRAFFIC_ROUTING_PATH: FieldPath = ['spec', 'strategy', 'canary', 'trafficRouting', 'istio'];

/** A TLS route selector of `virtualService.tlsRoutes[]` (v1alpha1 `TLSRoute`). */
export interface RolloutTlsRoute {
  /** `port`, 0 when absent. */
  readonly port: number;
  readonly sniHosts: readonly string[];
  readonly path: FieldPath;
}

/** One entry of `virtualService` or `virtualServices[]` (v1alpha1 `IstioVirtualService`). */
export interface RolloutVirtualServiceRef {
  /** `name` as written: `name`, `name.namespace` or `name.namespace.svc.cluster.local`. */
  readonly ref: string;
  /** The VirtualService's name and namespace (the Rollout's when `ref` names none). */
  readonly name: string;
  readonly namespace: string;
  /** `routes`: HTTP route names; empty means the VirtualService's single (or first unnamed) HTTP route. */
  readonly routes: readonly { readonly name: string; readonly path: FieldPath }[];
  readonly tlsRoutes: readonly RolloutTlsRoute[];
  /** `tcpRoutes[].port` (0 when absent). */
  readonly tcpRoutes: readonly { readonly port: number; readonly path: FieldPath }[];
  /** Path of this entry (`…istio.virtualService` or `…istio.virtualServices[i]`). */
  readonly path: FieldPath;
}

/** `destinationRule` (v1alpha1 `IstioDestinationRule`): looked up in the Rollout's namespace by plain name. */
export interface RolloutDestinationRuleRef {
  readonly name: string;
  readonly canarySubsetName: string;
  readonly stableSubsetName: string;
  readonly path: FieldPath;
}

/** A canary Rollout's Istio traffic routing. */
export interface RolloutIstioRouting {
  readonly rollout: MeshObject;
  /** Both `virtualService` and `virtualServices` are set, or neither (Argo refuses either). */
  readonly virtualServiceConfig: 'single' | 'multiple' | 'both' | 'none';
  readonly virtualServices: readonly RolloutVirtualServiceRef[];
  readonly destinationRule: RolloutDestinationRuleRef | undefined;
  /** The Services whose hosts the routes must carry (stable/canary, or ping/pong), with their fields. */
  readonly stableService: { readonly name: string; readonly path: FieldPath };
  readonly canaryService: { readonly name: string; readonly path: FieldPath };
  /** `canary.pingPong` is set (Argo then does not require `stableService` and `canaryService`). */
  readonly pingPong: boolean;
  /** `trafficRouting.managedRoutes[].name`: routes Argo adds itself, not counted as the VirtualService's own. */
  readonly managedRoutes: ReadonlySet<string>;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * The VirtualService a `virtualService.name` names, as Argo's `GetVirtualServiceNamespaceName`: a
 * `.cluster.local` suffix is dropped, then the last dot-separated field is the namespace and the
 * rest the name; without a dot, the Rollout's namespace.
 */
export function virtualServiceKey(ref: string, rolloutNamespace: string): { name: string; namespace: string } {
  const fields = ref.replace(/\.cluster\.local$/, '').split('.');
  if (fields.length >= 2) return { name: fields.slice(0, -1).join('.'), namespace: fields[fields.length - 1]! };
  return { name: fields[0]!, namespace: rolloutNamespace };
}

function virtualServiceRef(v: unknown, path: FieldPath, namespace: string): RolloutVirtualServiceRef {
  const r = isRecord(v) ? v : {};
  const ref = str(r.name);
  const routes = list(r.routes).map((n, i) => ({ name: str(n), path: [...path, 'routes', i] }));
  const tlsRoutes = list(r.tlsRoutes).map((t, i) => {
    const tr = isRecord(t) ? t : {};
    return { port: num(tr.port), sniHosts: list(tr.sniHosts).map(str), path: [...path, 'tlsRoutes', i] };
  });
  const tcpRoutes = list(r.tcpRoutes).map((t, i) => ({ port: num(isRecord(t) ? t.port : undefined), path: [...path, 'tcpRoutes', i] }));
  return { ref, ...virtualServiceKey(ref, namespace), routes, tlsRoutes, tcpRoutes, path };
}

/**
 * The Istio traffic routing of an Argo `Rollout` with `spec.strategy.canary.trafficRouting.istio`,
 * or undefined for any other object. The stable and canary Services are `stableService` and
 * `canaryService`, or, when both are empty and `pingPong` is set, `pingPong.pongService` and
 * `pingPong.pingService` (Argo's `GetStableAndCanaryServices` before any status: ping is canary).
 */
export function rolloutIstioRouting(o: MeshObject): RolloutIstioRouting | undefined {
  if (o.kind !== 'Rollout' || o.group !== ARGO_ROLLOUTS_GROUP) return undefined;
  const canary = isRecord(o.spec.strategy) && isRecord(o.spec.strategy.canary) ? o.spec.strategy.canary : undefined;
  const routing = canary && isRecord(canary.trafficRouting) ? canary.trafficRouting : undefined;
  const istio = routing && isRecord(routing.istio) ? routing.istio : undefined;
  if (!canary || !routing || !istio) return undefined;
  const single = istio.virtualService !== undefined && istio.virtualService !== null;
  const multiple = istio.virtualServices !== undefined && istio.virtualServices !== null;
  const virtualServices = multiple
    ? list(istio.virtualServices).map((v, i) => virtualServiceRef(v, [...ISTIO_TRAFFIC_ROUTING_PATH, 'virtualServices', i], o.namespace))
    : single ? [virtualServiceRef(istio.virtualService, [...ISTIO_TRAFFIC_ROUTING_PATH, 'virtualService'], o.namespace)] : [];
  const dr = isRecord(istio.destinationRule) ? istio.destinationRule : undefined;
  const canaryPath: FieldPath = ['spec', 'strategy', 'canary'];
  const pingPong = isRecord(canary.pingPong) ? canary.pingPong : undefined;
  const usePingPong = pingPong !== undefined && str(canary.stableService) === '' && str(canary.canaryService) === '';
  return {
    rollout: o,
    virtualServiceConfig: single && multiple ? 'both' : multiple ? 'multiple' : single ? 'single' : 'none',
    virtualServices,
    destinationRule: dr && {
      name: str(dr.name), canarySubsetName: str(dr.canarySubsetName), stableSubsetName: str(dr.stableSubsetName),
      path: [...ISTIO_TRAFFIC_ROUTING_PATH, 'destinationRule'],
    },
    stableService: usePingPong
      ? { name: str(pingPong.pongService), path: [...canaryPath, 'pingPong', 'pongService'] }
      : { name: str(canary.stableService), path: [...canaryPath, 'stableService'] },
    canaryService: usePingPong
      ? { name: str(pingPong.pingService), path: [...canaryPath, 'pingPong', 'pingService'] }
      : { name: str(canary.canaryService), path: [...canaryPath, 'canaryService'] },
    pingPong: pingPong !== undefined,
    managedRoutes: new Set(list(routing.managedRoutes).map((m) => str(isRecord(m) ? m.name : undefined)).filter((n) => n !== '')),
  };
}

/**
 * The Service name Argo reads from a route destination's `host` (istio.go `getHost`): the text
 * before the first dot, so `reviews-canary.shop.svc.cluster.local` is `reviews-canary` (the
 * namespace is not compared).
 */
export function destinationServiceName(host: string): string {
  const dot = host.indexOf('.');
  return dot < 0 ? host : host.slice(0, dot);
}

/**
 * The routes of a VirtualService section that Argo edits (`indexes`), and the Rollout's route
 * selectors no route answers (`missing`: a route name, or a selector's index as text, with its
 * path). Argo stops at the first missing one; all are listed so that one run shows every fault.
 */
export interface ChosenRoutes {
  readonly indexes: readonly number[];
  readonly missing: readonly { readonly selector: string; readonly path: FieldPath }[];
}

/**
 * The `spec.http` routes Argo sets weights on (istio.go `getHttpRouteIndexesToPatch`): each named
 * route; with no names, the only route, else the first route without a name, else none.
 */
export function chosenHttpRoutes(ref: RolloutVirtualServiceRef, http: readonly unknown[]): ChosenRoutes {
  const names = http.map((r) => str(isRecord(r) ? r.name : undefined));
  if (ref.routes.length === 0) {
    if (http.length === 1) return { indexes: [0], missing: [] };
    const unnamed = names.indexOf('');
    return { indexes: unnamed < 0 ? [] : [unnamed], missing: [] };
  }
  const indexes: number[] = [];
  const missing: { selector: string; path: FieldPath }[] = [];
  for (const r of ref.routes) {
    const i = names.indexOf(r.name);
    if (i < 0) missing.push({ selector: r.name, path: r.path });
    else indexes.push(i);
  }
  return { indexes, missing };
}

/**
 * The single port every `match` of an L4 route names (0 when none does), or undefined when they
 * name several (Argo's `searchTlsRoute`/`searchTcpRoute` then never pick the route).
 */
function matchPort(route: unknown): number | undefined {
  const ports = new Set(list(isRecord(route) ? route.match : undefined).map((m) => num(isRecord(m) ? m.port : undefined)));
  if (ports.size > 1) return undefined;
  return ports.size === 0 ? 0 : [...ports][0]!;
}

/**
 * The `spec.tls` (`section` 'tls') or `spec.tcp` routes Argo edits (`getTlsRouteIndexesToPatch`,
 * `getTcpRouteIndexesToPatch`): with no selectors the first route; else every route whose matches
 * name exactly the selector's port (and, for TLS, exactly its set of `sniHosts`). A selector no
 * route answers is `missing` (its index, as text).
 */
export function chosenL4Routes(ref: RolloutVirtualServiceRef, section: 'tls' | 'tcp', routes: readonly unknown[]): ChosenRoutes {
  const selectors = section === 'tls' ? ref.tlsRoutes : ref.tcpRoutes.map((t) => ({ ...t, sniHosts: undefined }));
  if (selectors.length === 0) return { indexes: routes.length > 0 ? [0] : [], missing: [] };
  const indexes: number[] = [];
  const missing: { selector: string; path: FieldPath }[] = [];
  for (const [k, sel] of selectors.entries()) {
    const found = routes.flatMap((r, i) => {
      if (matchPort(r) !== sel.port) return [];
      if (!sel.sniHosts) return [i];
      const sni = new Set(list(isRecord(r) ? r.match : undefined).flatMap((m) => list(isRecord(m) ? m.sniHosts : undefined).map(str)));
      return sel.sniHosts.length === sni.size && [...sni].every((h) => sel.sniHosts.includes(h)) ? [i] : []; // evaluate.Equal
    });
    if (found.length === 0) missing.push({ selector: String(k), path: sel.path });
    indexes.push(...found);
  }
  return { indexes, missing };
}

/** A route's `route[].destination`s, as `{host, subset}` strings ('' when absent). */
export function routeDestinations(route: unknown): { host: string; subset: string }[] {
  return list(isRecord(route) ? route.route : undefined).flatMap((d) => {
    const dest = isRecord(d) && isRecord(d.destination) ? d.destination : undefined;
    return dest ? [{ host: str(dest.host), subset: str(dest.subset) }] : [];
  });
}
