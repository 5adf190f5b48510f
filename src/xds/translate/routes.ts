/**
 * Route configurations: sidecar outbound RDS per HTTP port (`"<port>"`), proxyless-gRPC RDS per
 * host and port (`"<fqdn>:<port>"`), and gateway RDS (`http.<listener port>`, and
 * `https.<port>.<port name>.<gateway>.<namespace>` for each TLS-terminating server), as istiod names them.
 */
import { createMessage as create } from '../create-message.js';
import { encodeMessage } from '../encode.js';
import type { PresizedEncoding } from '../pack-cache.js';
import { spliced, splicedEncoding } from './_splice.js';
import { type RouteConfiguration, RouteConfigurationSchema } from '../gen/envoy/config/route/v3/route_pb.js';
import { RedirectAction_RedirectResponseCode, type Route, RouteSchema, type VirtualHost, VirtualHostSchema, VirtualHost_TlsRequirementType } from '../gen/envoy/config/route/v3/route_components_pb.js';
import { gatewayServerRouteName, mergeGatewayServers, servedByHcm, terminatesHttps, type GatewayServerView, type HostRoutesView, type ProxyView, type ServiceView } from '../../mesh/view/index.js';
import { isHttp as isHttpProtocol } from '../../mesh/protocol.js';
import { METADATA_NAMESPACE, originJson } from './_common.js';
import { PASSTHROUGH_CLUSTER } from './clusters.js';
import { type RouteEnv, type RouteListener, routedClusters, translateHttpRoute } from './route.js';
import { virtualHostKey } from './carry-over.js';
import { servicesByHost } from './_services-by-host.js';
import { routeHostKey } from '../../mesh/hosts.js';

/** Whether a host on a port is served by the HTTP connection manager (else by tcp_proxy chains). */
export const isHttp: (r: HostRoutesView) => boolean = servedByHcm;

/** Name of the sidecar's outbound route configuration for a port (Istio: the port number). */
export function outboundRouteName(port: number): string {
  return String(port);
}

/** Name of a proxyless-gRPC listener and its route configuration: `<fqdn>:<port>`. */
export function grpcListenerName(host: string, port: number): string {
  return `${host}:${port}`;
}

/**
 * Every route configuration of a proxy: sidecar outbound per port (or, for a proxyless gRPC node,
 * one per host and port), or the gateway servers' for a router. With `shared`, a sidecar's virtual
 * hosts may be messages other proxies' route configurations hold too (`sharedVirtualHost`): for
 * callers that treat the result as read-only (the translation cache). @default shared false
 */
export function buildRouteConfigurations(view: ProxyView, env: RouteEnv, proxyless: boolean, shared = false): RouteConfiguration[] {
  const virtualHost = shared ? sharedVirtualHost : buildVirtualHost;
  if (view.proxy.type === 'router') return buildGatewayRouteConfigurations(view, env);
  const byPort = new Map<number, HostRoutesView[]>();
  for (const r of view.routes) {
    if (!isHttp(r)) continue;
    const list = byPort.get(r.port) ?? [];
    list.push(r);
    byPort.set(r.port, list);
  }
  const out: RouteConfiguration[] = [];
  for (const [port, hosts] of [...byPort].sort((a, b) => a[0] - b[0])) {
    if (!proxyless) {
      const vhosts = dedupeDomains(hosts.map((h) => (shared ? sharedVirtualHost(h, sharedDomainsOf(view, h.host, port), env) : buildVirtualHost(h, domainsOf(view, h.host, port), env))));
      vhosts.push(view.outboundTrafficPolicy === 'ALLOW_ANY' ? allowAny(port) : blockAll(port));
      out.push(create(RouteConfigurationSchema, { name: outboundRouteName(port), virtualHosts: vhosts, validateClusters: false }));
      continue;
    }
    for (const h of hosts) {
      out.push(create(RouteConfigurationSchema, {
        name: grpcListenerName(h.host, port),
        virtualHosts: [virtualHost(h, [grpcListenerName(h.host, port), h.host], env)],
      }));
    }
  }
  return out;
}

/**
 * One virtual host `<host>:<port>` with the routes of its (merged) VirtualServices, in order.
 * `listener`: what redirects read (a sidecar's: the host's port, no TLS). @default { port: h.port }
 */
export function buildVirtualHost(h: HostRoutesView, domains: string[], env: RouteEnv, listener: RouteListener = { port: h.port }): VirtualHost {
  return virtualHostOf(h, domains, h.http.flatMap((r) => translateHttpRoute(r, env, listener)));
}

function virtualHostOf(h: HostRoutesView, domains: readonly string[], routes: Route[]): VirtualHost {
  return create(VirtualHostSchema, {
    // istiod names and keys virtual hosts by the lower-cased host (httproute.go, gateway.go).
    name: `${routeHostKey(h.host)}:${h.port}`,
    domains: domains as string[],
    routes,
    // Istio sets this on every virtual host it builds: upstreams see x-envoy-attempt-count.
    includeRequestAttemptCount: true,
  });
}

const VIRTUAL_HOSTS = new WeakMap<HostRoutesView, Map<string, Map<readonly string[] | string, VirtualHost>>>();
const SHARED_ROUTES = new WeakMap<HostRoutesView, Map<string, Route[]>>();

/**
 * `buildVirtualHost`, once per host routes view (the view shares one between namespaces that see
 * the host alike) and everything else it reads: the domains, and per destination and mirror the
 * cluster the route names (after the `env.clusters` check) and its consistent hash. The message is
 * shared by route configurations of several proxies: read-only (see `dedupeDomains`).
 */
export function sharedVirtualHost(h: HostRoutesView, domains: readonly string[], env: RouteEnv): VirtualHost {
  let byVariant = VIRTUAL_HOSTS.get(h);
  if (!byVariant) VIRTUAL_HOSTS.set(h, (byVariant = new Map()));
  const routesVariant = `${env.proxyless === true ? 'proxyless' : 'proxy'}\u0000${routedClusters(h.http, env)}`;
  let byDomains = byVariant.get(routesVariant);
  if (!byDomains) byVariant.set(routesVariant, (byDomains = new Map()));
  // Lists from `sharedDomainsOf` are frozen and shared: keyed by identity; any other by content.
  const domainsKey = Object.isFrozen(domains) ? domains : domains.join(' ');
  let vh = byDomains.get(domainsKey);
  if (vh) {
    env.carry?.keep('virtualHosts', (store) => virtualHostKey(store, h, routesVariant, domains), vh);
    return vh;
  }
  const make = (): VirtualHost => {
    // The same routes under other domains (the host's own namespace adds its short name): shared too.
    let routesByVariant = SHARED_ROUTES.get(h);
    if (!routesByVariant) SHARED_ROUTES.set(h, (routesByVariant = new Map()));
    let routes = routesByVariant.get(routesVariant);
    if (!routes) routesByVariant.set(routesVariant, (routes = h.http.flatMap((r) => translateHttpRoute(r, env, { port: h.port }))));
    return virtualHostOf(h, domains, routes);
  };
  byDomains.set(domainsKey, (vh = env.carry ? env.carry.take('virtualHosts', (store) => virtualHostKey(store, h, routesVariant, domains), make) : make()));
  return vh;
}

const VIRTUAL_HOST_BYTES = new WeakMap<VirtualHost, Uint8Array>();
const ROUTE_BYTES = new WeakMap<Route, Uint8Array>();

/**
 * The encoding of `rc`, byte for byte `toBinary(RouteConfigurationSchema, rc)`, spliced (`_splice.ts`)
 * from its virtual hosts' encodings (repeated field 2), each spliced in turn from its routes'
 * (`VirtualHost.routes`, field 3): a virtual host or route shared by several route configurations
 * is encoded for the first one. Sized first, written where the caller says (pack-cache
 * `withEncoding`). Virtual hosts and routes must not change once encoded.
 */
export function routeConfigurationEncoding(rc: RouteConfiguration): PresizedEncoding {
  return splicedEncoding(encodeMessage(RouteConfigurationSchema, { ...rc, virtualHosts: [] }), 2, rc.virtualHosts.map(virtualHostBytes));
}

function virtualHostBytes(vh: VirtualHost): Uint8Array {
  let bytes = VIRTUAL_HOST_BYTES.get(vh);
  if (!bytes) VIRTUAL_HOST_BYTES.set(vh, (bytes = spliced(encodeMessage(VirtualHostSchema, { ...vh, routes: [] }), 3, vh.routes.map(routeBytes))));
  return bytes;
}

function routeBytes(r: Route): Uint8Array {
  let bytes = ROUTE_BYTES.get(r);
  if (!bytes) ROUTE_BYTES.set(r, (bytes = encodeMessage(RouteSchema, r)));
  return bytes;
}

/** {@link routeConfigurationEncoding} into a buffer of its own. */
export function encodeRouteConfiguration(rc: RouteConfiguration): Uint8Array {
  const e = routeConfigurationEncoding(rc);
  const out = new Uint8Array(e.size);
  e.write(out, 0);
  return out;
}

/**
 * The names a client may use for `host` on `port`: the FQDN, for `<name>.<ns>.svc.<domain>` also
 * `<name>.<ns>` and `<name>.<ns>.svc` (and `<name>` from the same namespace), each bare and with
 * `:<port>`, plus the service's addresses (Istio's `generateVirtualHostDomains`).
 */
export function domainsOf(view: ProxyView, host: string, port: number): string[] {
  return [...sharedDomainsOf(view, host, port)];
}

interface DomainsMemo {
  readonly clusterDomain: string;
  /** `<ns>` of a `<name>.<ns>.svc.<domain>` host, else null. */
  readonly namespace: string | null;
  /** By port, negated when the proxy is in `namespace` (the short name is a domain too). */
  readonly lists: Map<number, readonly string[]>;
}

const DOMAINS = new WeakMap<ServiceView, DomainsMemo>();

/** {@link domainsOf}, one read-only list per service, port and whether the proxy is in the host's namespace. */
function sharedDomainsOf(view: ProxyView, host: string, port: number): readonly string[] {
  const service = servicesByHost(view).get(host);
  if (!service) return computeDomains(view, host, port);
  let memo = DOMAINS.get(service);
  if (!memo || memo.clusterDomain !== view.clusterDomain) {
    const suffix = `.svc.${view.clusterDomain}`;
    const lower = routeHostKey(host);
    const parts = lower.endsWith(suffix) ? lower.slice(0, -suffix.length).split('.') : [];
    DOMAINS.set(service, (memo = { clusterDomain: view.clusterDomain, namespace: parts.length === 2 && parts[0] && parts[1] ? parts[1] : null, lists: new Map() }));
  }
  const key = memo.namespace === view.proxy.namespace ? -port : port;
  let list = memo.lists.get(key);
  if (!list) memo.lists.set(key, (list = Object.freeze(computeDomains(view, host, port))));
  return list;
}

function computeDomains(view: ProxyView, host: string, port: number): string[] {
  // istiod builds a sidecar's domains, short forms included, from a lower-cased copy of the service
  // (BuildSidecarOutboundVirtualHosts), so `Reviews.prod.svc.cluster.local` also answers to `reviews.prod`.
  const lower = routeHostKey(host);
  const names = [lower];
  const suffix = `.svc.${view.clusterDomain}`;
  if (lower.endsWith(suffix)) {
    const [name, ns] = lower.slice(0, -suffix.length).split('.');
    if (name && ns) {
      names.push(`${name}.${ns}`, `${name}.${ns}.svc`);
      if (ns === view.proxy.namespace) names.push(name);
    }
  }
  names.push(...(servicesByHost(view).get(host)?.addresses ?? []));
  return names.flatMap((n) => [n, `${n}:${port}`]);
}

/**
 * Envoy rejects a route configuration in which two virtual hosts share a domain, letter case ignored
 * (it lower-cases domains): later ones lose it, as in istiod's `dedupeDomains`. A virtual host that
 * loses a domain is copied (it may be shared, see `sharedVirtualHost`).
 */
function dedupeDomains(vhosts: VirtualHost[]): VirtualHost[] {
  const seen = new Set<string>();
  const out: VirtualHost[] = [];
  for (const vh of vhosts) {
    const domains = vh.domains.filter((d) => !seen.has(routeHostKey(d)) && (seen.add(routeHostKey(d)), true));
    if (domains.length === vh.domains.length) out.push(vh);
    else if (domains.length > 0) out.push({ ...vh, domains });
  }
  return out;
}

/** `outboundTrafficPolicy: ALLOW_ANY`: unknown hosts pass through to their original destination. */
function allowAny(port: number): VirtualHost {
  return create(VirtualHostSchema, {
    name: `allow_any:${port}`, domains: ['*'], includeRequestAttemptCount: true,
    routes: [{ name: 'allow_any', match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: PASSTHROUGH_CLUSTER }, timeout: { seconds: 0n } } } }],
  });
}

/** `outboundTrafficPolicy: REGISTRY_ONLY`: unknown hosts get 502. */
function blockAll(port: number): VirtualHost {
  return create(VirtualHostSchema, {
    name: `block_all:${port}`, domains: ['*'],
    routes: [{ name: 'block_all', match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'directResponse', value: { status: 502 } } }],
  });
}

/**
 * Gateway route configurations, from istiod's merged server ports (`mergeGatewayServers`): the
 * HTTP-like servers of a listener port and bind share `http.<port>[.<bind>]`; each TLS-terminating
 * HTTPS server has its own. A server with `tls.httpsRedirect` gets, per host (with or
 * without a VirtualService), a virtual host with `require_tls: ALL` (Istio's shape) whose only route
 * is an `https_redirect` (301): on the plaintext server every request is redirected, so the
 * VirtualService's routes would never be reached there.
 */
function buildGatewayRouteConfigurations(view: ProxyView, env: RouteEnv): RouteConfiguration[] {
  const byName = new Map<string, { vhosts: VirtualHost[]; }>();
  for (const group of mergeGatewayServers(view.gatewayServers).serverPorts) {
    for (const s of group.servers) {
      const name = isHttpProtocol(group.protocol) ? group.routeName : terminatesHttps(s) ? gatewayServerRouteName(s) : '';
      if (name === '') continue;
      const entry = byName.get(name) ?? { vhosts: [] };
      byName.set(name, entry);
      if ((s.tls as { httpsRedirect?: boolean } | null)?.httpsRedirect === true) {
        const hosts = new Set([...s.routes.map((h) => h.host), ...s.hosts.map((h) => (h.includes('/') ? h.slice(h.indexOf('/') + 1) : h).toLowerCase())]);
        for (const host of [...hosts].sort()) entry.vhosts.push(httpsRedirectHost(s, host));
        continue;
      }
      // istiod builds a server's routes for its own port, as a TLS listener when the server has `tls`.
      for (const h of s.routes) entry.vhosts.push(buildVirtualHost(h, [h.host], env, { port: s.port, tls: s.tls !== null }));
    }
  }
  // istiod's gateway route configurations match hosts without their port (`ignore_port_in_host_matching`):
  // clients name the Service port, the listener has the pod's.
  return [...byName].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([name, e]) => create(RouteConfigurationSchema, { name, virtualHosts: dedupeDomains(e.vhosts), validateClusters: false, ignorePortInHostMatching: true }));
}

function httpsRedirectHost(s: GatewayServerView, host: string): VirtualHost {
  const origin = { ...s.origin, path: [...s.origin.path, 'tls', 'httpsRedirect'] };
  return create(VirtualHostSchema, {
    name: `${host}:${s.port}`, domains: [host],
    requireTls: VirtualHost_TlsRequirementType.ALL, includeRequestAttemptCount: true,
    routes: [{
      name: 'https_redirect', match: { pathSpecifier: { case: 'prefix', value: '/' } },
      action: { case: 'redirect', value: { schemeRewriteSpecifier: { case: 'httpsRedirect', value: true }, responseCode: RedirectAction_RedirectResponseCode.MOVED_PERMANENTLY } },
      metadata: { filterMetadata: { [METADATA_NAMESPACE]: { origin: originJson(origin) } } },
    }],
  });
}
