/**
 * Where a request promised on a port really arrives at a workload, for authorization promises.
 * Kubernetes sends a request for a Service port to the endpoint's `targetPort` (kube-proxy's DNAT;
 * Istio's outbound cluster has the same endpoint port), and the inbound sidecar's RBAC filter sees
 * that container port as `destination.port`, so an AuthorizationPolicy `to.operation.ports` entry
 * naming the Service port never matches. The static judgement and the traffic proof both judge and
 * send on the arrival port and explain the difference with `explainArrival`.
 */
import type { MeshGraph } from '../../mesh/graph.js';
import { workloadPortOf } from '../../mesh/endpoint-port.js';
import { isRecord, type MeshObject } from '../../mesh/object.js';
import type { Workload } from '../../mesh/workloads.js';

/** The port requests to a promised port arrive on, and the Service port that sent them there. */
export interface Arrival {
  /** Container port the request arrives on (Envoy's `destination.port` at the inbound sidecar). */
  readonly port: number;
  /** The Service whose port the promise named, when the promise named a Service port, not a container port. */
  readonly via?: { readonly service: string; readonly servicePort: number };
}

/**
 * The arrival of a request to `port` at workload `w`: `port` itself when it is a container port of
 * `w` (or `w` declares none), else the endpoint port (`workloadPortOf`: WorkloadEntry port map,
 * numeric or named `targetPort`) of port `port` of the first Service selecting `w` that has one;
 * null when neither, i.e. the workload receives nothing on that port.
 */
export function arrivalOf(graph: MeshGraph, w: Workload, port: number): Arrival | null {
  if (w.containerPorts.length === 0 || w.containerPorts.some((c) => c.containerPort === port)) return { port };
  for (const s of graph.servicesSelecting(w)) {
    const p = s.ports.find((x) => x.number === port);
    const target = p && workloadPortOf(s, p, w);
    if (target !== undefined) return { port: target, via: { service: `${s.namespace}/${s.object.name}`, servicePort: port } };
  }
  return null;
}

/** Why nothing arrives at `w` on `port`: the ports it does receive on. */
export function noArrival(w: Workload, port: number): string {
  return `${w.kind} ${w.namespace}/${w.name} receives nothing on port ${port}: it is neither a container port of it (${w.containerPorts.map((c) => c.containerPort).join(', ')}) nor a port of a Service selecting it`;
}

/**
 * A parenthesised note for a verdict when the promise named a Service port: the Service, both
 * ports, and, when `policies` (those applying to the workload) name the Service port in
 * `to.operation.ports` or `notPorts`, which ones and what to write instead. '' when the promise
 * named the container port itself.
 */
export function explainArrival(a: Arrival, policies: readonly MeshObject[]): string {
  if (!a.via) return '';
  const { service, servicePort } = a.via;
  const naming = policies.filter((p) => namesPort(p, String(servicePort))).map((p) => `AuthorizationPolicy ${p.namespace}/${p.name} (${p.location.file}:${p.location.line})`);
  const fix = naming.length > 0
    ? `; ${naming.join(', ')} names port ${servicePort}, which never matches: write "${a.port}" in to.operation.ports`
    : '';
  return ` (port ${servicePort} is a port of Service ${service}; requests to it arrive on container port ${a.port} (targetPort), where Envoy's RBAC judges them: AuthorizationPolicy ports are container ports${fix})`;
}

function namesPort(p: MeshObject, port: string): boolean {
  const rules = Array.isArray(p.spec.rules) ? p.spec.rules.filter(isRecord) : [];
  return rules.some((r) => (Array.isArray(r.to) ? r.to.filter(isRecord) : []).some((t) => {
    const op = isRecord(t.operation) ? t.operation : {};
    return [op.ports, op.notPorts].some((l) => Array.isArray(l) && l.map(String).includes(port));
  }));
}
