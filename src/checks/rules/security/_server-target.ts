import type { MeshGraph, ServiceInfo, ServicePort, Workload } from '../../../mesh/graph.js';
import { workloadPortOf } from '../../../mesh/endpoint-port.js';
import type { MeshObject } from '../../../mesh/object.js';
import { subsetLabelsOf, type ClientTlsAt } from '../tls/_helpers.js';
import type { MtlsDecision } from './_helpers.js';

export interface ServerHit {
  readonly workload: Workload;
  readonly port: number | undefined;
  readonly decision: MtlsDecision;
}

/**
 * The first workload behind `services` (narrowed to the DestinationRule subset of `at`) for which
 * `bad(workload, mTLS decision on the target port)` holds, on a port this TLS block governs
 * (`overridden` ports have their own port-level block; a port-level block for a port the service does not
 * have governs none).
 */
export function serverTarget(graph: MeshGraph, dr: MeshObject, services: ServiceInfo[], at: ClientTlsAt, overridden: Set<number>,
  bad: (w: Workload, decision: MtlsDecision) => boolean): ServerHit | undefined {
  const subsetLabels = at.subset === undefined ? {} : subsetLabelsOf(dr, at.subset);
  for (const s of services) {
    // A port-level block is matched against the service's own ports (cluster_builder.go
    // selectTrafficPolicyComponents): a port the service lacks governs none of its clusters. Only when the
    // input gives the service no ports at all is the written number taken as one.
    const named = at.port !== undefined ? s.ports.find((p) => p.number === at.port) : undefined;
    const ports: (ServicePort | undefined)[] = at.port !== undefined
      ? (named ? [named] : s.ports.length === 0 ? [{ number: at.port, name: '', protocol: 'TCP', path: [] }] : [])
      : s.ports.filter((p) => !overridden.has(p.number));
    if (at.port === undefined && s.ports.length === 0) ports.push(undefined);
    for (const w of graph.workloadsSelectedBy(s.namespace, { ...s.selector, ...subsetLabels })) {
      for (const p of ports) {
        const port = p && (workloadPortOf(s, p, w) ?? p.number);
        const decision = graph.mtlsModeFor(w, port);
        if (bad(w, decision)) return { workload: w, port, decision };
      }
    }
  }
  return undefined;
}
