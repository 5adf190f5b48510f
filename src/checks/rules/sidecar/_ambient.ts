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
 * Whether ztunnel captures `w` instead of a sidecar. A Pod object is the pod itself: istio-cni writes
 * `ambient.istio.io/redirection: enabled` on every pod it has captured, and that annotation is all
 * Istio `util.PodInAmbientMode` reads, so a Pod is ambient exactly when it carries it (a Pod without it
 * in an ambient namespace, or labelled `istio.io/dataplane-mode: ambient`, has not been captured; one
 * with it is captured even beside an `istio-proxy` container). A pod template (Deployment and the other
 * workload kinds) has no such record yet: there the mesh model decides from the namespace and pod labels.
 */
export function workloadInAmbientMode(graph: MeshGraph, w: Workload): boolean {
  if (w.kind === 'Pod') return w.object.annotations['ambient.istio.io/redirection'] === 'enabled';
  return graph.membershipOf(w).dataplane === 'ambient';
}
