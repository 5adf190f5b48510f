import type { IConstruct } from 'constructs';
import type {
  VirtualServiceSpecHttp,
  VirtualServiceSpecHttpMirrors,
  VirtualServiceSpecHttpRoute,
  VirtualServiceSpecHttpRouteDestination,
} from '../../imports/networking.istio.io.js';
import { PropError } from './_errors.js';
import { checkDnsLabel, checkHost, checkPort, checkWeight, checkWeightTotal } from './_validate.js';
import type { Destination, IRoutable } from './destination.js';
import { type Duration, toDuration } from './duration.js';
import { type RequestMatch, translateRequestMatches } from './http-route-match.js';
import { checkMirrorTakesNoWeightedTraffic } from './http-route-mirror.js';
import {
  type CorsPolicy, type DirectResponse, type FaultInjection, type HeaderPolicy, type HttpRedirect, type HttpRewrite, type RetryPolicy,
  translateCors, translateDirectResponse, translateFault, translateHeaders, translateRedirect, translateRetries, translateRewrite,
} from './http-route-policy.js';
import { type Percent, toPercent } from './percent.js';

export * from './http-route-match.js';
export * from './http-route-mirror.js';
export * from './http-route-policy.js';

/** Where a route or mirror sends requests: a routable (service) or a plain destination, narrowed by subset and port. */
export interface RouteTarget {
  /** The service (IRoutable, whose subsets and ports are checked) or a plain `{host, subset?, port?}`. */
  readonly destination: Destination | IRoutable;
  /** Subset (version) of the destination (`destination.subset`). @default the Destination's subset, else none (all endpoints) */
  readonly subset?: string;
  /** Port of the destination (`destination.port.number`). @default the Destination's port, else the routable's only port */
  readonly port?: number;
}

/** One weighted destination of a route (Istio `HTTPRouteDestination`). */
export interface RouteDestination extends RouteTarget {
  /**
   * Share of the route's requests, an integer from 0 to 100 (`weight`). Required when a route has
   * several destinations, which must total 100.
   * @default all requests, when the destination is the route's only one
   */
  readonly weight?: number;
  /** Header changes for requests sent to this destination (`headers`). @default none */
  readonly headers?: HeaderPolicy;
}

/** One mirror target with its own share (Istio `HTTPMirrorPolicy`, in `mirrors`). */
export interface MirrorPolicy extends RouteTarget {
  /** Share of requests mirrored (`percentage.value`). @default 100 % */
  readonly percentage?: Percent | number;
}

/**
 * One HTTP route (Istio `HTTPRoute`). Exactly one action: `route` (forward), `redirect` or
 * `directResponse`.
 */
export interface HttpRouteOptions {
  /** Route name, shown in access logs and Envoy stats (`name`). @default none */
  readonly name?: string;
  /** Conditions, ORed; each entry's conditions are ANDed (`match`). @default every request (a catch-all route) */
  readonly match?: readonly RequestMatch[];
  /** Weighted destinations (`route`). @default none (then `redirect` or `directResponse` is required) */
  readonly route?: readonly RouteDestination[];
  /** Whole-request timeout, including retries (`timeout`). @default disabled */
  readonly timeout?: Duration | string;
  /** Retry policy (`retries`). @default the mesh default: 2 attempts */
  readonly retries?: RetryPolicy;
  /**
   * Client-side fault injection (`fault`). The route keeps its `timeout` and `retries`, but Envoy's fault
   * filter runs before the router: an injected abort is never retried, and an injected delay is spent
   * before the timeout starts (it is not cut by it). Requests the fault does not hit get both.
   * @default none
   */
  readonly fault?: FaultInjection;
  /**
   * Also send a copy of each request here, fire-and-forget (`mirror`). Not with `mirrors`, and not to
   * a destination of `route` that takes a share of the requests (they would be processed twice).
   * @default no mirroring
   */
  readonly mirror?: RouteTarget;
  /** Share of requests copied to `mirror` (`mirrorPercentage.value`). @default 100 % */
  readonly mirrorPercentage?: Percent | number;
  /** Several mirror targets, each with its own share (`mirrors`). Not with `mirror`, and, like it, not to a weighted destination of `route`. @default none */
  readonly mirrors?: readonly MirrorPolicy[];
  /** Answer with a redirect (`redirect`). @default forward */
  readonly redirect?: HttpRedirect;
  /** Answer directly (`directResponse`). @default forward */
  readonly directResponse?: DirectResponse;
  /** Rewrite path or authority before forwarding (`rewrite`). @default unchanged */
  readonly rewrite?: HttpRewrite;
  /** CORS policy (`corsPolicy`). @default none */
  readonly corsPolicy?: CorsPolicy;
  /** Header changes for all destinations (`headers`). @default none */
  readonly headers?: HeaderPolicy;
}

/** True when `d` is an IRoutable (a service with subsets and ports) rather than a plain Destination. */
export function isRoutable(d: Destination | IRoutable): d is IRoutable {
  return Array.isArray((d as IRoutable).subsetNames) && Array.isArray((d as IRoutable).portNumbers);
}

/**
 * Validates one HttpRouteOptions and maps it to an Istio `HTTPRoute`. `field` prefixes every
 * field named in errors (e.g. `routes[1]` gives `routes[1].route[0].weight`).
 * @throws PropError naming `scope`'s construct path, the field and the bad value.
 */
export function translateHttpRoute(scope: IConstruct, o: HttpRouteOptions, field: string): VirtualServiceSpecHttp {
  checkAction(scope, o, field);
  if (o.mirror !== undefined && o.mirrors !== undefined) {
    throw new PropError('MP_INVALID_PROP', scope, `${field}.mirrors`, o.mirrors.length, 'expected either mirror or mirrors, not both');
  }
  if (o.mirrorPercentage !== undefined && o.mirror === undefined) {
    throw new PropError('MP_INVALID_PROP', scope, `${field}.mirrorPercentage`, o.mirrorPercentage, 'expected mirrorPercentage only together with mirror');
  }
  const http: VirtualServiceSpecHttp = {
    name: o.name,
    match: o.match === undefined ? undefined : translateRequestMatches(scope, o.match, `${field}.match`),
    route: o.route === undefined ? undefined : translateWeighted(scope, o.route, `${field}.route`),
    redirect: o.redirect === undefined ? undefined : translateRedirect(scope, o.redirect, `${field}.redirect`),
    directResponse: o.directResponse === undefined ? undefined : translateDirectResponse(scope, o.directResponse, `${field}.directResponse`),
    rewrite: o.rewrite === undefined ? undefined : translateRewrite(scope, o.rewrite, `${field}.rewrite`),
    timeout: o.timeout === undefined ? undefined : toDuration(o.timeout, scope, `${field}.timeout`).toIstio(),
    retries: o.retries === undefined ? undefined : translateRetries(scope, o.retries, `${field}.retries`),
    fault: o.fault === undefined ? undefined : translateFault(scope, o.fault, `${field}.fault`),
    mirror: o.mirror === undefined ? undefined : translateDestination(scope, o.mirror, `${field}.mirror`),
    mirrorPercentage: o.mirrorPercentage === undefined ? undefined : toPercent(o.mirrorPercentage, scope, `${field}.mirrorPercentage`).toIstio(),
    mirrors: o.mirrors === undefined ? undefined : o.mirrors.map((m, i) => translateMirror(scope, m, `${field}.mirrors[${i}]`)),
    corsPolicy: o.corsPolicy === undefined ? undefined : translateCors(scope, o.corsPolicy, `${field}.corsPolicy`),
    headers: o.headers === undefined ? undefined : translateHeaders(scope, o.headers, `${field}.headers`),
  };
  checkMirrorTakesNoWeightedTraffic(scope, http, field);
  return http;
}

/** Exactly one of route, redirect and directResponse; forwarding-only options need `route`. */
function checkAction(scope: IConstruct, o: HttpRouteOptions, field: string): void {
  const actions = (['route', 'redirect', 'directResponse'] as const).filter((k) => o[k] !== undefined);
  if (actions.length !== 1) {
    throw new PropError('MP_INVALID_PROP', scope, `${field}.route`, actions.length === 0 ? undefined : actions,
      'expected exactly one action: route (forward), redirect or directResponse');
  }
  if (o.route !== undefined && o.route.length === 0) {
    throw new PropError('MP_INVALID_PROP', scope, `${field}.route`, [], 'expected at least one destination');
  }
  if (o.route === undefined) {
    const forwardOnly = (['rewrite', 'mirror', 'mirrors', 'retries', 'timeout'] as const).find((k) => o[k] !== undefined);
    if (forwardOnly !== undefined) {
      throw new PropError('MP_INVALID_PROP', scope, `${field}.${forwardOnly}`, o[forwardOnly] as unknown,
        `expected ${forwardOnly} only on a route that forwards (has route), not with ${actions[0]}`);
    }
  }
}

/** Weighted destinations: integer weights 0..100, required and totalling 100 when there are several. */
function translateWeighted(scope: IConstruct, dests: readonly RouteDestination[], field: string): VirtualServiceSpecHttpRoute[] {
  const several = dests.length > 1;
  const out = dests.map((d, i): VirtualServiceSpecHttpRoute => {
    const f = `${field}[${i}]`;
    if (d.weight !== undefined || several) checkWeight(scope, `${f}.weight`, d.weight as number);
    return {
      destination: translateDestination(scope, d, `${f}.destination`),
      weight: d.weight,
      headers: d.headers === undefined ? undefined : translateHeaders(scope, d.headers, `${f}.headers`),
    };
  });
  if (several) checkWeightTotal(scope, field, dests.map((d) => d.weight as number));
  return out;
}

function translateMirror(scope: IConstruct, m: MirrorPolicy, field: string): VirtualServiceSpecHttpMirrors {
  return {
    destination: translateDestination(scope, m, `${field}.destination`),
    percentage: m.percentage === undefined ? undefined : toPercent(m.percentage, scope, `${field}.percentage`).toIstio(),
  };
}

/**
 * Maps a RouteTarget to an Istio `Destination`. For an IRoutable the subset must be one of its
 * subsets (else `MP_MISSING_VERSION`) and the port one of its ports; a multi-port routable needs a port.
 */
export function translateDestination(scope: IConstruct, t: RouteTarget, field: string): VirtualServiceSpecHttpRouteDestination {
  const d = t.destination;
  if (d === undefined || d === null || typeof d !== 'object') {
    throw new PropError('MP_INVALID_PROP', scope, `${field}.host`, d, 'expected a destination (an IRoutable or {host, subset?, port?})');
  }
  const host = checkHost(scope, `${field}.host`, d.host);
  const subset = t.subset ?? (isRoutable(d) ? undefined : d.subset);
  const port = t.port ?? (isRoutable(d) ? undefined : d.port);
  if (subset !== undefined) checkDnsLabel(scope, `${field}.subset`, subset);
  if (port !== undefined) checkPort(scope, `${field}.port`, port);
  if (isRoutable(d)) {
    if (subset !== undefined && !d.subsetNames.includes(subset)) {
      throw new PropError('MP_MISSING_VERSION', scope, `${field}.subset`, subset,
        `expected a subset of ${host}: ${d.subsetNames.length > 0 ? d.subsetNames.join(', ') : '(it defines none)'}`);
    }
    checkServicePort(scope, `${field}.port`, d, port);
  }
  return { host, subset, port: port === undefined ? undefined : { number: port } };
}

/**
 * Checks that `subset` is a DNS-1123 label (`MP_INVALID_NAME`) and one of the subsets `service`
 * defines (`MP_MISSING_VERSION`), naming `field` on error; for constructs that take subset names as props.
 */
export function checkSubset(scope: IConstruct, field: string, service: IRoutable, subset: string): string {
  if (subset === undefined || subset === null || subset === '') {
    throw new PropError('MP_MISSING_VERSION', scope, field, subset,
      `expected a subset (version) of ${service.host}: ${service.subsetNames.join(', ') || '(it defines none)'}`);
  }
  checkDnsLabel(scope, field, subset);
  if (!service.subsetNames.includes(subset)) {
    throw new PropError('MP_MISSING_VERSION', scope, field, subset,
      `expected a subset (version) of ${service.host}: ${service.subsetNames.join(', ') || '(it defines none)'}`);
  }
  return subset;
}

/**
 * Checks a port against the ports `service` serves (`MP_INVALID_PORT`); a service with several
 * ports needs one named, since Istio cannot pick.
 */
export function checkServicePort(scope: IConstruct, field: string, service: IRoutable, port: number | undefined): number | undefined {
  if (port !== undefined) checkPort(scope, field, port);
  if (port !== undefined && service.portNumbers.length > 0 && !service.portNumbers.includes(port)) {
    throw new PropError('MP_INVALID_PORT', scope, field, port, `expected a port of ${service.host}: ${service.portNumbers.join(', ')}`);
  }
  if (port === undefined && service.portNumbers.length > 1) {
    throw new PropError('MP_INVALID_PORT', scope, field, port,
      `expected a port: ${service.host} serves several (${service.portNumbers.join(', ')}), so the route must name one`);
  }
  return port;
}
