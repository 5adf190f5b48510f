import type { ServiceInfo, ServicePort, Workload } from '../../mesh/graph.js';
import { endpointPortOf } from '../../mesh/endpoint-port.js';
import { entryEndpointPort } from '../../mesh/view/inbound.js';

/**
 * The container port `w` receives `service`'s port `p` on, as istiod computes the endpoint port and
 * as the sidecar inbound view uses it:
 * - a Service: `endpointPortOf` (WorkloadEntry `ports` map, else `targetPort`, a named one looked up
 *   among the container ports, else the port number); `undefined` when a named `targetPort` names no
 *   container port;
 * - a ServiceEntry with `workloadSelector`: `entryEndpointPort` (serviceentry/conversion.go
 *   convertWorkloadInstanceToServiceInstance: a TCP container port named like the entry port, else
 *   the WorkloadEntry map, else `targetPort`, else the number).
 */
export function workloadPortOf(service: ServiceInfo, p: ServicePort, w: Workload): number | undefined {
  return service.kind === 'ServiceEntry' ? entryEndpointPort(p, w) : endpointPortOf(p, w);
}
