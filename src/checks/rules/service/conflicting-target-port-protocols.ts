import type { MeshGraph, ServiceInfo, ServicePort, Workload } from '../../../mesh/graph.js';
import { workloadPortOf } from '../../../mesh/endpoint-port.js';
import type { MeshObject } from '../../../mesh/object.js';
import { isHttp, type IstioProtocol } from '../../../mesh/protocol.js';
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
    '(the container port named like the entry port, else its `targetPort`, else the port number, is the container port: istiod\'s pod port map comes first). A VM (WorkloadEntry) receives each service port on the port its `ports` map gives for the service port\'s name, which wins over `targetPort`. `protocol: UDP` ports do not conflict (a container\'s 8080/UDP is not its 8080/TCP, and sidecars proxy no UDP).',
    'A port whose protocol is left to detection (no protocol in its name or `appProtocol`) is a protocol of its own for istiod',
    '(`UnsupportedProtocol`; listener_inbound.go reportInboundConflict compares them as written): beside an HTTP-family port it',
    'is harmless (detection finds the HTTP), but beside `tcp`, `tls`, `https`, `mongo`, `redis` or `mysql` it conflicts: when the',
    'detected port\'s Service is the older one, the workload port sniffs and a server-first protocol (MySQL, SMTP, ZooKeeper)',
    'waits for the client\'s first bytes; when the TCP one is older, the detected port\'s HTTP loses routing, metrics and HTTP',
    'AuthorizationPolicy rules. Like Kiali KIA0701.',
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
          if (port.protocol === 'UDP') continue;
          const target = workloadPortOf(service, port, w);
          if (target === undefined) continue;
          const list = byPort.get(target);
          if (list) list.push({ service, port });
          else byPort.set(target, [{ service, port }]);
        }
      }
      for (const [target, uses] of byPort) {
        for (const u of uses) {
          const other = uses.find((o) => protocolsConflict(o.port.protocol, u.port.protocol));
          const key = `${u.service.object.key}#${u.port.number}`;
          if (!other || reported.has(key)) continue;
          reported.add(key);
          ctx.report(u.service.object, `Port ${u.port.number} (${shown(u.port.protocol)}) sends to container port ${target} of ${w.kind} ${w.namespace}/${w.name}, which ` +
            `${other.service === u.service ? `its own port ${other.port.number}` : `${other.service.kind} ${other.service.namespace}/${other.service.object.name} port ${other.port.number}`} ` +
            `${other.port.protocol === 'UnsupportedProtocol' ? 'leaves to protocol detection' : `declares as ${other.port.protocol}`}; istiod keeps one protocol per workload port, ` +
            `so one port's clients get the wrong protocol${sniffedHint(u.port.protocol, other.port.protocol)}: declare the same protocol on both, or target different container ports`, { path: u.port.path });
        }
      }
    }
  },
};

/**
 * Whether istiod's one inbound chain per workload port serves one of the two protocols wrongly: they differ, unless one is
 * left to detection and the other is HTTP-family (detection finds that HTTP, so the chain behaves alike either way).
 */
function protocolsConflict(a: IstioProtocol, b: IstioProtocol): boolean {
  if (a === b) return false;
  if (a === 'UnsupportedProtocol') return !isHttp(b);
  if (b === 'UnsupportedProtocol') return !isHttp(a);
  return true;
}

const shown = (p: IstioProtocol): string => (p === 'UnsupportedProtocol' ? 'protocol detection' : p);

/** What goes wrong when a detected port shares the workload port with a raw TCP-family one. */
function sniffedHint(a: IstioProtocol, b: IstioProtocol): string {
  if (a !== 'UnsupportedProtocol' && b !== 'UnsupportedProtocol') return '';
  const declared = a === 'UnsupportedProtocol' ? b : a;
  return ` (if the detecting port wins, a server-first protocol waits for the client's first bytes; if ${declared} wins, HTTP on the other port loses routing and HTTP authorization rules)`;
}

/** The ServiceEntries whose `workloadSelector` selects `w` (services.ts entriesSelecting), one per entry: its hosts share its ports. */
function entriesSelecting(graph: MeshGraph, w: Workload): ServiceInfo[] {
  const seen = new Set<MeshObject>();
  return graph.services.entriesSelecting(w.namespace, w.labels).filter((s) => !seen.has(s.object) && seen.add(s.object));
}

export default conflictingTargetPortProtocols;
