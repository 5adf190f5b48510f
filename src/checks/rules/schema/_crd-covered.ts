import { isValidatedKind } from '../../../validate/index.js';
import type { MeshObject } from '../../../mesh/object.js';

/** Istio kinds that are not mesh configuration and have no CRD in the vendored set. */
const EXEMPT = new Set(['install.istio.io/IstioOperator']);

/** True when schema/crd-validation checks this object against an Istio or Gateway API CRD schema (metadata included). */
export function crdCovered(o: MeshObject): boolean {
  return isValidatedKind(o.apiVersion, o.kind) && !EXEMPT.has(`${o.group}/${o.kind}`);
}
