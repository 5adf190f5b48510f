import { isRecord } from './object.js';
import type { ServicePort } from './services.js';
import type { Workload } from './workloads.js';

/**
 * The port a workload receives a service port's traffic on: the endpoint port istiod gives it.
 *
 * - A WorkloadEntry's `spec.ports` map, keyed by the service port's name, wins over everything
 *   (WorkloadEntry.ports: "endpoint port map takes precedence over targetPort").
 * - Else a numeric `targetPort` (Service `targetPort`, ServiceEntry `targetPort`).
 * - Else a named `targetPort` is looked up among the workload's container ports; `undefined` when
 *   no container port has that name (the endpoint is not ready for that port).
 * - Else the service port number itself.
 */
export function endpointPortOf(p: ServicePort, w: Workload): number | undefined {
  if (w.kind === 'WorkloadEntry' && p.name !== '') {
    const ports = w.object.spec.ports;
    const mapped = isRecord(ports) ? ports[p.name] : undefined;
    if (typeof mapped === 'number' && Number.isInteger(mapped) && mapped > 0) return mapped;
  }
  if (typeof p.targetPort === 'number') return p.targetPort;
  if (typeof p.targetPort === 'string') return w.containerPorts.find((c) => c.name === p.targetPort)?.containerPort;
  return p.number;
}
