import type { Rule } from '../../rule.js';
import { portNamesUnchecked, portProtocolUnsupported, servicePorts } from './_port-protocol.js';

/** Namespaces istioctl skips (Kubernetes system namespaces). */
const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);

/** `service/port-name-convention` (IST0118): a Service port whose protocol Istio cannot tell from name or appProtocol. */
const portNameConvention: Rule = {
  id: 'service/port-name-convention',
  istioCode: 'IST0118',
  severity: 'info',
  summary: 'A Service port name does not follow the `<protocol>[-suffix]` convention and the port has no `appProtocol`.',
  docs: [
    'Istio picks a port\'s protocol from `appProtocol` when it is set (the name is then not read), else from the',
    'port name prefix (`http`, `http2`, `https`, `grpc`, `grpc-web`, `tcp`, `tls`, `mongo`, `mysql`, `redis`, `udp`,',
    'then optionally `-suffix`); ports 25, 53, 3306 and 27017 default to TCP. Otherwise it sniffs the protocol, which',
    'delays server-first protocols (MySQL, SMTP) and can misclassify traffic, and HTTP features (retries, routing by',
    'path) may not apply. Fix: name the port `http-web`, `grpc`, ... or set `appProtocol`. Kubernetes system',
    'namespaces, Istio\'s own Services (labelled `istio` or `release: istio`) and gateway-managed Services are skipped;',
    'ExternalName Services are `service/external-name-port-name`. Mirrors `istioctl analyze` IST0118',
    '(PortNameIsNotUnderNamingConvention, `service.PortNameAnalyzer`).',
  ].join(' '),
  kinds: ['Service'],
  check(graph, ctx) {
    for (const svc of graph.ofKind('Service')) {
      if (SYSTEM_NAMESPACES.has(svc.namespace) || svc.spec.type === 'ExternalName' || portNamesUnchecked(svc)) continue;
      for (const { port: p, index: i } of servicePorts(svc)) {
        if (!portProtocolUnsupported(p)) continue;
        const name = typeof p.name === 'string' ? p.name : '';
        const where = `Port ${String(p.port ?? '?')}${p.targetPort !== undefined ? ` (targetPort ${String(p.targetPort)})` : ''}`;
        const suffix = name || svc.name;
        const what = typeof p.appProtocol === 'string'
          ? `${where} has appProtocol "${p.appProtocol}", which Istio reads instead of the name and is not a protocol it knows`
          : `${where} ${name ? `is named "${name}", which` : 'has no name, so it'} does not follow the <protocol>[-suffix] convention, and it has no appProtocol`;
        ctx.report(svc, `${what}; name it e.g. "http-${suffix}" or "tcp-${suffix}", or set appProtocol`, {
          path: p.appProtocol !== undefined ? ['spec', 'ports', i, 'appProtocol'] : p.name !== undefined ? ['spec', 'ports', i, 'name'] : ['spec', 'ports', i],
        });
      }
    }
  },
};

export default portNameConvention;
