import { Lazy } from 'cdk8s';
import { Construct, type IConstruct } from 'constructs';
import { toJson_VirtualServiceSpec, VirtualService, type VirtualServiceSpec, type VirtualServiceSpecHttp } from '../../imports/networking.istio.io.js';
import { registerFieldMakers } from '../app/source-tracking.js';
import { PropError } from './_errors.js';
import { checkOverrideKeys } from './_overrides.js';
import { checkDnsLabel, checkExportTo, checkHost, checkObjectName } from './_validate.js';
import type { IRoutable } from './destination.js';
import { type HttpRouteOptions, translateHttpRoute } from './http-route.js';
import { checkPropKeys, type PropKeys } from './_prop-keys.js';
import { httpPortsOf } from './_port-routes.js';

/** Props of a RouteTable: one VirtualService. */
export interface RouteTableProps {
  /** Hosts the routes apply to (`hosts`): services, or host names (wildcards such as `*.example.com` allowed). */
  readonly hosts: ReadonlyArray<IRoutable | string>;
  /** Gateways (`<ns>/<name>`) and/or `mesh` whose proxies apply the routes (`gateways`). @default mesh (all sidecars) */
  readonly gateways?: readonly string[];
  /** Namespaces that can see this VirtualService (`exportTo`): `.`, `*` or namespace names, e.g. `['.']`; not empty (Istio reads `[]` as all). @default all namespaces */
  readonly exportTo?: readonly string[];
  /** Namespace of the VirtualService. @default the first service host's namespace, else the chart's */
  readonly namespace?: string;
  /** `metadata.name` of the VirtualService. @default the first service host's short name (`reviews`), else the construct id */
  readonly name?: string;
  /** The catch-all route, always rendered last. Must not have `match`. @default none */
  readonly defaultRoute?: HttpRouteOptions;
  /**
   * Require a catch-all route (one without `match`) when the table has matched routes, so no
   * request falls through to a 404 (`NR`). Checked at synth time. On a mesh table, a port only
   * routes matching other ports (or other clients, by `sourceLabels` / `sourceNamespace`) name needs none
   * (Istio keeps the service's default route there).
   * @default true
   */
  readonly requireDefaultRoute?: boolean;
  /**
   * Typed escape hatch: spec fields that replace the rendered ones, applied last. A key the spec
   * does not have, at any depth, is refused (`MP_INVALID_PROP`). @default none
   */
  readonly overrides?: Partial<VirtualServiceSpec>;
}

interface Entry {
  readonly http: VirtualServiceSpecHttp;
  /** Construct path of whoever added the route, for validation messages. */
  readonly origin: string;
  /** Whoever added the route (this table for addRoute/defaultRoute), for the promises `meshproof verify` checks. */
  readonly by: IConstruct;
  /** Call stack of `addRoute`, so a promise can name the line of the user's TypeScript that added the route. */
  readonly stack?: string;
}

/** One route of a RouteTable with who added it (see `RouteTable.routeOrigins`). */
export interface RouteOrigin {
  readonly http: VirtualServiceSpecHttp;
  /** The construct that added the route: a CanaryRelease, a HeaderSplit, or the table itself (addRoute, defaultRoute). */
  readonly by: IConstruct;
  /** The stack captured by `addRoute` (V8 format), when the route was added with it. */
  readonly stack?: string;
}

/** Every key of {@link RouteTableProps} (`checkPropKeys`). */
const PROP_KEYS: PropKeys<RouteTableProps> = { hosts: true, gateways: true, exportTo: true, namespace: true, name: true, defaultRoute: true, requireDefaultRoute: true, overrides: true };

/**
 * The routes for one or more hosts: an Istio VirtualService that several constructs (a
 * CanaryRelease, a HeaderSplit, ...) can add HTTP routes to. The spec renders lazily at synth
 * time, so routes added after construction are included.
 *
 * Order: Istio takes the first route that matches, so matched routes render first (in the order
 * added), then port catch-alls (routes whose only condition is `port`, as a per-port CanaryRelease
 * renders), then catch-all routes, then `defaultRoute`. A catch-all can therefore never shadow a
 * matched route, nor a route without `port` shadow one for a port: a port catch-all owns its port
 * and a catch-all serves the other ports. Reported at synth time as unreachable: a second port
 * catch-all for a port, a second catch-all, and a catch-all after port catch-alls that cover every
 * HTTP port of the table's services.
 */
export class RouteTable extends Construct {
  /** The L1 VirtualService this table renders into. */
  readonly virtualService: VirtualService;
  /** `metadata.name` of the VirtualService. */
  readonly name: string;
  /** Namespace of the VirtualService, when set explicitly or taken from a service host. */
  readonly namespace?: string;
  /** Hosts as rendered in `spec.hosts`. */
  readonly hosts: readonly string[];

  private readonly entries: Entry[] = [];
  private readonly defaultEntry?: Entry;
  private readonly props: RouteTableProps;

  constructor(scope: Construct, id: string, props: RouteTableProps) {
    super(scope, id);
    checkPropKeys(this, props, PROP_KEYS);
    this.props = props;
    if (!Array.isArray(props.hosts) || props.hosts.length === 0) {
      throw new PropError('MP_INVALID_HOST', this, 'hosts', props.hosts, 'expected at least one host');
    }
    this.hosts = props.hosts.map((h, i) => checkHost(this, `hosts[${i}]`, typeof h === 'string' ? h : h.host, { allowStar: true }));
    const firstService = props.hosts.find((h): h is IRoutable => typeof h !== 'string');
    this.name = checkObjectName(this, 'name', props.name ?? (firstService !== undefined ? firstService.host.split('.')[0]! : id),
      '; set `name` explicitly when the construct id is not one');
    this.namespace = props.namespace === undefined ? firstService?.namespace : checkDnsLabel(this, 'namespace', props.namespace);
    checkExportTo(this, 'exportTo', props.exportTo, this.namespace);
    checkOverrideKeys(this, 'overrides', props.overrides, toJson_VirtualServiceSpec, 'VirtualService spec');
    if (props.overrides !== undefined && 'exportTo' in props.overrides) checkExportTo(this, 'overrides.exportTo', props.overrides.exportTo, this.namespace);
    props.gateways?.forEach((g, i) => checkGatewayRef(this, `gateways[${i}]`, g));
    if (props.defaultRoute !== undefined) {
      if (props.defaultRoute.match !== undefined) {
        throw new PropError('MP_INVALID_PROP', this, 'defaultRoute.match', props.defaultRoute.match,
          'expected no match on the default route: it is the catch-all, rendered last');
      }
      this.defaultEntry = { http: translateHttpRoute(this, props.defaultRoute, 'defaultRoute'), origin: this.node.path, by: this };
    }

    this.virtualService = new VirtualService(this, 'Resource', {
      metadata: { name: this.name, ...(this.namespace !== undefined ? { namespace: this.namespace } : {}) },
      spec: Lazy.any({ produce: () => this.renderSpec() }),
    });
    this.node.addValidation({ validate: () => [...this.validateName(), ...this.validateRoutes()] });
    // The source map's per-route lines: the addRoute call, or the construct that added the route.
    registerFieldMakers(this.virtualService, () => (this.props.overrides?.http !== undefined ? {} : Object.fromEntries(
      this.ordered().map((e, i) => [`spec.http.${i}`, e.stack !== undefined ? { stack: e.stack } : { construct: e.by }]))));
  }

  /**
   * Validates and adds one HTTP route; errors name the field as `routes[<n>]...` where n counts
   * the routes added so far.
   * @returns the translated Istio route.
   */
  addRoute(options: HttpRouteOptions): VirtualServiceSpecHttp {
    const http = translateHttpRoute(this, options, `routes[${this.entries.length}]`);
    const holder: { stack?: string } = {};
    Error.captureStackTrace(holder, this.addRoute);
    this.entries.push({ http, origin: this.node.path, by: this, stack: holder.stack });
    return http;
  }

  /** Adds several routes in order. */
  addRoutes(...options: HttpRouteOptions[]): void {
    for (const o of options) this.addRoute(o);
  }

  /**
   * Adds a route already translated (and validated) by `translateHttpRoute`, for constructs that
   * validate their own props so errors name them. `origin` names the adding construct in
   * synth-time messages.
   */
  addHttpRoute(http: VirtualServiceSpecHttp, origin: IConstruct = this): void {
    this.entries.push({ http, origin: origin.node.path, by: origin });
  }

  /** The HTTP routes in rendered order, each with the construct that added it (for `meshproof verify`'s promises). */
  get routeOrigins(): RouteOrigin[] {
    return this.ordered().map((e) => ({ http: e.http, by: e.by, ...(e.stack !== undefined ? { stack: e.stack } : {}) }));
  }

  /** Names of the routes in the table so far (the default route's included), for constructs that generate route names. */
  get routeNames(): string[] {
    return this.ordered().flatMap((e) => (e.http.name !== undefined ? [e.http.name] : []));
  }

  /** The HTTP routes in rendered order (matched, then catch-alls, then the default route). */
  get httpRoutes(): VirtualServiceSpecHttp[] {
    return this.ordered().map((e) => e.http);
  }

  /** True when the VirtualService binds only the sidecars (`gateways` unset or `[mesh]`), where `match.port` names a service port. */
  get bindsSidecarsOnly(): boolean {
    return gatewaysKey(this.props.gateways) === 'mesh';
  }

  /** True when some route (or the default route) matches every request. */
  get hasCatchAll(): boolean {
    return this.ordered().some((e) => isCatchAll(e.http));
  }

  private ordered(): Entry[] {
    const matched = this.entries.filter((e) => !isCatchAll(e.http) && portsCaught(e.http) === undefined);
    const portCatchAll = this.entries.filter((e) => portsCaught(e.http) !== undefined);
    const catchAll = this.entries.filter((e) => isCatchAll(e.http));
    return [...matched, ...portCatchAll, ...catchAll, ...(this.defaultEntry !== undefined ? [this.defaultEntry] : [])];
  }

  /** HTTP ports of the service hosts, or undefined when a host is a plain name whose ports the table cannot know. */
  private hostHttpPorts(): number[] | undefined {
    if (this.props.hosts.some((h) => typeof h === 'string')) return undefined;
    return [...new Set((this.props.hosts as readonly IRoutable[]).flatMap((h) => httpPortsOf(h)))].sort((a, b) => a - b);
  }

  private renderSpec(): VirtualServiceSpec {
    const p = this.props;
    const http = this.httpRoutes;
    return {
      hosts: [...this.hosts],
      gateways: p.gateways === undefined ? undefined : [...p.gateways],
      exportTo: p.exportTo === undefined ? undefined : [...p.exportTo],
      http: http.length > 0 ? http : undefined,
      ...p.overrides,
    };
  }

  /**
   * Another RouteTable of the app rendering a VirtualService of the same namespace and name (two
   * tables for one service both default to its short name): reported on every table after the first.
   */
  private validateName(): string[] {
    const namespace = this.virtualService.metadata.namespace;
    const same = this.node.root.node.findAll().filter((c): c is RouteTable => c instanceof RouteTable
      && c.name === this.name && c.virtualService.metadata.namespace === namespace);
    if (same.length < 2 || same[0] === this) return [];
    const first = same[0]!;
    // Composing into the first table is a fix only when both bind the same proxies: a mesh route added to a gateway's table stops applying to sidecars.
    const compose = gatewaysKey(first.props.gateways) === gatewaysKey(this.props.gateways)
      ? `Add these routes to that table (pass ${first.node.path} as the routeTable prop, or call its addRoute), or give`
      : `The two tables bind different gateways (${gatewaysKey(first.props.gateways)}; ${gatewaysKey(this.props.gateways)}), so give`;
    return [`VirtualService ${namespace !== undefined ? `${namespace}/` : ''}${this.name} is also rendered by ${first.node.path}: `
      + `kubectl apply keeps only one of them. ${compose} one table another name (RouteTable's name prop; `
      + 'a CanaryRelease or HeaderSplit names its own table after the service, so create a RouteTable with a name and pass it as their routeTable)'];
  }

  private validateRoutes(): string[] {
    const routes = this.ordered();
    if (routes.length === 0 && this.props.overrides?.http === undefined) {
      return [`VirtualService ${this.name} has no routes; Istio rejects it. Add a route (addRoute) or a defaultRoute`];
    }
    const errors: string[] = [];
    const catchAlls = routes.filter((e) => isCatchAll(e.http));
    const { caught, errors: portErrors } = this.portCatchAlls(routes);
    errors.push(...portErrors);
    const ports = this.hostHttpPorts();
    const uncaught = ports?.filter((p) => !caught.has(p));
    const allPortsCaught = uncaught !== undefined && ports!.length > 0 && uncaught.length === 0;
    // On a sidecar, a port (or a client) no route applies on (every match names another port, other clients by
    // sourceLabels / sourceNamespace, or gateways without mesh) keeps the service's default route: istiod builds no
    // virtual host from the VirtualService there (BuildSidecarVirtualHostWrapper). A route left only with those
    // conditions takes every request of the clients it applies to.
    const perPort = uncaught !== undefined && ports!.length > 0 && this.bindsSidecarsOnly;
    const clients = clientsOf(routes.map((e) => e.http));
    const unrouted = perPort ? uncaught.filter((p) => clients.some((c) => {
      const applied = routes.filter((e) => appliesOn(e.http, p, c));
      return applied.length > 0 && !applied.some((e) => isCatchAll(e.http) || e.http.match!.some((m) => matchAppliesOn(m, p, c) && onlySourceConditions(m)));
    })) : uncaught;
    const falls = perPort ? unrouted!.length > 0 : !allPortsCaught;
    if (catchAlls.length === 0 && falls && this.props.requireDefaultRoute !== false) {
      const which = caught.size > 0 && unrouted !== undefined
        ? ` (port-only routes catch port ${[...caught].sort((a, b) => a - b).join(', ')}; nothing catches port ${unrouted.join(', ')})` : '';
      errors.push(`VirtualService ${this.name} has only matched routes, so other requests get 404 (NR)${which}. `
        + 'Add a route without match (e.g. a defaultRoute or a defaultSubset), a route for each other port, or set requireDefaultRoute: false');
    }
    if (allPortsCaught && catchAlls.length > 0) {
      const first = catchAlls[0]!;
      errors.push(`route ${label(first)} (added by ${first.origin}) is unreachable: routes matching only a port catch every HTTP port `
        + `of ${this.hosts.join(', ')} (${ports!.join(', ')}) before it. Remove it, or give one of those routes more conditions`);
    }
    // Istio accepts duplicate route names, but access logs, Envoy stats and verify's promises could not tell the routes apart.
    const named = new Map<string, Entry>();
    for (const e of routes) {
      if (e.http.name === undefined) continue;
      const first = named.get(e.http.name);
      if (first === undefined) { named.set(e.http.name, e); continue; }
      errors.push(`route name ${label(e)} is used twice in VirtualService ${this.name} (added by ${first.origin} and by ${e.origin}): `
        + 'access logs, Envoy stats and meshproof verify\'s promises cannot tell the two routes apart. Give one of them another name');
    }
    for (const extra of catchAlls.slice(1)) {
      errors.push(`route ${label(extra)} (added by ${extra.origin}) is unreachable: `
        + `it follows catch-all route ${label(catchAlls[0]!)} (added by ${catchAlls[0]!.origin}). Keep one route without match`);
    }
    return errors;
  }

  /** The ports caught by port catch-alls, and a message for each one whose ports an earlier one already caught (a release of one port twice). */
  private portCatchAlls(routes: readonly Entry[]): { caught: Set<number>; errors: string[] } {
    const caught = new Map<number, Entry>();
    const errors: string[] = [];
    for (const e of routes) {
      const ports = portsCaught(e.http);
      if (ports === undefined) continue;
      const before = [...ports].map((p) => caught.get(p));
      if (before.every((b) => b !== undefined)) {
        const first = before[0]!;
        errors.push(`route ${label(e)} (added by ${e.origin}) is unreachable: it follows route ${label(first)} (added by ${first.origin}), `
          + `which already takes every request to port ${[...ports].join(', ')}. Keep one route per port without other conditions `
          + '(two CanaryReleases or HeaderSplit defaults for one port of a service cannot both apply)');
      }
      for (const p of ports) if (!caught.has(p)) caught.set(p, e);
    }
    return { caught: new Set(caught.keys()), errors };
  }
}

/** The ports a route catches whole: every match names a port and nothing else (`name` aside); undefined otherwise. */
function portsCaught(http: VirtualServiceSpecHttp): ReadonlySet<number> | undefined {
  const matches = http.match ?? [];
  if (matches.length === 0) return undefined;
  const onlyPort = matches.every((m) => m.port !== undefined && Object.entries(m).every(([k, v]) => k === 'port' || k === 'name' || v === undefined));
  return onlyPort ? new Set(matches.map((m) => m.port!)) : undefined;
}

/** A sidecar client as far as `sourceLabels` and `sourceNamespace` tell clients apart. */
interface Client { readonly labels: Readonly<Record<string, string>>; readonly namespace?: string }

type Match = NonNullable<VirtualServiceSpecHttp['match']>[number];

/** The clients the routes' source conditions tell apart: one that none selects, and one carrying exactly each condition written. */
function clientsOf(routes: readonly VirtualServiceSpecHttp[]): Client[] {
  const out: Client[] = [{ labels: {} }];
  for (const m of routes.flatMap((h) => h.match ?? [])) {
    if (m.sourceLabels !== undefined || m.sourceNamespace !== undefined) out.push({ labels: { ...m.sourceLabels }, namespace: m.sourceNamespace });
  }
  return out;
}

/**
 * Whether istiod keeps match entry `m` in the sidecar route configuration of `port` for `client` (route.go TranslateRoute,
 * sourceMatchHTTP): its port is unset or `port`, and its gateways include mesh, else its sourceLabels and sourceNamespace hold.
 */
function matchAppliesOn(m: Match, port: number, client: Client): boolean {
  if (m.port !== undefined && m.port !== port) return false;
  if (m.gateways !== undefined && m.gateways.length > 0) return m.gateways.includes('mesh');
  const labels = Object.entries(m.sourceLabels ?? {});
  return labels.every(([k, v]) => client.labels[k] === v) && (m.sourceNamespace === undefined || m.sourceNamespace === client.namespace);
}

/** Whether istiod puts a route on `port`'s route configuration for `client`: it has no match, or a match that applies there. */
function appliesOn(http: VirtualServiceSpecHttp, port: number, client: Client): boolean {
  return isCatchAll(http) || http.match!.some((m) => matchAppliesOn(m, port, client));
}

/** Whether a match entry has no condition but the ones istiod decides before building the route (port, gateways, source). */
function onlySourceConditions(m: Match): boolean {
  return Object.entries(m).every(([k, v]) => v === undefined || ['name', 'port', 'gateways', 'sourceLabels', 'sourceNamespace'].includes(k));
}

function isCatchAll(http: VirtualServiceSpecHttp): boolean {
  return http.match === undefined || http.match.length === 0;
}

function label(e: Entry): string {
  return e.http.name !== undefined ? JSON.stringify(e.http.name) : '(unnamed)';
}

/** The gateways a table binds, in a stable order for comparison and messages (`mesh` when unset, Istio's default). */
function gatewaysKey(gateways: readonly string[] | undefined): string {
  return gateways === undefined || gateways.length === 0 ? 'mesh' : [...gateways].sort().join(', ');
}

/** `mesh`, `<name>` or `<namespace>/<name>` of a Gateway (VirtualService `gateways`). */
function checkGatewayRef(scope: IConstruct, field: string, value: string): string {
  const parts = typeof value === 'string' ? value.split('/') : [];
  const ok = parts.length >= 1 && parts.length <= 2 && parts.every((p) => /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(p) && p.length <= 253);
  if (!ok) {
    throw new PropError('MP_INVALID_NAME', scope, field, value, 'expected "mesh", a Gateway name, or "<namespace>/<gateway name>"');
  }
  return value;
}
