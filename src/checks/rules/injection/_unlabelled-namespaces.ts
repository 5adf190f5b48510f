import type { MeshGraph } from '../../../mesh/graph.js';
import type { MeshObject } from '../../../mesh/object.js';

/** A Namespace without an injection label, and whether the injector injects such namespaces anyway. */
export interface UnlabelledNamespace {
  readonly namespace: MeshObject;
  /** The `istio-sidecar-injector` ConfigMap in the input sets `sidecarInjectorWebhook.enableNamespacesByDefault: true`. */
  readonly injectedByDefault: boolean;
}

/** `values` of the injector ConfigMap (JSON): whether it injects namespaces that carry no label. */
function enablesNamespacesByDefault(values: unknown): boolean {
  if (typeof values !== 'string') return false;
  try {
    const v = JSON.parse(values) as { sidecarInjectorWebhook?: { enableNamespacesByDefault?: unknown } };
    return v.sidecarInjectorWebhook?.enableNamespacesByDefault === true;
  } catch {
    return false;
  }
}

/**
 * The Namespaces Istio's `injection.Analyzer` (analyzers/injection/injection.go) finds unlabelled:
 * every Namespace but `istio-system` and those labelled `istio.io/dataplane-mode: ambient`, whose
 * `istio-injection` label is absent or empty and which has no `istio.io/rev` label (even an empty one
 * counts as set). `injectedByDefault` reads the first `istio-sidecar-injector` ConfigMap of the input,
 * in any namespace, as the analyzer does.
 */
export function unlabelledNamespaces(graph: MeshGraph): UnlabelledNamespace[] {
  const injector = graph.ofKind('ConfigMap').find((c) => c.name === 'istio-sidecar-injector');
  const injectedByDefault = enablesNamespacesByDefault((injector?.body.data as Record<string, unknown> | undefined)?.values);
  return graph.ofKind('Namespace')
    .filter((ns) => ns.name !== 'istio-system' && ns.labels['istio.io/dataplane-mode'] !== 'ambient'
      && (ns.labels['istio-injection'] ?? '') === '' && !Object.hasOwn(ns.labels, 'istio.io/rev'))
    .map((namespace) => ({ namespace, injectedByDefault }));
}
