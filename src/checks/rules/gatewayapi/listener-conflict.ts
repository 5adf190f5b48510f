import { gatewayApiOf } from '../../../mesh/gateway-api.js';
import { istioControllerClass } from '../../../mesh/gateway-api-deployment.js';
import { listenerConflicts } from '../../../mesh/gateway-api-listener-conflicts.js';
import { acceptedListenerSets } from '../../../mesh/gateway-api-listener-sets.js';
import type { MeshObject } from '../../../mesh/object.js';
import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';

/** `name` (port P, PROTOCOL[, hostname H]) of a listener as written. */
function describe(l: unknown, i: number): string {
  if (!isRecord(l)) return `listener ${i}`;
  const name = typeof l.name === 'string' ? l.name : String(i);
  const host = typeof l.hostname === 'string' && l.hostname !== '' ? `, hostname ${l.hostname}` : ', no hostname';
  return `"${name}" (port ${String(l.port)}, ${String(l.protocol)}${host})`;
}

const listenersOf = (o: MeshObject): unknown[] => (Array.isArray(o.spec.listeners) ? o.spec.listeners : []);

/** `describe`, naming the ListenerSet that writes it when that is not `from`. */
function describeIn(owner: MeshObject, i: number, from: MeshObject): string {
  const text = describe(listenersOf(owner)[i], i);
  return owner === from ? text : `${text} of ${owner.kind} ${owner.namespace}/${owner.name}`;
}

/** `gatewayapi/listener-conflict`: a listener of a Gateway istiod deploys that conflicts with an earlier one on its port. */
const listenerConflict: Rule = {
  id: 'gatewayapi/listener-conflict',
  severity: 'error',
  summary: 'A Gateway API listener shares its port with an earlier listener it cannot coexist with (another protocol, or the same hostname), so istiod marks it Conflicted and serves only the earlier one.',
  docs: [
    'The Gateway API lets listeners share a port only when they are distinct: HTTP, HTTPS and TLS listeners on one',
    'port by hostname (an unset hostname is `*`), and a TCP or UDP listener never shares its port with another listener.',
    'istiod\'s gateway controller takes the listeners in order (gatewaycommon/listener_conflict.go',
    '`ComputeGatewayListenerConflicts`): one that is not distinct from an earlier listener that won is Conflicted',
    '(reason ProtocolConflict when the protocols differ or both are TCP/UDP, else HostnameConflict), Accepted and',
    'Programmed False, and istiod builds no server for it: its port serves only the earlier listener, and routes',
    'attached only to the conflicted one are never served. The CRD accepts such Gateways, and kubectl shows the',
    'condition only in `status.listeners`. Fix: move the listener to a port of its own, give it a hostname of its own',
    '(HTTP, HTTPS and TLS), or remove it. Judged for Gateways of istiod\'s gateway controller (class `istio`, or a',
    'GatewayClass with controllerName `istio.io/gateway-controller`). The listeners of the ListenerSets istiod accepts on',
    'the Gateway come after the Gateway\'s own, set by set in creation order: a ListenerSet listener that collides',
    'with the Gateway\'s (or an older ListenerSet\'s) is the one reported, on the ListenerSet.',
  ].join(' '),
  kinds: ['Gateway', 'GatewayClass', 'ListenerSet', 'Namespace'],
  check(graph, ctx) {
    const k8s = gatewayApiOf(graph);
    const classes = k8s.ofKind('GatewayClass');
    for (const gw of k8s.ofKind('Gateway')) {
      if (!istioControllerClass(gw, classes)) continue;
      for (const c of listenerConflicts(gw, acceptedListenerSets(graph, gw))) {
        const l = listenersOf(c.owner)[c.listener] as Record<string, unknown>;
        const port = String(l.port ?? (l.protocol === 'HTTPS' ? 443 : 80));
        const winner = describeIn(c.winnerOwner, c.winner, c.owner);
        const fix = c.reason === 'HostnameConflict'
          ? `give it a hostname of its own, move it to another port, or merge it into listener ${winner}`
          : `move it to another port${isRecord(l) && (l.protocol === 'TCP' || l.protocol === 'UDP') ? ' (a TCP or UDP listener needs a port to itself)' : ''}, or remove it`;
        ctx.report(c.owner, `Listener ${describe(l, c.listener)} conflicts with listener ${winner} on port ${port} ` +
          `(Conflicted: ${c.reason}): istiod builds no server for it, so port ${port} serves only the earlier listener and routes attached only to this one are never served; ${fix}`,
        { path: ['spec', 'listeners', c.listener, c.reason === 'HostnameConflict' && typeof l.hostname === 'string' ? 'hostname' : 'port'] });
      }
    }
  },
};

export default listenerConflict;
