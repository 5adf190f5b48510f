import type { MeshGraph, Workload } from '../../../mesh/graph.js';
import { podAnnotations } from '../security/_helpers.js';

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
 * Whether ztunnel captures `w` instead of a sidecar: the mesh model says ambient, or the pod
 * carries `ambient.istio.io/redirection: enabled` (what the CNI agent writes; Istio `PodInAmbientMode`).
 */
export function workloadInAmbientMode(graph: MeshGraph, w: Workload): boolean {
  if (graph.membershipOf(w).dataplane === 'ambient') return true;
  const annotations = w.kind === 'Pod' ? w.object.annotations : podAnnotations(w);
  return annotations['ambient.istio.io/redirection'] === 'enabled';
}
