import type { MeshGraph, Workload } from '../../../mesh/graph.js';
import { isRecord, stringMap, type MeshObject } from '../../../mesh/object.js';
import { POD_WORKLOAD_KINDS } from '../../../mesh/workloads.js';
import type { FieldPath } from '../../types.js';

/** One port of a Kubernetes Service as the endpoints controller reads it. */
export interface TargetedPort {
  /** `port`. */
  readonly port: number;
  /** `targetPort`: a number, or a container port name; the port number when unset. */
  readonly target: number | string;
  /** Kubernetes `protocol` (TCP, UDP, SCTP), `TCP` when unset: a named targetPort must match it too. */
  readonly protocol: string;
  /** Path to `targetPort`, or to the port when `targetPort` is unset. */
  readonly path: FieldPath;
}

/** A core Service whose selector picks pods this input defines, with those workloads. */
export interface ServiceWithPods {
  readonly service: MeshObject;
  readonly workloads: readonly Workload[];
  readonly ports: readonly TargetedPort[];
}

/**
 * Every core/v1 Service of `graph` that has a non-empty `selector` (an empty one makes the endpoints
 * controller manage no endpoints) and is not `ExternalName`, with the pod workloads of its namespace
 * that selector matches (WorkloadEntries are left out: they declare no container ports). Services
 * selecting no workload of the input are left out: their pods are not known here.
 */
export function servicesWithPods(graph: MeshGraph): ServiceWithPods[] {
  const out: ServiceWithPods[] = [];
  for (const service of graph.ofKind('Service')) {
    if (service.group !== '' || service.spec.type === 'ExternalName') continue;
    const selector = stringMap(service.spec.selector);
    if (Object.keys(selector).length === 0) continue;
    const workloads = graph.workloadsSelectedBy(service.namespace, selector).filter((w) => POD_WORKLOAD_KINDS.has(w.kind));
    if (workloads.length === 0) continue;
    const ports = (Array.isArray(service.spec.ports) ? service.spec.ports : []).flatMap((p, i): TargetedPort[] => {
      if (!isRecord(p) || typeof p.port !== 'number') return [];
      const t = p.targetPort;
      const set = (typeof t === 'number' && t !== 0) || (typeof t === 'string' && t !== '');
      return [{
        port: p.port,
        target: set ? (t as number | string) : p.port,
        protocol: typeof p.protocol === 'string' && p.protocol !== '' ? p.protocol : 'TCP',
        path: set ? ['spec', 'ports', i, 'targetPort'] : ['spec', 'ports', i],
      }];
    });
    out.push({ service, workloads, ports });
  }
  return out;
}

/** `Deployment shop/web`, `Deployment shop/web and StatefulSet shop/db`, `Deployment shop/a, …, and 3 more`. */
export function workloadList(ws: readonly Workload[], max = 3): string {
  const names = ws.slice(0, max).map((w) => `${w.kind} ${w.namespace}/${w.name}`);
  if (ws.length > max) return `${names.join(', ')} and ${ws.length - max} more`;
  return names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
