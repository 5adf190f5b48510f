import type { MeshGraph, ServiceInfo, Workload } from '../../../mesh/graph.js';
import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { gatewaysOf, listSome, type GatewayInfo } from './_helpers.js';

/** `gateway/port-not-on-service` (IST0162): a Gateway server port that the gateway's Service does not expose. */
const gatewayPortNotOnService: Rule = {
  id: 'gateway/port-not-on-service',
  istioCode: 'IST0162',
  severity: 'warning',
  summary: 'A Gateway server port is not exposed by any TCP port of the Service in front of the selected gateway workloads.',
  docs: [
    'Traffic reaches a gateway proxy through its Kubernetes Service. Istio maps a server `port.number` to the',
    'Service port with that number and listens on its `targetPort`; a server port that is neither a Service `port`',
    'nor a `targetPort` of a TCP port of a Service selecting the gateway pods is unreachable from outside.',
    'Fix: use the Service port (usually 80 or 443) in the Gateway server, or add the port to the gateway Service.',
    'Gateways selecting no workload are left to `gateway/selector-matches-no-workload`. Mirrors `istioctl analyze`',
    'IST0162 (GatewayPortNotDefinedOnService), which compares with the Service `port` or its `targetPort`.',
  ].join(' '),
  kinds: ['Gateway', 'Service', 'Deployment', 'Rollout', 'Pod'],
  check(graph, ctx) {
    for (const g of gatewaysOf(graph)) {
      if (g.workloads.length === 0) continue;
      const exposed = exposedPorts(graph, g);
      for (const s of g.servers) {
        if (s.port === undefined || exposed.ports.has(s.port)) continue;
        const message = exposed.services.length > 0
          ? `The gateway server port ${s.port} is not exposed by its Service: ${listSome(exposed.services)} in front of the workloads selected by "${g.selectorText}" ` +
            `exposes ${exposed.described.length > 0 ? listSome(exposed.described, 8) : 'no TCP port'}; use one of those ports or add ${s.port} to the Service`
          : `The gateway server port ${s.port} is not exposed by any Service: none selects the workloads matched by "${g.selectorText}"; ` +
            `add a Service for the gateway pods with port ${s.port}`;
        ctx.report(g.gateway, message, {
          path: [...s.path, 'port', 'number'],
        });
      }
    }
  },
};

interface Exposed {
  readonly ports: ReadonlySet<number>;
  readonly services: readonly string[];
  readonly described: readonly string[];
}

function exposedPorts(graph: MeshGraph, g: GatewayInfo): Exposed {
  const ports = new Set<number>();
  const services = new Map<ServiceInfo['object'], ServiceInfo>();
  const containerPortsByName = new Map<string, number>();
  for (const w of g.workloads) {
    for (const s of graph.servicesSelecting(w)) services.set(s.object, s);
    namedPorts(w, containerPortsByName);
  }
  const described: string[] = [];
  for (const svc of services.values()) {
    for (const p of svc.ports) {
      const raw = svc.object.spec.ports;
      const entry = Array.isArray(raw) ? raw[p.path[2] as number] : undefined;
      if (isRecord(entry) && typeof entry.protocol === 'string' && entry.protocol !== 'TCP') continue;
      ports.add(p.number);
      const target = typeof p.targetPort === 'number' ? p.targetPort : typeof p.targetPort === 'string' ? containerPortsByName.get(p.targetPort) : undefined;
      if (target !== undefined) ports.add(target);
      described.push(target !== undefined && target !== p.number ? `${p.number}→${target}` : `${p.number}`);
    }
  }
  return { ports, services: [...services.values()].map((s) => `${s.namespace}/${s.object.name}`), described: [...new Set(described)] };
}

function namedPorts(w: Workload, into: Map<string, number>): void {
  for (const cp of w.containerPorts) if (cp.name) into.set(cp.name, cp.containerPort);
}

export default gatewayPortNotOnService;
