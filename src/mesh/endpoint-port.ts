import { isRecord } from './object.js';
import type { ServiceInfo, ServicePort } from './services.js';
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

/**
 * The port a ServiceEntry port reaches on a workload its `workloadSelector` picks, by istiod's
 * priority (`convertWorkloadInstanceToServiceInstance`: workload port map > `targetPort` > `number`):
 * for a pod the port map is its named TCP container ports (`getPortMap`), so a container port named
 * like the entry port wins; for a WorkloadEntry its `spec.ports` (`endpoint-port.ts`). An entry's
 * `targetPort` is always a number, so a port is always found.
 */
export function entryEndpointPort(p: ServicePort, workload: Workload | undefined): number {
  if (workload && workload.kind !== 'WorkloadEntry' && p.name !== '') {
    const named = workload.containerPorts.find((c) => c.name === p.name && c.protocol === 'TCP');
    if (named) return named.containerPort;
  }
  if (!workload) return typeof p.targetPort === 'number' ? p.targetPort : p.number;
  return endpointPortOf(p, workload) ?? p.number;
}

/**
 * The container port `w` receives `service`'s port `p` on, as istiod computes the endpoint port and
 * as the sidecar inbound view uses it:
 * - a Service: {@link endpointPortOf} (WorkloadEntry `ports` map, else `targetPort`, a named one
 *   looked up among the container ports, else the port number); `undefined` when a named
 *   `targetPort` names no container port;
 * - a ServiceEntry with `workloadSelector`: {@link entryEndpointPort} (serviceentry/conversion.go
 *   convertWorkloadInstanceToServiceInstance: a TCP container port named like the entry port, else
 *   the WorkloadEntry map, else `targetPort`, else the number).
 * For every judge of where a service's traffic arrives (the inbound view, the checks, verify).
 */
export function workloadPortOf(service: ServiceInfo, p: ServicePort, w: Workload): number | undefined {
  return service.kind === 'ServiceEntry' ? entryEndpointPort(p, w) : endpointPortOf(p, w);
}
