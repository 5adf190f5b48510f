import type { MeshGraph, ServiceInfo, ServicePort, Workload } from '../../../mesh/graph.js';
import type { MeshObject } from '../../../mesh/object.js';
import { selects } from '../../../mesh/services.js';
import type { Rule } from '../../rule.js';

/** The container port a Service port sends to on `w`: numeric targetPort, a named container port, or the port itself. */
function containerPortOf(p: ServicePort, w: Workload): number | undefined {
  if (typeof p.targetPort === 'number') return p.targetPort;
  if (typeof p.targetPort === 'string') return w.containerPorts.find((c) => c.name === p.targetPort)?.containerPort;
  return p.number;
}

interface Use { readonly service: ServiceInfo; readonly port: ServicePort }

/** `service/conflicting-target-port-protocols`: one container port behind Services that declare different protocols. */
const conflictingTargetPortProtocols: Rule = {
  id: 'service/conflicting-target-port-protocols',
  severity: 'warning',
  summary: 'Two Services (or a Service and a ServiceEntry with workloadSelector) select the same workload and send to the same container port with different protocols.',
  docs: [
    'istiod builds one inbound listener per workload port, with one protocol. When several Services select a',
    'workload and target the same container port, the protocols they declare (port name prefix or `appProtocol`)',
    'must agree: with `http` on one and `grpc` or `tcp` on the other, istiod keeps only one of them (the oldest',
    'Service), so the other Service\'s clients get the wrong protocol handling (HTTP routing and metrics lost, or',
    'gRPC parsed as HTTP/1.1). A ServiceEntry with `workloadSelector` selects the pods of its namespace the same way',
    '(its port `targetPort`, else the port number, is the container port). Ports whose protocol is left to detection do not conflict. Like Kiali KIA0701.',
    'Fix: give both Service ports the same protocol, or target different container ports.',
  ].join(' '),
  kinds: ['Service', 'ServiceEntry', 'Deployment', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    const reported = new Set<string>();
    const entries = selectingServiceEntries(graph);
    for (const w of graph.workloads.all) {
      const byPort = new Map<number, Use[]>();
      for (const service of [...graph.servicesSelecting(w), ...entries(w)]) {
        for (const port of service.ports) {
          if (port.protocolInfo?.sniffed) continue;
          const target = containerPortOf(port, w);
          if (target === undefined) continue;
          const list = byPort.get(target);
          if (list) list.push({ service, port });
          else byPort.set(target, [{ service, port }]);
        }
      }
      for (const [target, uses] of byPort) {
        if (new Set(uses.map((u) => u.port.protocol)).size < 2) continue;
        for (const u of uses) {
          const other = uses.find((o) => o.port.protocol !== u.port.protocol && o.service !== u.service);
          const key = `${u.service.object.key}#${u.port.number}`;
          if (!other || reported.has(key)) continue;
          reported.add(key);
          ctx.report(u.service.object, `Port ${u.port.number} (${u.port.protocol}) sends to container port ${target} of ${w.kind} ${w.namespace}/${w.name}, which ` +
            `${other.service.kind} ${other.service.namespace}/${other.service.object.name} port ${other.port.number} declares as ${other.port.protocol}; istiod keeps one protocol per workload port, ` +
            'so one Service\'s clients get the wrong protocol: declare the same protocol on both, or target different container ports', { path: u.port.path });
        }
      }
    }
  },
};

/**
 * ServiceEntries with `workloadSelector` that select a workload (same namespace, every label), one entry
 * per ServiceEntry (a ServiceEntry with several hosts has the same ports for each). Istio's ServiceEntry
 * controller makes the selected pods endpoints of the entry, so they share the inbound ports.
 */
function selectingServiceEntries(graph: MeshGraph): (w: Workload) => ServiceInfo[] {
  const seen = new Set<MeshObject>();
  const withSelector = graph.services.all.filter((s) => {
    if (s.kind !== 'ServiceEntry' || !s.selector || seen.has(s.object)) return false;
    seen.add(s.object);
    return true;
  });
  return (w) => withSelector.filter((s) => s.namespace === w.namespace && selects(s.selector!, w.labels));
}

export default conflictingTargetPortProtocols;
