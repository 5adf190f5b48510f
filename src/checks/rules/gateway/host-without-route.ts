import { hostsIntersect } from '../../../mesh/hosts.js';
import { stringList } from '../../../mesh/object.js';
import { afterTlsTermination, declaredPortProtocol, routeKindsFor } from '../../../mesh/protocol.js';
import type { Rule } from '../../rule.js';
import { gatewaysOf, nameOf, redirectsToHttps, type GatewayServer } from './_helpers.js';

/**
 * `gateway/host-without-route`: a host of an HTTP (or TLS-terminating HTTPS) Gateway server that no
 * VirtualService bound to the Gateway declares, so the gateway answers every request for it 404.
 */
const gatewayHostWithoutRoute: Rule = {
  id: 'gateway/host-without-route',
  severity: 'warning',
  summary: 'A host of an HTTP or TLS-terminating Gateway server that no VirtualService bound to the Gateway declares: every request for it gets 404.',
  docs: [
    'A Gateway only opens a port; the routes for its hosts come from VirtualServices that name it in `gateways`.',
    'istiod builds a virtual host on the server\'s port only for VirtualService hosts the server accepts, so a',
    'request for a server host no such VirtualService declares matches no virtual host and the gateway answers',
    '404 (`NR`). Judged for servers that carry HTTP after TLS termination (HTTP, HTTP2, GRPC, and HTTPS or TLS',
    'in a terminating mode): a PASSTHROUGH or AUTO_PASSTHROUGH server routes by SNI, and an HTTP server with',
    '`tls.httpsRedirect` answers every request with a redirect. A server host is covered when any VirtualService',
    'bound to the Gateway declares a host overlapping it, wildcards both ways (one in a namespace the host\'s',
    '`namespace/host` form does not allow is `routing/gateway-host-mismatch`\'s finding, and counts here, as does one',
    'not exported to the Gateway\'s namespace). Checked only when the input (with `--context`) holds any',
    'VirtualService: a repository of Gateways alone keeps its routes elsewhere. Not an `istioctl analyze` check.',
    'Fix: bind a VirtualService for the host to the Gateway (`gateways: [<namespace>/<name>]`), or remove the',
    'host from the server.',
  ].join(' '),
  kinds: ['Gateway', 'VirtualService'],
  check(graph, ctx) {
    if (graph.ofKind('VirtualService').length === 0) return;
    for (const g of gatewaysOf(graph)) {
      const key = nameOf(g.gateway);
      const bound = graph.virtualServicesBoundTo(key).flatMap((vs) => (stringList(vs.spec.hosts) ?? []).map((h) => graph.resolveHost(h, vs.namespace).fqdn));
      for (const s of g.servers) {
        if (!carriesHttp(s)) continue;
        for (const h of s.hosts) {
          if (bound.some((b) => hostsIntersect(h.host, b))) continue;
          ctx.report(g.gateway, `No VirtualService bound to Gateway ${key} declares host "${h.host}" of server port ${s.port ?? '?'}, so the gateway answers every request for it 404 (NR); ` +
            `bind a VirtualService for ${h.host} to the Gateway (gateways: [${key}]) or remove the host from the server`, { path: h.path });
        }
      }
    }
  },
};

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
