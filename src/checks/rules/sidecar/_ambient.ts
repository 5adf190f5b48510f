import type { MeshGraph, Workload } from '../../../mesh/graph.js';

/**
 * Istio `util.NamespaceInAmbientMode`: the Namespace is labelled `istio.io/dataplane-mode: ambient`
 * and has neither `istio-injection: enabled` nor a non-empty `istio.io/rev`.
 */
export function namespaceInAmbientMode(graph: MeshGraph, namespace: string): boolean {
  const ns = graph.get('Namespace', '', namespace);
  if (!ns) return false;
  if (ns.labels['istio-injection'] === 'enabled') return false;
  if ((ns.labels['istio.io/rev'] ?? '') !== '') return false;
  return ns.labels['istio.io/dataplane-mode'] === 'ambient';
}

/**
 * Whether ztunnel captures `w` instead of a sidecar, as the mesh model decides it (namespace or pod
 * `istio.io/dataplane-mode: ambient`, or the `ambient.istio.io/redirection: enabled` annotation the
 * CNI agent writes on a captured pod, which is all Istio `PodInAmbientMode` reads).
 */
export function workloadInAmbientMode(graph: MeshGraph, w: Workload): boolean {
  return graph.membershipOf(w).dataplane === 'ambient';
}
