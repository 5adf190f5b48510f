import { ApiObject, JsonPatch } from 'cdk8s';
import type * as kplus from 'cdk8s-plus-27';

/**
 * Removes the `cdk8s.io/metadata.addr` label that cdk8s-plus puts on every pod template, a hash
 * of the construct path, even with `select: false`: moving the construct would change it and roll
 * every pod, and it leaks a name hash into `dist/`. Select the pods by your own labels instead
 * (`deployment.select(LabelSelector.of({ labels }))`).
 */
export function removeConstructPathLabel(deployment: kplus.Deployment): void {
  ApiObject.of(deployment).addJsonPatch(JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'));
}
