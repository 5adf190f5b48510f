import type { Rule } from '../../rule.js';
import { portNamesUnchecked, portProtocolUnsupported, servicePorts } from './_port-protocol.js';

/** `service/external-name-port-name` (IST0150): an ExternalName Service port named `tcp`, or with no protocol Istio knows. */
const externalNamePortName: Rule = {
  id: 'service/external-name-port-name',
  istioCode: 'IST0150',
  severity: 'warning',
  summary: 'An ExternalName Service has a port named `tcp`, or one whose protocol Istio cannot tell from its name or appProtocol.',
  docs: [
    'For an ExternalName Service istiod builds a DNS cluster for `spec.externalName` and, for a TCP port, a listener',
    'that matches on the port alone; a port whose protocol is unknown is sniffed, and a port named exactly `tcp`',
    'carries no suffix to tell it apart. The proxy may then not forward the port\'s TCP traffic, or unmatched',
    'traffic on it, to the external name. Fix: name the port by protocol with a suffix (`tcp-smtp`, `tls-api`,',
    '`http-web`) or set `appProtocol`. Istio\'s own Services (labelled `istio` or `release: istio`) and',
    'gateway-managed Services are skipped. Mirrors `istioctl analyze` IST0150 (ExternalNameServiceTypeInvalidPortName,',
    '`service.PortNameAnalyzer`), which reports these ports of ExternalName Services instead of IST0118.',
  ].join(' '),
  kinds: ['Service'],
  check(graph, ctx) {
    for (const svc of graph.ofKind('Service')) {
      if (svc.spec.type !== 'ExternalName' || portNamesUnchecked(svc)) continue;
      for (const { port: p, index: i } of servicePorts(svc)) {
        const name = typeof p.name === 'string' ? p.name : '';
        if (name !== 'tcp' && !portProtocolUnsupported(p)) continue;
        const where = `Port ${String(p.port ?? '?')}`;
        const why = name === 'tcp'
          ? `${where} is named "tcp"`
          : typeof p.appProtocol === 'string' ? `${where} has appProtocol "${p.appProtocol}", not a protocol Istio knows`
          : `${where} ${name ? `is named "${name}", which names no protocol` : 'has no name'}`;
        ctx.report(svc, `Port name for ExternalName service is invalid: ${why}, so the proxy may not forward its TCP traffic (or unmatched traffic on it) to ${typeof svc.spec.externalName === 'string' ? svc.spec.externalName : 'the external name'}; name it e.g. "tcp-${svc.name}" or "tls-${svc.name}", or set appProtocol`, {
          path: p.name !== undefined ? ['spec', 'ports', i, 'name'] : ['spec', 'ports', i],
        });
      }
    }
  },
};

export default externalNamePortName;
