/**
 * The MeshConfig the input itself carries: the `istio` ConfigMap (`data.mesh`) in the root
 * namespace, which is where istiod (and `istioctl analyze` against a live cluster) reads it.
 * A MeshConfig given explicitly (`--mesh-config`, the graph's context) always wins.
 */
import { DEFAULT_MESH_CONFIG, parseMeshConfig, type MeshConfig } from './mesh-config.js';
import type { MeshObject } from './object.js';

export interface InputMeshConfig {
  readonly meshConfig: MeshConfig;
  /** The ConfigMap it came from; null when explicit or Istio's defaults. */
  readonly from: MeshObject | null;
}

const cache = new WeakMap<object, InputMeshConfig>();

/** The effective MeshConfig for `graph`: explicit context, else the input's `istio` ConfigMap, else defaults. */
export function meshConfigOfInput(graph: { readonly meshConfig: MeshConfig; readonly rootNamespace: string; readonly objects: readonly MeshObject[] }): InputMeshConfig {
  let found = cache.get(graph);
  if (found) return found;
  found = { meshConfig: graph.meshConfig, from: null };
  if (graph.meshConfig === DEFAULT_MESH_CONFIG) {
    const cm = graph.objects.find((o) => o.kind === 'ConfigMap' && o.group === '' && o.name === 'istio' && o.namespace === graph.rootNamespace);
    const data = cm?.body.data as Record<string, unknown> | undefined;
    if (cm && typeof data?.mesh === 'string') {
      const parsed = parseMeshConfig(data.mesh, `${cm.file} (ConfigMap ${cm.namespace}/${cm.name} data.mesh)`);
      if (parsed.problems.length === 0) found = { meshConfig: parsed.meshConfig, from: cm };
    }
  }
  cache.set(graph, found);
  return found;
}
