import type { MeshGraph, ServiceInfo, Workload } from '../../../mesh/graph.js';
import { workloadPortOf } from '../../../mesh/endpoint-port.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { selectorOf } from './_helpers.js';

/** The workloads an AuthorizationPolicy applies to (selector, or its whole namespace; root namespace: the mesh). */
function targetsOf(graph: MeshGraph, ap: MeshObject): Workload[] {
  const selector = selectorOf(ap);
  const root = ap.namespace === graph.rootNamespace;
  if (!selector) return root ? [] : [...graph.workloads.inNamespace(ap.namespace)];
  return graph.workloadsSelectedBy(root ? null : ap.namespace, selector);
}

/** Kubernetes Services and ServiceEntries (by workloadSelector) that select `w`. */
function servicesOf(graph: MeshGraph, w: Workload): ServiceInfo[] {
  return [...graph.servicesSelecting(w), ...graph.services.entriesSelecting(w.namespace, w.labels)];
}

/**
 * The ports requests arrive on at `w`: a pod's container ports; for a WorkloadEntry (a VM declares no
 * container ports) the endpoint ports istiod gives it for every service that selects it (its `ports` map,
 * else the `targetPort`, else the port number: serviceentry/conversion.go) and the ports its map names.
 */
function listeningPorts(graph: MeshGraph, w: Workload): number[] {
  if (w.kind !== 'WorkloadEntry') return w.containerPorts.map((c) => c.containerPort);
  const mapped = w.object.spec.ports;
  const own = mapped !== null && typeof mapped === 'object' ? Object.values(mapped).filter((v): v is number => typeof v === 'number') : [];
  const served = servicesOf(graph, w).flatMap((s) => s.ports.map((p) => workloadPortOf(s, p, w))).filter((n): n is number => n !== undefined);
  return [...new Set([...own, ...served])];
}

/** `security/authz-port-not-container-port`: `to.operation.ports` naming a port no selected workload listens on. */
const authzPortNotContainerPort: Rule = {
  id: 'security/authz-port-not-container-port',
  severity: 'warning',
  summary: 'An AuthorizationPolicy `to.operation.ports` or `notPorts` entry is not a container port of the workloads it selects (often a Service port).',
  docs: [
    'AuthorizationPolicy ports are matched against the port the request arrives on at the workload: the container',
    '(target) port, not the Service port. `ports: ["80"]` for a Service that maps 80 to container port 8080 never',
    'matches: an ALLOW rule then lets nothing in (403 behind default-deny) and a DENY rule blocks nothing. A `notPorts`',
    'entry on such a port excludes nothing: a DENY rule then blocks the very port it meant to spare. Checked',
    'only when every selected workload declares its container ports (for a WorkloadEntry: the ports istiod gives it for the',
    'services selecting it, its `ports` map first); a policy without selector in the root namespace',
    '(mesh-wide) is not checked. Fix: use the container port (`"8080"`), as `targetPort` of the Service says.',
  ].join(' '),
  kinds: ['AuthorizationPolicy', 'Service', 'ServiceEntry', 'WorkloadEntry', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    for (const ap of graph.ofKind('AuthorizationPolicy')) {
      if (ap.spec.targetRef !== undefined || ap.spec.targetRefs !== undefined || !Array.isArray(ap.spec.rules)) continue;
      const workloads = targetsOf(graph, ap);
      const ports = workloads.map((w) => listeningPorts(graph, w));
      if (workloads.length === 0 || ports.some((p) => p.length === 0)) continue;
      const listening = new Set(ports.flat());
      ap.spec.rules.forEach((rule, i) => {
        if (!isRecord(rule) || !Array.isArray(rule.to)) return;
        rule.to.forEach((to, j) => {
          const op = isRecord(to) && isRecord(to.operation) ? to.operation : undefined;
          for (const field of ['ports', 'notPorts']) {
            (stringList(op?.[field]) ?? []).forEach((port, k) => {
              const n = Number(port);
              if (!Number.isInteger(n) || listening.has(n)) return;
              const path: FieldPath = ['spec', 'rules', i, 'to', j, 'operation', field, k];
              const service = workloads.flatMap((w) => servicesOf(graph, w).flatMap((s) => s.ports.filter((p) => p.number === n).map((p) => ({ s, p, w }))))[0];
              const target = service ? workloadPortOf(service.s, service.p, service.w) : undefined;
              const hint = service
                ? `; ${n} is a port of ${service.s.kind} ${service.s.namespace}/${service.s.object.name}${target !== undefined ? `, which sends it to ${service.w.kind === 'WorkloadEntry' ? `port ${target} of WorkloadEntry ${service.w.namespace}/${service.w.name}` : `container port ${target}`}: write "${target}"` : ': write the container port it targets'}`
                : `; they listen on ${[...listening].sort((a, b) => a - b).join(', ')}`;
              const effect = field === 'ports' ? 'so it never matches'
                : 'so it excludes nothing: every request arrives on another port, and the rule applies to all of them';
              ctx.report(ap, `${field} entry "${port}" is not a container port of the workloads this policy applies to, ${effect}${hint}`, { path });
            });
          }
        });
      });
    }
  },
};

export default authzPortNotContainerPort;
