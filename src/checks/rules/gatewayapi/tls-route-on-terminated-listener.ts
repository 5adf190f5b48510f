import { GATEWAY_API_GROUP, gatewayApiOf, parentRefsOf } from '../../../mesh/gateway-api.js';
import { gatewayApiServers, referenceAllowed, type GatewayApiServer } from '../../../mesh/gateway-api-gateway-routes.js';
import type { Rule } from '../../rule.js';

/** Whether istiod's server for the listener routes by SNI without terminating (`PASSTHROUGH`, `AUTO_PASSTHROUGH`). */
const passthrough = (s: GatewayApiServer): boolean => s.tls?.mode === 'PASSTHROUGH' || s.tls?.mode === 'AUTO_PASSTHROUGH';

/**
 * `gatewayapi/tls-route-on-terminated-listener`: a TLSRoute whose Gateway parentRef attaches it only to TLS listeners
 * that terminate TLS: istiod accepts it, and the gateway never routes by it.
 */
const tlsRouteOnTerminatedListener: Rule = {
  id: 'gatewayapi/tls-route-on-terminated-listener',
  severity: 'error',
  summary: 'A TLSRoute attaches only to TLS listeners with `tls.mode: Terminate`: istiod accepts it (status Accepted), but a terminating server takes only TCP routes, so the TLSRoute never routes a connection.',
  docs: [
    'A TLS listener takes TLSRoutes whatever its `tls.mode` (gatewaycommon `GenerateGatewaySupportedKinds`; with',
    'Terminate it also takes TCPRoutes), so istiod accepts a TLSRoute attached to a Terminate listener and writes',
    'its `tls` routes, matched by SNI, into a VirtualService bound to the listener\'s server. That server has TLS mode',
    'SIMPLE: the gateway decrypts the connection and routes the plain stream with the server\'s `tcp` routes only',
    '(pilot/pkg/networking/core/gateway.go `createGatewayTCPFilterChainOpts`: `tls` routes are read only for',
    'PASSTHROUGH servers). The route shows Accepted and ResolvedRefs True and never carries a connection. Fix: set',
    '`tls.mode: Passthrough` on the listener (and drop its certificateRefs) to route by SNI without terminating, or',
    'replace the TLSRoute with a TCPRoute to route the decrypted stream. Judged for parentRefs to Gateways of istiod\'s',
    'gateway controller; a parentRef that attaches to no listener at all is `gatewayapi/route-reference-not-found`\'s.',
  ].join(' '),
  kinds: ['TLSRoute', 'Gateway', 'GatewayClass', 'Namespace'],
  check(graph, ctx) {
    const k8s = gatewayApiOf(graph);
    for (const route of k8s.ofKind('TLSRoute')) {
      const hostnames = (Array.isArray(route.spec.hostnames) ? route.spec.hostnames : []).filter((h): h is string => typeof h === 'string').map((h) => h.toLowerCase());
      for (const ref of parentRefsOf(route)) {
        if (ref.group !== GATEWAY_API_GROUP || ref.kind !== 'Gateway') continue;
        const gw = k8s.get('Gateway', ref.namespace, ref.name);
        if (!gw) continue;
        const attached = gatewayApiServers(graph, gw).filter((s) => referenceAllowed(s, ref, hostnames, route));
        if (attached.length === 0 || attached.some(passthrough)) continue;
        const listeners = attached.map((s) => `"${s.sectionName}" (port ${s.port})`).join(', ');
        ctx.report(route, `TLSRoute parentRef Gateway "${ref.namespace}/${ref.name}" attaches it only to listener${attached.length > 1 ? 's' : ''} ${listeners} with tls.mode Terminate: ` +
          'istiod accepts the route (Accepted: True), but the gateway decrypts those connections and routes them only by TCP routes, never by SNI, so this TLSRoute routes no connection; ' +
          'set tls.mode: Passthrough on the listener (without certificateRefs) to route by SNI, or use a TCPRoute to route the decrypted stream', { path: ['spec', 'parentRefs', ref.index] });
      }
    }
  },
};

export default tlsRouteOnTerminatedListener;
