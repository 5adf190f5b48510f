import { Construct } from 'constructs';
import type { VirtualServiceSpecHttp } from '../../imports/networking.istio.io.js';
import { PropError } from './_errors.js';
import { checkHeaderName, checkWeight } from './_validate.js';
import type { IRoutable } from './destination.js';
import { type Duration, toDuration } from './duration.js';
import { type RequestMatch, type RetryPolicy, checkServicePort, checkSubset, translateHttpRoute, translateRetries } from './http-route.js';
import { Percent, toPercent } from './percent.js';
import { RouteTable } from './route-table.js';
import { matchPortOf, onPort } from './_port-routes.js';
import { routeNamer } from './_route-names.js';
import { StringMatch, toStringMatch } from './string-match.js';
import { checkPropKeys, type PropKeys } from './_prop-keys.js';

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

/** A version that receives fire-and-forget copies of the split route's requests (Istio `mirror` + `mirrorPercentage`). */
export interface CanaryMirror {
  /**
   * Subset (version) receiving the copies, e.g. `v3`: one of the service's subsets that takes no
   * weighted traffic from the split (not the stable, unless canaryWeight is 100; the canary only
   * while canaryWeight is 0).
   */
  readonly subset: string;
  /** Share of the split route's requests copied, 0 to 100, fractions allowed (`mirrorPercentage.value`). @default 100 % */
  readonly percent?: Percent | number;
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
   * Shadow phase: also copy this share of the split route's requests to the canary, fire-and-forget
   * (`mirror` + `mirrorPercentage`), as Flagger's blue/green mirroring does before any traffic shifts.
   * Mirrored requests carry a `-shadow` Host suffix and their responses are dropped. Only while
   * `canaryWeight` is 0: Istio mirrors every request of the route before the weighted pick, so a
   * canary that also takes weighted traffic would process those requests twice (refused with
   * `MP_INVALID_PROP`). To keep mirroring while the canary takes traffic, use `mirror` with another version.
   * @default no mirroring
   */
  readonly mirrorToCanary?: Percent | number;
  /**
   * Copy requests of the split route to a version that serves none of them, e.g. the next release
   * `v3` while `v2` is the weighted canary (`mirror` + `mirrorPercentage`). Not with `mirrorToCanary`.
   * @default no mirroring
   */
  readonly mirror?: CanaryMirror;
  /**
   * Service port (the Service's `port`, not the pods' `targetPort`) the release is for: the routes
   * send requests to it (`destination.port.number`) and, when the service serves HTTP on several
   * ports, apply only to requests to it (`match.port`, Istio `HTTPMatchRequest.port`: istiod then
   * adds them to that port's route configuration only). So releases of different ports of one
   * service compose in one `routeTable`; the same port twice is refused at synth time (the second
   * split is unreachable). A port the service does not serve is refused (`MP_INVALID_PORT`, naming
   * its ports). Required when the service has several ports.
   *
   * Order: the per-port routes render after every matched route of the table and before any route
   * without match, so a route without `port` (a RouteTable `defaultRoute`, say) serves the other
   * ports and never shadows this release on its port.
   *
   * No `match.port` is rendered when the table binds a gateway (there `match.port` is the gateway's
   * listener port), so per-port releases need a mesh table.
   * @default the service's only port
   */
  readonly port?: number;
  /** Request timeout on the canary routes (`timeout`). @default disabled */
  readonly timeout?: Duration | string;
  /** Retry policy on the canary routes (`retries`). @default the mesh default */
  readonly retries?: RetryPolicy;
  /** Route table to add the routes to, shared with other constructs. @default a new RouteTable for the service */
  readonly routeTable?: RouteTable;
  /** Prefix of the route names (`<name>-pinned`, `<name>-split`; `-2`, `-3`… added when `routeTable` already has the name). @default the construct id */
  readonly name?: string;
}

/** Every key of {@link CanaryReleaseProps} (`checkPropKeys`). */
const PROP_KEYS: PropKeys<CanaryReleaseProps> = { service: true, stable: true, canary: true, canaryWeight: true, pinCanary: true, mirrorToCanary: true, mirror: true, port: true, timeout: true, retries: true, routeTable: true, name: true };

/**
 * A canary release of one service: a weighted split between a stable and a canary subset,
 * optionally with requests pinned to the canary by header or cookie, and optionally mirroring
 * traffic — to the canary while it takes no weighted share (the shadow phase), or to another version
 * (`mirror`) while it does — all in one route table, which Flagger cannot combine. A mirror never
 * targets a subset the split sends requests to, so no request is processed twice.
 *
 * Renders a pinned route (`<name>-pinned`, matched, so ordered first) and a split route
 * (`<name>-split`, catch-all, or the catch-all of its port: see `port`) into `routeTable`.
 */
export class CanaryRelease extends Construct {
  /** The route table holding the routes (the given one, or one created for the service). */
  readonly routeTable: RouteTable;
  /** The matched route sending pinned requests to the canary, when `pinCanary` is set. */
  readonly pinnedRoute?: VirtualServiceSpecHttp;
  /** The route splitting traffic between stable and canary: the catch-all, or the catch-all of `port` (`match: [{ port }]`). */
  readonly splitRoute: VirtualServiceSpecHttp;

  constructor(scope: Construct, id: string, props: CanaryReleaseProps) {
    super(scope, id);
    checkPropKeys(this, props, PROP_KEYS);
    const { service } = props;
    const stable = checkSubset(this, 'stable', service, props.stable);
    const canary = checkSubset(this, 'canary', service, props.canary);
    if (stable === canary) {
      throw new PropError('MP_INVALID_PROP', this, 'canary', canary, `expected a subset other than the stable one (${stable})`);
    }
    const weight = checkWeight(this, 'canaryWeight', props.canaryWeight);
    const port = checkServicePort(this, 'port', service, props.port);
    const pinMatch = props.pinCanary === undefined ? undefined : this.pinMatch(props.pinCanary);
    const mirror = this.mirrorOf(props, service, stable, canary, weight);
    // Validated here so errors name this construct's props rather than a route field.
    const timeout = props.timeout === undefined ? undefined : toDuration(props.timeout, this, 'timeout');
    if (props.retries !== undefined) translateRetries(this, props.retries, 'retries');
    // `<name>-pinned` and `<name>-split`, or `-2`, `-3`… after them when the given table already has the name.
    const unique = routeNamer(props.routeTable?.routeNames ?? []);
    const name = props.name ?? id;
    const forwarding = { timeout, retries: props.retries };
    const target = { destination: service, port };
    const matchPort = matchPortOf(service, port, props.routeTable);

    if (pinMatch !== undefined) {
      this.pinnedRoute = translateHttpRoute(this, {
        name: unique(`${name}-pinned`), match: onPort(this, () => 'pinCanary', [pinMatch], matchPort), route: [{ ...target, subset: canary }], ...forwarding,
      }, 'pinCanary');
    }
    this.splitRoute = translateHttpRoute(this, {
      name: unique(`${name}-split`),
      match: matchPort === undefined ? undefined : onPort(this, () => 'port', [], matchPort),
      route: [{ ...target, subset: stable, weight: 100 - weight }, { ...target, subset: canary, weight }],
      mirror: mirror === undefined ? undefined : { ...target, subset: mirror.subset },
      mirrorPercentage: mirror?.percent,
      ...forwarding,
    }, 'canaryWeight');

    this.routeTable = props.routeTable ?? new RouteTable(this, 'Routes', { hosts: [service] });
    if (this.pinnedRoute !== undefined) this.routeTable.addHttpRoute(this.pinnedRoute, this);
    this.routeTable.addHttpRoute(this.splitRoute, this);
  }

  /** The mirror subset and share from `mirrorToCanary` or `mirror`, refusing any target the split sends requests to. */
  private mirrorOf(props: CanaryReleaseProps, service: IRoutable, stable: string, canary: string, weight: number): { subset: string; percent: Percent } | undefined {
    if (props.mirrorToCanary !== undefined && props.mirror !== undefined) {
      throw new PropError('MP_INVALID_PROP', this, 'mirror', props.mirror.subset,
        'expected either mirrorToCanary (shadow the canary while canaryWeight is 0) or mirror (shadow another version), not both');
    }
    const others = service.subsetNames.filter((s) => s !== stable && s !== canary);
    const otherVersion = others.length > 0 ? `mirror: { subset: '${others[0]}' }` : 'mirror: { subset: \'<next version>\' } (add that version to the service)';
    if (props.mirrorToCanary !== undefined) {
      const percent = toPercent(props.mirrorToCanary, this, 'mirrorToCanary');
      if (weight > 0) {
        throw new PropError('MP_INVALID_PROP', this, 'mirrorToCanary', percent,
          `expected mirrorToCanary only while canaryWeight is 0 (the shadow phase): with canaryWeight ${weight} the canary ${canary} serves ` +
          `${weight} % of requests and would receive their mirrored copies too, processing them twice. Set canaryWeight: 0 to shadow ` +
          `${canary} before shifting traffic, or keep the split and mirror a version that serves no traffic: ${otherVersion}`);
      }
      return { subset: canary, percent };
    }
    if (props.mirror === undefined) return undefined;
    const subset = checkSubset(this, 'mirror.subset', service, props.mirror.subset);
    const percent = props.mirror.percent === undefined ? undefined : toPercent(props.mirror.percent, this, 'mirror.percent');
    const served = subset === stable ? 100 - weight : subset === canary ? weight : 0;
    if (served > 0) {
      throw new PropError('MP_INVALID_PROP', this, 'mirror.subset', subset,
        `expected a version the split sends no requests to: ${subset} is the ${subset === stable ? 'stable' : 'canary'} and serves ${served} % ` +
        `of them, which would be processed twice (served and mirrored). Mirror another version: ${otherVersion}` +
        (subset === canary ? '; or shadow the canary with canaryWeight: 0' : ''));
    }
    return { subset, percent: percent ?? Percent.ALL };
  }

  private pinMatch(pin: HeaderPin | CookiePin): RequestMatch {
    if ('header' in pin) {
      checkHeaderName(this, 'pinCanary.header', pin.header);
      const value = toStringMatch(pin.value, this, 'pinCanary.value');
      value.toIstio(this, 'pinCanary.value');
      return { headers: { [pin.header]: value } };
    }
    if ('cookie' in pin) return { cookie: { name: pin.cookie, value: pin.value } };
    throw new PropError('MP_INVALID_PROP', this, 'pinCanary', pin, 'expected {header, value} or {cookie, value}');
  }
}
