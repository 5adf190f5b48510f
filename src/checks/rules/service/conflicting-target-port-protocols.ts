import type { MeshGraph, ServiceInfo, ServicePort, Workload } from '../../../mesh/graph.js';
import { workloadPortOf } from '../../../mesh/endpoint-port.js';
import type { MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';

interface Use { readonly service: ServiceInfo; readonly port: ServicePort }

/** `service/conflicting-target-port-protocols`: one container port behind Services that declare different protocols. */
const conflictingTargetPortProtocols: Rule = {
  id: 'service/conflicting-target-port-protocols',
  severity: 'warning',
  summary: 'Two Services (or a Service and a ServiceEntry with workloadSelector, or two ports of one Service) send to the same container port of a workload with different protocols.',
  docs: [
    'istiod builds one inbound listener per workload port, with one protocol. When several Services select a',
    'workload and target the same container port, the protocols they declare (port name prefix or `appProtocol`)',
    'must agree: with `http` on one and `grpc` or `tcp` on the other, istiod keeps only one of them (the oldest',
    'Service), so the other Service\'s clients get the wrong protocol handling (HTTP routing and metrics lost, or',
    'gRPC parsed as HTTP/1.1). Two ports of ONE Service that target the same container port conflict the same way. A ServiceEntry with `workloadSelector` selects the pods of its namespace the same way',
    '(the container port named like the entry port, else its `targetPort`, else the port number, is the container port: istiod\'s pod port map comes first). A VM (WorkloadEntry) receives each service port on the port its `ports` map gives for the service port\'s name, which wins over `targetPort`. Ports whose protocol is left to detection do not conflict, nor do `protocol: UDP` ports (a container\'s 8080/UDP is not its 8080/TCP, and sidecars proxy no UDP). Like Kiali KIA0701.',
    'Fix: give both Service ports the same protocol, or target different container ports.',
  ].join(' '),
  kinds: ['Service', 'ServiceEntry', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    const reported = new Set<string>();
    for (const w of graph.workloads.all) {
      const byPort = new Map<number, Use[]>();
      for (const service of [...graph.servicesSelecting(w), ...entriesSelecting(graph, w)]) {
        for (const port of service.ports) {
          // A UDP port is another port than the TCP one of the same number, and the sidecar proxies no UDP (no inbound listener).
          if (port.protocolInfo?.sniffed || port.protocol === 'UDP') continue;
          const target = workloadPortOf(service, port, w);
          if (target === undefined) continue;
          const list = byPort.get(target);
          if (list) list.push({ service, port });
          else byPort.set(target, [{ service, port }]);
        }
      }
      for (const [target, uses] of byPort) {
        if (new Set(uses.map((u) => u.port.protocol)).size < 2) continue;
        for (const u of uses) {
          const other = uses.find((o) => o.port.protocol !== u.port.protocol);
          const key = `${u.service.object.key}#${u.port.number}`;
          if (!other || reported.has(key)) continue;
          reported.add(key);
          ctx.report(u.service.object, `Port ${u.port.number} (${u.port.protocol}) sends to container port ${target} of ${w.kind} ${w.namespace}/${w.name}, which ` +
            `${other.service === u.service ? `its own port ${other.port.number}` : `${other.service.kind} ${other.service.namespace}/${other.service.object.name} port ${other.port.number}`} ` +
            `declares as ${other.port.protocol}; istiod keeps one protocol per workload port, ` +
            'so one port\'s clients get the wrong protocol: declare the same protocol on both, or target different container ports', { path: u.port.path });
        }
      }
    }
  },
};

/** The ServiceEntries whose `workloadSelector` selects `w` (services.ts entriesSelecting), one per entry: its hosts share its ports. */
function entriesSelecting(graph: MeshGraph, w: Workload): ServiceInfo[] {
  const seen = new Set<MeshObject>();
  return graph.services.entriesSelecting(w.namespace, w.labels).filter((s) => !seen.has(s.object) && seen.add(s.object));
}

export default conflictingTargetPortProtocols;
