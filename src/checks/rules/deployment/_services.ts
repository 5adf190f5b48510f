import type { MeshGraph, ServiceInfo, Workload } from '../../../mesh/graph.js';
import { isRecord } from '../../../mesh/object.js';

/**
 * Istio's `ServiceAssociationAnalyzer` scope: Deployments in the mesh (not waypoints), and the
 * Services of their namespace whose non-empty selector matches the pod template labels. Argo
 * Rollouts with their own `spec.template` count as Deployments (istiod sees the same pods). Only
 * Deployments with at least `minServices` such Services are returned.
 */
export function meshedDeploymentsWithServices(graph: MeshGraph, minServices = 2): { workload: Workload; services: ServiceInfo[] }[] {
  const out: { workload: Workload; services: ServiceInfo[] }[] = [];
  for (const d of [...graph.ofKind('Deployment'), ...graph.ofKind('Rollout')]) {
    if (d.labels['gateway.istio.io/managed'] === 'istio.io-mesh-controller') continue;
    const w = graph.workloads.of(d);
    if (!w || !graph.membershipOf(w).meshed) continue;
    const services = graph.servicesSelecting(w).filter((s) => s.kind === 'Service');
    if (services.length >= minServices) out.push({ workload: w, services });
  }
  return out;
}

/** A Service port's raw Kubernetes fields (the analyzer reads these, not Istio's protocol). */
export function rawPorts(s: ServiceInfo): { port: number; protocol: string; targetPort: string }[] {
  return (Array.isArray(s.object.spec.ports) ? s.object.spec.ports : []).flatMap((p) => {
    if (!isRecord(p) || typeof p.port !== 'number') return [];
    const t = p.targetPort;
    const targetPort = t === undefined || t === 0 || t === '' ? String(p.port) : String(t);
    return [{ port: p.port, protocol: typeof p.protocol === 'string' && p.protocol !== '' ? p.protocol : 'TCP', targetPort }];
  });
}
