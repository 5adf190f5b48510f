import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';

/** Protocols Istio reads from a port name prefix or `appProtocol` (pilot `protocol.Parse`). */
const PROTOCOLS = new Set(['tcp', 'udp', 'grpc', 'grpc-web', 'http', 'http_proxy', 'http2', 'https', 'tls', 'mongo', 'redis', 'mysql']);
/** Kubernetes-defined appProtocol values Istio understands. */
const K8S_APP_PROTOCOLS = new Set(['kubernetes.io/h2c', 'kubernetes.io/ws', 'kubernetes.io/wss']);
/** Namespaces istioctl skips (Kubernetes system namespaces). */
const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);

/** Whether Istio can tell the protocol of a Service port from its name or appProtocol. */
function protocolKnown(port: Record<string, unknown>): boolean {
  if (typeof port.protocol === 'string' && port.protocol.toUpperCase() === 'UDP') return true;
  const app = typeof port.appProtocol === 'string' ? port.appProtocol.toLowerCase() : '';
  if (PROTOCOLS.has(app) || K8S_APP_PROTOCOLS.has(app)) return true;
  const name = typeof port.name === 'string' ? port.name.toLowerCase() : '';
  const dash = name.indexOf('-');
  return PROTOCOLS.has(name) || (dash > 0 && PROTOCOLS.has(name.slice(0, dash)));
}

/** `service/port-name-convention` (IST0118): a Service port whose protocol Istio cannot tell from name or appProtocol. */
const portNameConvention: Rule = {
  id: 'service/port-name-convention',
  istioCode: 'IST0118',
  severity: 'info',
  summary: 'A Service port name does not follow the `<protocol>[-suffix]` convention and the port has no `appProtocol`.',
  docs: [
    'Istio picks a port\'s protocol from `appProtocol`, else from the port name prefix (`http`, `http2`, `https`,',
    '`grpc`, `grpc-web`, `tcp`, `tls`, `mongo`, `mysql`, `redis`, `udp`, then optionally `-suffix`). Otherwise it',
    'sniffs the protocol, which delays server-first protocols (MySQL, SMTP) and can misclassify traffic, and',
    'HTTP features (retries, routing by path) may not apply. Fix: name the port `http-web`, `grpc`, ... or set',
    '`appProtocol`. Kubernetes system namespaces are skipped. Mirrors `istioctl analyze` IST0118',
    '(PortNameIsNotUnderNamingConvention).',
  ].join(' '),
  kinds: ['Service'],
  check(graph, ctx) {
    for (const svc of graph.ofKind('Service')) {
      if (SYSTEM_NAMESPACES.has(svc.namespace)) continue;
      const externalName = svc.spec.type === 'ExternalName';
      const ports = Array.isArray(svc.spec.ports) ? svc.spec.ports : [];
      ports.forEach((p, i) => {
        if (!isRecord(p)) return;
        const name = typeof p.name === 'string' ? p.name : '';
        if (protocolKnown(p) && !(externalName && name === 'tcp')) return;
        const where = `Port ${String(p.port ?? '?')}${p.targetPort !== undefined ? ` (targetPort ${String(p.targetPort)})` : ''}`;
        const suffix = name.replace(/^tcp$/, '') || svc.name;
        const app = typeof p.appProtocol === 'string' ? `; its appProtocol "${p.appProtocol}" is not a protocol Istio knows` : ', and it has no appProtocol';
        const what = externalName && name === 'tcp'
          ? `${where} of an ExternalName Service is named "tcp", which Istio treats as an unknown protocol`
          : `${where} ${name ? `is named "${name}", which` : 'has no name, so it'} does not follow the <protocol>[-suffix] convention${app}`;
        ctx.report(svc, `${what}; name it e.g. "http-${suffix}" or "tcp-${suffix}", or set appProtocol`, {
          path: p.name !== undefined ? ['spec', 'ports', i, 'name'] : ['spec', 'ports', i],
        });
      });
    }
  },
};

export default portNameConvention;
