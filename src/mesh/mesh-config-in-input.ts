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
  /** The ConfigMap it came from, or the IstioOperator whose `spec.meshConfig` it is. */
  readonly from: MeshObject;
}

/**
 * The MeshConfig of the `istio` ConfigMap in `rootNamespace` among `objects`, read as istiod reads
 * it (unknown fields dropped, the rest applied), or null when there is none, it has no `data.mesh`
 * string, or that text is not a valid MeshConfig (Istio's defaults then apply, as istiod ignores an
 * invalid mesh config). The check `validation/mesh-config` reports what is wrong with it.
 * Without an `istio` ConfigMap, the only revision's `istio-<revision>` is read instead: a control plane
 * installed with a revision alone (`istioctl install --revision canary`, namespaces labelled
 * `istio.io/rev`, or the `default` tag pointing at it) has no `istio` ConfigMap, and that revision's
 * istiod, the only one, runs every proxy with its MeshConfig. With several revisions and no default
 * none is chosen. Without any such ConfigMap, the one IstioOperator's `spec.meshConfig` is read.
 */
export function meshConfigInInput(objects: readonly MeshObject[], rootNamespace: string): InputMeshConfig | null {
  const maps = objects.filter((o) => isMeshConfigMap(o, rootNamespace));
  const cm = maps.find((o) => o.name === 'istio') ?? (maps.length === 1 ? maps[0] : undefined);
  if (!cm) return maps.length === 0 ? operatorMeshConfig(objects) : null;
  const data = cm.body.data as Record<string, unknown> | undefined;
  if (typeof data?.mesh !== 'string') return null;
  const parsed = parseMeshConfig(data.mesh, `${cm.file} (ConfigMap ${cm.namespace}/${cm.name} data.mesh)`, { unknownFields: 'ignore' });
  return parsed.problems.length === 0 ? { meshConfig: parsed.meshConfig, from: cm } : null;
}

/**
 * The MeshConfig of the one IstioOperator (`install.istio.io`) in the input whose `spec.meshConfig` is
 * set, when no MeshConfig ConfigMap is there: istioctl install and the operator render that field (over
 * Istio's defaults) into the `istio` ConfigMap (`istio-<revision>` with `spec.revision`), which a
 * repository that keeps the IstioOperator does not hold itself. Null with none, several, or an invalid one.
 */
function operatorMeshConfig(objects: readonly MeshObject[]): InputMeshConfig | null {
  const operators = objects.filter((o) => o.kind === 'IstioOperator' && o.group === 'install.istio.io' && isObject((o.body.spec as Record<string, unknown> | undefined)?.meshConfig));
  if (operators.length !== 1) return null;
  const op = operators[0]!;
  const mesh = (op.body.spec as Record<string, unknown>).meshConfig;
  const parsed = parseMeshConfig(JSON.stringify(mesh), `${op.file} (IstioOperator ${op.namespace}/${op.name} spec.meshConfig)`, { unknownFields: 'ignore' });
  return parsed.problems.length === 0 ? { meshConfig: parsed.meshConfig, from: op } : null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

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
