import { gatewayApiOf, gatewayHandledByIstiod } from '../../../mesh/gateway-api.js';
import { listenerSetAttachment } from '../../../mesh/gateway-api-listener-sets.js';
import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';

/** `gatewayapi/listener-without-tls`: an HTTPS or TLS listener of a Gateway istiod programs, without `tls`: istiod builds no server for it. */
const listenerWithoutTls: Rule = {
  id: 'gatewayapi/listener-without-tls',
  severity: 'error',
  summary: 'An HTTPS or TLS listener of a Gateway API Gateway istiod programs has no `tls` section, so istiod builds no server for it and its port serves nothing, with no error in the Gateway\'s status.',
  docs: [
    'istiod converts each listener of a Gateway of an Istio class into a server of its internal Gateway; a listener of',
    'protocol HTTPS or TLS without `tls` is skipped (conversion.go `buildListener`: "protocol is HTTPS but no TLS section',
    'is defined, skipping listener creation", only a log line in istiod: for a Gateway, unlike a ListenerSet, the listener',
    'status shows no error). The Gateway API CRD accepts such a listener, so nothing else says that the port is dead:',
    'routes attached to it are accepted and never served. Fix: add `tls` (`mode: Terminate` with `certificateRefs`, or',
    '`mode: Passthrough` for TLS), or make the listener HTTP or TCP. The listeners of a ListenerSet the Gateway accepts are',
    'judged the same way (there the listener status says "no TLS section is defined").',
  ].join(' '),
  kinds: ['Gateway', 'GatewayClass', 'ListenerSet'],
  check(graph, ctx) {
    const k8s = gatewayApiOf(graph);
    const sets = k8s.ofKind('ListenerSet').filter((s) => listenerSetAttachment(graph, s).status === 'accepted');
    for (const gw of [...k8s.ofKind('Gateway'), ...sets]) {
      if (gw.kind === 'Gateway' && !gatewayHandledByIstiod(gw, k8s)) continue;
      const listeners = Array.isArray(gw.spec.listeners) ? gw.spec.listeners : [];
      listeners.forEach((l, i) => {
        if (!isRecord(l) || (l.protocol !== 'HTTPS' && l.protocol !== 'TLS') || l.tls !== undefined) return;
        const name = typeof l.name === 'string' ? l.name : String(i);
        ctx.report(gw, `Listener "${name}" (port ${String(l.port)}, protocol ${String(l.protocol)}) has no tls: istiod skips it ("protocol is ${String(l.protocol)} but no TLS section is defined") ` +
          `and builds no server, so port ${String(l.port)} serves nothing and the routes attached to it are never served${gw.kind === 'Gateway' ? ', while the Gateway\'s status shows no error' : ''}; ` +
          `add tls (${l.protocol === 'TLS' ? 'mode: Passthrough, or Terminate with certificateRefs' : 'mode: Terminate with certificateRefs'}), or make the listener ${l.protocol === 'TLS' ? 'TCP' : 'HTTP'}`,
        { path: ['spec', 'listeners', i, 'protocol'] });
      });
    }
  },
};

export default listenerWithoutTls;
