/**
 * The MeshConfig the input itself carries: the `istio` ConfigMap (`data.mesh`) in the root
 * namespace, which is where istiod (and `istioctl analyze` against a live cluster) reads it.
 * `MeshGraph` folds it into its context when no MeshConfig is given explicitly (`--mesh-config`,
 * `GraphOptions.context`), so every query and rule reads one MeshConfig: `graph.meshConfig`.
 */
import { parseMeshConfig, type MeshConfig } from './mesh-config.js';
import type { MeshObject } from './object.js';

export interface InputMeshConfig {
  readonly meshConfig: MeshConfig;
  /** The ConfigMap it came from. */
  readonly from: MeshObject;
}

/**
 * The MeshConfig of the `istio` ConfigMap in `rootNamespace` among `objects`, read as istiod reads
 * it (unknown fields dropped, the rest applied), or null when there is none, it has no `data.mesh`
 * string, or that text is not a valid MeshConfig (Istio's defaults then apply, as istiod ignores an
 * invalid mesh config). The check `validation/mesh-config` reports what is wrong with it.
 */
export function meshConfigInInput(objects: readonly MeshObject[], rootNamespace: string): InputMeshConfig | null {
  const cm = objects.find((o) => isMeshConfigMap(o, rootNamespace) && o.name === 'istio');
  const data = cm?.body.data as Record<string, unknown> | undefined;
  if (!cm || typeof data?.mesh !== 'string') return null;
  const parsed = parseMeshConfig(data.mesh, `${cm.file} (ConfigMap ${cm.namespace}/${cm.name} data.mesh)`, { unknownFields: 'ignore' });
  return parsed.problems.length === 0 ? { meshConfig: parsed.meshConfig, from: cm } : null;
}

/** istiod's namespace when the MeshConfig names no other root namespace. */
const ISTIO_SYSTEM = 'istio-system';

/** `istio` or a revision's `istio-<revision>` (not `istio-ca-root-cert`, `istio-sidecar-injector`…, which hold no `mesh`). */
const MESH_CONFIG_MAP = /^istio(-[a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/;

/**
 * Whether `o` is a ConfigMap istiod may read its MeshConfig from: `istio` (the default revision's)
 * or `istio-<revision>`, in istiod's namespace (taken as the root namespace, or istio-system), with a
 * `data.mesh` key. The graph applies the default revision's (`meshConfigInInput`); the check
 * `validation/mesh-config` judges them all.
 */
export function isMeshConfigMap(o: MeshObject, rootNamespace: string): boolean {
  return o.kind === 'ConfigMap' && o.group === '' && MESH_CONFIG_MAP.test(o.name) && (o.namespace === rootNamespace || o.namespace === ISTIO_SYSTEM)
    && (o.body.data as Record<string, unknown> | undefined)?.mesh != null;
}
