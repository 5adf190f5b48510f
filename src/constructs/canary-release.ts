import { Construct } from 'constructs';
import type { VirtualServiceSpecHttp } from '../../imports/networking.istio.io.js';
import { PropError } from './_errors.js';
import { checkHeaderName, checkWeight } from './_validate.js';
import type { IRoutable } from './destination.js';
import { type Duration, toDuration } from './duration.js';
import { type RequestMatch, type RetryPolicy, checkServicePort, checkSubset, translateHttpRoute, translateRetries } from './http-route.js';
import { type Percent, toPercent } from './percent.js';
import { RouteTable } from './route-table.js';
import { StringMatch } from './string-match.js';

/** Requests carrying this header value always go to the canary. */
export interface HeaderPin {
  /** Lower-case header name, e.g. `x-canary`. */
  readonly header: string;
  /** Header value; a bare string is an exact match. */
  readonly value: StringMatch | string;
}

/** Requests carrying this cookie value always go to the canary. */
export interface CookiePin {
  /** Cookie name, e.g. `canary`. */
  readonly cookie: string;
  /** Cookie value; a bare string is an exact match. */
  readonly value: StringMatch | string;
}

/** Props of a CanaryRelease. */
export interface CanaryReleaseProps {
  /** The service released (a MeshService or any IRoutable with subsets). */
  readonly service: IRoutable;
  /** Subset (version) serving most traffic, e.g. `v1`. Must be one of the service's subsets. */
  readonly stable: string;
  /** Subset (version) under test, e.g. `v2`. Must be one of the service's subsets. */
  readonly canary: string;
  /** Share of unpinned requests sent to the canary, an integer from 0 to 100 (route `weight`). */
  readonly canaryWeight: number;
  /** Requests matching this header or cookie always go to the canary (a matched route before the split). @default none */
  readonly pinCanary?: HeaderPin | CookiePin;
  /**
   * Also copy this share of the split route's requests to the canary, fire-and-forget
   * (`mirror` + `mirrorPercentage`). Mirrored requests carry a `-shadow` Host suffix.
   * @default no mirroring
   */
  readonly mirrorToCanary?: Percent | number;
  /** Service port to route to (`destination.port.number`). @default the service's only port */
  readonly port?: number;
  /** Request timeout on the canary routes (`timeout`). @default disabled */
  readonly timeout?: Duration | string;
  /** Retry policy on the canary routes (`retries`). @default the mesh default */
  readonly retries?: RetryPolicy;
  /** Route table to add the routes to, shared with other constructs. @default a new RouteTable for the service */
  readonly routeTable?: RouteTable;
  /** Prefix of the route names (`<name>-pinned`, `<name>-split`). @default the construct id */
  readonly name?: string;
}

/**
 * A canary release of one service: a weighted split between a stable and a canary subset,
 * optionally with requests pinned to the canary by header or cookie, and optionally mirroring
 * traffic to the canary — all in one route table, which Flagger cannot combine.
 *
 * Renders a pinned route (`<name>-pinned`, matched, so ordered first) and a split route
 * (`<name>-split`, catch-all) into `routeTable`.
 */
export class CanaryRelease extends Construct {
  /** The route table holding the routes (the given one, or one created for the service). */
  readonly routeTable: RouteTable;
  /** The matched route sending pinned requests to the canary, when `pinCanary` is set. */
  readonly pinnedRoute?: VirtualServiceSpecHttp;
  /** The catch-all route splitting traffic between stable and canary. */
  readonly splitRoute: VirtualServiceSpecHttp;

  constructor(scope: Construct, id: string, props: CanaryReleaseProps) {
    super(scope, id);
    const { service } = props;
    const stable = checkSubset(this, 'stable', service, props.stable);
    const canary = checkSubset(this, 'canary', service, props.canary);
    if (stable === canary) {
      throw new PropError('MP_INVALID_PROP', this, 'canary', canary, `expected a subset other than the stable one (${stable})`);
    }
    const weight = checkWeight(this, 'canaryWeight', props.canaryWeight);
    const port = checkServicePort(this, 'port', service, props.port);
    const pinMatch = props.pinCanary === undefined ? undefined : this.pinMatch(props.pinCanary);
    const mirror = props.mirrorToCanary === undefined ? undefined : toPercent(props.mirrorToCanary, this, 'mirrorToCanary');
    // Validated here so errors name this construct's props rather than a route field.
    const timeout = props.timeout === undefined ? undefined : toDuration(props.timeout, this, 'timeout');
    if (props.retries !== undefined) translateRetries(this, props.retries, 'retries');
    const name = props.name ?? id;
    const forwarding = { timeout, retries: props.retries };
    const target = { destination: service, port };

    if (pinMatch !== undefined) {
      this.pinnedRoute = translateHttpRoute(this, {
        name: `${name}-pinned`, match: [pinMatch], route: [{ ...target, subset: canary }], ...forwarding,
      }, 'pinCanary');
    }
    this.splitRoute = translateHttpRoute(this, {
      name: `${name}-split`,
      route: [{ ...target, subset: stable, weight: 100 - weight }, { ...target, subset: canary, weight }],
      mirror: mirror === undefined ? undefined : { ...target, subset: canary },
      mirrorPercentage: mirror,
      ...forwarding,
    }, 'canaryWeight');

    this.routeTable = props.routeTable ?? new RouteTable(this, 'Routes', { hosts: [service] });
    if (this.pinnedRoute !== undefined) this.routeTable.addHttpRoute(this.pinnedRoute, this);
    this.routeTable.addHttpRoute(this.splitRoute, this);
  }

  private pinMatch(pin: HeaderPin | CookiePin): RequestMatch {
    if ('header' in pin) {
      checkHeaderName(this, 'pinCanary.header', pin.header);
      const value = typeof pin.value === 'string' ? StringMatch.exact(pin.value) : pin.value;
      value.toIstio(this, 'pinCanary.value');
      return { headers: { [pin.header]: value } };
    }
    if ('cookie' in pin) return { cookie: { name: pin.cookie, value: pin.value } };
    throw new PropError('MP_INVALID_PROP', this, 'pinCanary', pin, 'expected {header, value} or {cookie, value}');
  }
}
