/**
 * Namespaces every Kubernetes cluster has, whether or not the input writes them: the API server creates
 * `default`, `kube-system`, `kube-public` and `kube-node-lease` at start-up (and keeps recreating them). The
 * mesh root namespace (MeshConfig.rootNamespace, `istio-system` by default) exists wherever Istio is installed.
 */
export const KUBERNETES_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** The namespaces a reference may name although nothing in the input lives there: Kubernetes' own and the root namespace. */
export function builtinNamespaces(rootNamespace: string): string[] {
  return [...KUBERNETES_NAMESPACES, rootNamespace];
}
