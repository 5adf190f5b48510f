import { Construct } from 'constructs';
import type { VirtualServiceSpecHttp } from '../../imports/networking.istio.io.js';
import { PropError } from './_errors.js';
import type { IRoutable } from './destination.js';
import { type Duration, toDuration } from './duration.js';
import {
  type RequestMatch, type RetryPolicy, type RouteTarget,
  checkServicePort, checkSubset, translateDestination, translateHttpRoute, translateRetries,
} from './http-route.js';
import { RouteTable } from './route-table.js';
import { matchPortOf, onPort } from './_port-routes.js';
import { routeNamer } from './_route-names.js';
import { checkPropKeys, type PropKeys } from './_prop-keys.js';

/** One rule of a HeaderSplit: requests matching it go to `subset`. */
export interface HeaderSplitRule {
  /** Route name (`name`). @default `<split name>-<subset>`, with `-2`, `-3`… when another route already has that name */
  readonly name?: string;
  /**
   * Conditions on headers, cookie, query parameters, URI or method. Conditions inside one
   * RequestMatch are ANDed; a list of RequestMatch is ORed. Must not be empty.
   */
  readonly match: RequestMatch | readonly RequestMatch[];
  /** Subset (version) of the service these requests go to. */
  readonly subset: string;
}

/** Props of a HeaderSplit. */
export interface HeaderSplitProps {
  /** The service whose subsets the rules route to. */
  readonly service: IRoutable;
  /** Rules in priority order: the first that matches wins. */
  readonly rules: readonly HeaderSplitRule[];
  /**
   * Subset for requests no rule matches (the catch-all route `<name>-default`, `-2`… added when a rule or `routeTable` has that name). One of
   * `defaultSubset` and `defaultDestination` is required unless `routeTable` is given, in which
   * case another construct may supply the table's catch-all (checked at synth time).
   * @default none
   */
  readonly defaultSubset?: string;
  /** Destination (possibly another service) for requests no rule matches, instead of `defaultSubset`. @default none */
  readonly defaultDestination?: RouteTarget;
  /**
   * Service port (the Service's `port`, not the pods' `targetPort`) the split is for: the routes send
   * requests to it (`destination.port.number`) and, when the service serves HTTP on several ports,
   * apply only to requests to it: every match of every rule gets `port` (Istio
   * `HTTPMatchRequest.port`), and the default route becomes `match: [{ port }]`. So splits (or
   * CanaryReleases) of different ports compose in one `routeTable`; two defaults for one port are
   * refused at synth time. A rule match naming another port, or a port the service does not serve,
   * is refused (`MP_INVALID_PORT`). Required when the service has several ports. The per-port default
   * renders after every matched route and before routes without match; on a table binding a gateway
   * no `match.port` is rendered (it would name the gateway's port). `defaultDestination` is routed as
   * given, its own port included.
   * @default the service's only port
   */
  readonly port?: number;
  /** Request timeout on the split's routes (`timeout`). @default disabled */
  readonly timeout?: Duration | string;
  /** Retry policy on the split's routes (`retries`). @default the mesh default */
  readonly retries?: RetryPolicy;
  /** Route table to add the routes to, shared with other constructs. @default a new RouteTable for the service */
  readonly routeTable?: RouteTable;
  /** Prefix of the route names. @default the construct id */
  readonly name?: string;
}

/** Every key of {@link HeaderSplitProps} (`checkPropKeys`). */
const PROP_KEYS: PropKeys<HeaderSplitProps> = { service: true, rules: true, defaultSubset: true, defaultDestination: true, port: true, timeout: true, retries: true, routeTable: true, name: true };

/**
 * Content-based routing of one service: requests matching a rule (by header, cookie, query
 * parameter, URI or method) go to that rule's subset, everything else to the default. Each rule
 * is one matched route, so they render before any catch-all in a shared RouteTable.
 */
export class HeaderSplit extends Construct {
  /** The route table holding the routes (the given one, or one created for the service). */
  readonly routeTable: RouteTable;
  /** The matched routes, one per rule, in order. */
  readonly ruleRoutes: readonly VirtualServiceSpecHttp[];
  /** The catch-all route (of `port`, when per-port), when `defaultSubset` or `defaultDestination` is set. */
  readonly defaultRoute?: VirtualServiceSpecHttp;

  constructor(scope: Construct, id: string, props: HeaderSplitProps) {
    super(scope, id);
    checkPropKeys(this, props, PROP_KEYS);
    const { service } = props;
    const name = props.name ?? id;
    const port = checkServicePort(this, 'port', service, props.port);
    const matchPort = matchPortOf(service, port, props.routeTable);
    const timeout = props.timeout === undefined ? undefined : toDuration(props.timeout, this, 'timeout');
    if (props.retries !== undefined) translateRetries(this, props.retries, 'retries');
    const forwarding = { timeout, retries: props.retries };

    if (!Array.isArray(props.rules) || props.rules.length === 0) {
      throw new PropError('MP_INVALID_PROP', this, 'rules', props.rules, 'expected at least one rule; for a plain route use a RouteTable');
    }
    // Default names are `<name>-<subset>`; a rule without a name whose default is taken (another
    // rule to the subset, an explicit name, a route of the given table, the default route) gets `-2`,
    // `-3`…, so route names (access logs, proofs, source lines) stay apart. The default route is
    // `<name>-default` unless the table already has that name.
    const taken = [...(props.routeTable?.routeNames ?? []), ...props.rules.flatMap((r) => (typeof r?.name === 'string' ? [r.name] : []))];
    const defaultName = routeNamer(taken)(`${name}-default`);
    const unique = routeNamer([...taken, defaultName]);
    this.ruleRoutes = props.rules.map((rule, i) => {
      const subset = checkSubset(this, `rules[${i}].subset`, service, rule.subset);
      const given: readonly RequestMatch[] = Array.isArray(rule.match) ? rule.match : [rule.match as RequestMatch];
      if (given.length === 0) {
        throw new PropError('MP_INVALID_PROP', this, `rules[${i}].match`, [], 'expected at least one match; use defaultSubset for the catch-all');
      }
      const match = onPort(this, (m) => (Array.isArray(rule.match) ? `rules[${i}].match[${m}]` : `rules[${i}].match`), given, matchPort);
      return translateHttpRoute(this, {
        name: rule.name ?? unique(`${name}-${subset}`), match, route: [{ destination: service, subset, port }], ...forwarding,
      }, `rules[${i}]`);
    });

    const target = this.defaultTarget(props, port);
    if (target !== undefined) {
      const match = matchPort === undefined ? undefined : onPort(this, () => 'port', [], matchPort);
      this.defaultRoute = translateHttpRoute(this, { name: defaultName, match, route: [target], ...forwarding }, 'default');
    }

    this.routeTable = props.routeTable ?? new RouteTable(this, 'Routes', { hosts: [service] });
    for (const r of this.ruleRoutes) this.routeTable.addHttpRoute(r, this);
    if (this.defaultRoute !== undefined) this.routeTable.addHttpRoute(this.defaultRoute, this);
  }

  private defaultTarget(props: HeaderSplitProps, port: number | undefined): RouteTarget | undefined {
    if (props.defaultSubset !== undefined && props.defaultDestination !== undefined) {
      throw new PropError('MP_INVALID_PROP', this, 'defaultDestination', props.defaultDestination.destination.host,
        'expected either defaultSubset or defaultDestination, not both');
    }
    if (props.defaultSubset !== undefined) {
      return { destination: props.service, subset: checkSubset(this, 'defaultSubset', props.service, props.defaultSubset), port };
    }
    if (props.defaultDestination !== undefined) {
      translateDestination(this, props.defaultDestination, 'defaultDestination');
      return props.defaultDestination;
    }
    if (props.routeTable === undefined) {
      throw new PropError('MP_INVALID_PROP', this, 'defaultSubset', undefined,
        'expected defaultSubset or defaultDestination: without a shared routeTable the split needs its own default route');
    }
    return undefined;
  }
}
