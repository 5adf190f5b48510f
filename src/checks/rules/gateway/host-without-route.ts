import { hostsIntersect } from '../../../mesh/hosts.js';
import { stringList, type MeshObject } from '../../../mesh/object.js';
import { afterTlsTermination, declaredPortProtocol, routeKindsFor } from '../../../mesh/protocol.js';
import { httpRuleAppliesOn } from '../../../mesh/routing.js';
import type { Rule } from '../../rule.js';
import { gatewaysOf, nameOf, redirectsToHttps, type GatewayServer } from './_helpers.js';

/**
 * `gateway/host-without-route`: a host of an HTTP (or TLS-terminating HTTPS) Gateway server that no
 * VirtualService bound to the Gateway declares, so the gateway answers every request for it 404.
 */
const gatewayHostWithoutRoute: Rule = {
  id: 'gateway/host-without-route',
  severity: 'warning',
  summary: 'A host of an HTTP or TLS-terminating Gateway server that no VirtualService bound to the Gateway gives a route (none declares it, or their http rules all match other gateways or ports): every request for it gets 404.',
  docs: [
    'A Gateway only opens a port; the routes for its hosts come from VirtualServices that name it in `gateways`.',
    'istiod builds a virtual host on the server\'s port only for VirtualService hosts the server accepts, so a',
    'request for a server host no such VirtualService declares matches no virtual host and the gateway answers',
    '404 (`NR`). Judged for servers that carry HTTP after TLS termination (HTTP, HTTP2, GRPC, and HTTPS or TLS',
    'in a terminating mode): a PASSTHROUGH or AUTO_PASSTHROUGH server routes by SNI, and an HTTP server with',
    '`tls.httpsRedirect` answers every request with a redirect. A server host is covered when any VirtualService',
    'bound to the Gateway declares a host overlapping it, wildcards both ways (one in a namespace the host\'s',
    '`namespace/host` form does not allow is `routing/gateway-host-mismatch`\'s finding, and counts here, as does one',
    'not exported to the Gateway\'s namespace). A bound VirtualService whose http rules all leave the gateway out',
    '(each match entry names other `gateways`, e.g. only `mesh`, or another `port`) gives the host no route there',
    '(route.go `sourceMatchHTTP`; istiod builds the virtual host with no routes, still 404) and does not count;',
    'one without http rules counts (its tls or tcp routes are other rules\' findings). Checked only when the input (with `--context`) holds any',
    'VirtualService: a repository of Gateways alone keeps its routes elsewhere. Not an `istioctl analyze` check.',
    'Fix: bind a VirtualService for the host to the Gateway (`gateways: [<namespace>/<name>]`), or remove the',
    'host from the server.',
  ].join(' '),
  kinds: ['Gateway', 'VirtualService'],
  check(graph, ctx) {
    if (graph.ofKind('VirtualService').length === 0) return;
    for (const g of gatewaysOf(graph)) {
      const key = nameOf(g.gateway);
      const bound = graph.virtualServicesBoundTo(key).flatMap((vs) => (stringList(vs.spec.hosts) ?? []).map((h) => ({ vs, host: graph.resolveHost(h, vs.namespace).fqdn })));
      for (const s of g.servers) {
        if (!carriesHttp(s)) continue;
        for (const h of s.hosts) {
          const declaring = bound.filter((b) => hostsIntersect(h.host, b.host));
          if (declaring.some((b) => routesOn(b.vs, key, s.port))) continue;
          const declarers = [...new Set(declaring.map((b) => `${b.vs.namespace}/${b.vs.name}`))];
          const why = declarers.length === 0
            ? `No VirtualService bound to Gateway ${key} declares host "${h.host}" of server port ${s.port ?? '?'}`
            : `VirtualService ${declarers.join(', ')} declares host "${h.host}" and is bound to Gateway ${key}, but each of its http rules has match entries that leave this gateway out ` +
              `(their gateways name others, e.g. only mesh, or their port is not ${s.port ?? 'the server port'}), so the gateway's virtual host for it on port ${s.port ?? '?'} has no route`;
          const fix = declarers.length === 0
            ? `bind a VirtualService for ${h.host} to the Gateway (gateways: [${key}]) or remove the host from the server`
            : `add ${key} to a rule's match gateways (or a rule without match), or remove the host from the server`;
          ctx.report(g.gateway, `${why}, so the gateway answers every request for it 404 (NR); ${fix}`, { path: h.path });
        }
      }
    }
  },
};

/**
 * Whether istiod gives the gateway `key`'s server on `port` a route from `vs`: it has no http rules (its other
 * routes are judged elsewhere), or one of its http rules is kept by sourceMatchHTTP (unknown counts as kept).
 */
function routesOn(vs: MeshObject, key: string, port: number | undefined): boolean {
  const rules = Array.isArray(vs.spec.http) ? vs.spec.http : [];
  if (rules.length === 0) return true;
  const proxy = { key, ...(port !== undefined ? { ports: new Set([port]) } : {}) };
  return rules.some((r) => httpRuleAppliesOn(r, vs.namespace, proxy) !== false);
}

/** Whether the server's traffic is HTTP once TLS is terminated, and is routed (not redirected) by VirtualServices. */
function carriesHttp(s: GatewayServer): boolean {
  if (redirectsToHttps(s)) return false;
  const mode = typeof s.tls?.mode === 'string' ? s.tls.mode : undefined;
  const terminated = mode !== undefined && mode !== 'PASSTHROUGH' && mode !== 'AUTO_PASSTHROUGH';
  const declared = declaredPortProtocol(s.protocol === '' ? undefined : s.protocol).protocol;
  const kinds = routeKindsFor(terminated ? afterTlsTermination(declared) : declared);
  return kinds.length === 1 && kinds[0] === 'http';
}

export default gatewayHostWithoutRoute;
