/**
 * Where a service port's traffic arrives at a set of workloads, for rules that catch a service port
 * written where a workload port belongs (Sidecar ingress ports and defaultEndpoints, portLevelMtls keys).
 */
import { workloadPortOf } from '../../mesh/endpoint-port.js';
import type { MeshGraph, Workload } from '../../mesh/graph.js';
import type { ServiceInfo } from '../../mesh/services.js';

/** The Services and the ServiceEntries (by workloadSelector) whose endpoints include `w`. */
export function servicesServedBy(graph: MeshGraph, w: Workload): ServiceInfo[] {
  return [...graph.servicesSelecting(w), ...graph.services.entriesSelecting(w.namespace, w.labels)];
}

/**
 * The service (`Kind namespace/name`) with a port `number` that reaches every one of `workloads` on the
 * same other port, and that port; undefined unless every workload is served by such a port.
 */
export function servicePortTarget(graph: MeshGraph, workloads: readonly Workload[], number: number): { service: string; target: number } | undefined {
  const targets = workloads.map((w) => servicesServedBy(graph, w).flatMap((s) => s.ports.filter((p) => p.number === number).map((p) => ({ s, target: workloadPortOf(s, p, w) }))));
  if (targets.some((t) => t.length === 0 || t.some((x) => x.target === undefined || x.target === number))) return undefined;
  const { s, target } = targets[0]![0]!;
  if (targets.some((t) => t.some((x) => x.target !== target))) return undefined;
  return { service: `${s.kind} ${s.namespace}/${s.object.name}`, target: target! };
}
