import { configOrder } from '../../../mesh/destination-rules.js';
import { hasSidecarSelector, selectorOf } from '../../../mesh/policy.js';
import { push } from '../../../mesh/services.js';
import type { MeshObject } from '../../../mesh/object.js';
import { namespaceInAmbientMode } from './_ambient.js';
import type { Rule } from '../../rule.js';
import { SHOWN, firstOthers, listSome } from '../_lists.js';

/** `sidecar/multiple-default-sidecars` (IST0111): a namespace has more than one Sidecar without workloadSelector. */
const multipleDefaultSidecars: Rule = {
  id: 'sidecar/multiple-default-sidecars',
  istioCode: 'IST0111',
  severity: 'error',
  summary: 'A namespace has more than one Sidecar without a workloadSelector.',
  docs: [
    'A Sidecar without `workloadSelector` is the default for every workload of its namespace (in the root',
    'namespace, for the whole mesh). Istio supports one such default per namespace. With several, istiod still picks one',
    '(pilot `initSidecarScopes`, `getSidecarScope`), and the message says which: a Sidecar with `workloadSelector: {}`',
    '(no labels) counts as one with a selector to istiod (`WorkloadSelector != nil`), which it ranks ahead of every',
    'Sidecar without `workloadSelector`, so the oldest `{}` one (creation time, then name) configures every workload of the',
    'namespace that no older labelled Sidecar selects, and the selector-less ones configure nobody there (in the root',
    'namespace, the oldest selector-less one is still the mesh-wide default for other namespaces); without a `{}` one,',
    'the oldest Sidecar wins. `istioctl analyze` counts `{}` as no selector and reports them all; so does this rule.',
    'Fix: merge them into one Sidecar, or give all but one a `workloadSelector` with labels. Not reported in an ambient',
    'namespace (no sidecars there; `sidecar/ineffective-policy`). Mirrors `istioctl analyze` IST0111',
    '(MultipleSidecarsWithoutWorkloadSelectors): same code and severity.',
  ].join(' '),
  kinds: ['Sidecar'],
  check(graph, ctx) {
    const defaults = new Map<string, MeshObject[]>();
    for (const sc of graph.ofKind('Sidecar')) if (selectorOf(sc) === null) push(defaults, sc.namespace, sc);
    for (const [ns, list] of defaults) {
      if (list.length < 2 || namespaceInAmbientMode(graph, ns)) continue; // IST0167 instead, as in Istio
      const choice = istiodChoice(list, ns === graph.rootNamespace);
      for (const sc of list) {
        const others = listSome(firstOthers(list, sc).map((o) => o.name), SHOWN, list.length - 1);
        ctx.report(sc, `Multiple Sidecars without a workloadSelector in namespace ${ns}: ${sc.name} and ${others}; ${choice(sc)}. ` +
          'Fix: keep one default Sidecar and give the others a workloadSelector with labels', {
          path: sc.spec.workloadSelector !== undefined ? ['spec', 'workloadSelector'] : ['metadata', 'name'],
        });
      }
    }
  },
};

export default multipleDefaultSidecars;

/**
 * What istiod does with each of `list` (the Sidecars of one namespace whose workloadSelector has no labels),
 * as a clause of the message. istiod sorts Sidecars by creation time, then name, and puts every one with
 * `workloadSelector` set (`{}` included) ahead of those without (push_context.go `initSidecarScopes`); a
 * sidecar takes the first whose labels (none, for `{}`) it carries (`getSidecarScope`). In the root namespace
 * the oldest one without workloadSelector is also the mesh-wide default (`rootNSConfig`).
 */
function istiodChoice(list: readonly MeshObject[], root: boolean): (sc: MeshObject) => string {
  const ordered = [...list].sort(configOrder);
  const empty = ordered.filter(hasSidecarSelector);
  const none = ordered.filter((o) => !hasSidecarSelector(o));
  const order = 'the oldest by creationTimestamp, then name';
  if (empty.length === 0) {
    const used = none[0]!;
    return (sc) => (sc === used
      ? `istiod uses this one, ${order} (initSidecarScopes sorts them so), and never the others`
      : `istiod uses ${used.name}, ${order}, and never this one`);
  }
  const used = empty[0]!;
  const why = `workloadSelector: {} (no labels) still counts as a selector to istiod, which ranks Sidecars with a selector ahead of every one without (initSidecarScopes)`;
  const scopeOf = `every workload of the namespace that no older Sidecar with workloadSelector labels selects`;
  return (sc) => {
    if (sc === used) return `istiod uses this one for ${scopeOf}: its ${why}${empty.length > 1 ? `; of the Sidecars with workloadSelector: {}, it is ${order}` : ''}`;
    if (hasSidecarSelector(sc)) return `istiod never uses this one: ${used.name}, also with workloadSelector: {}, is older (creationTimestamp, then name) and is taken first`;
    const meshDefault = root && sc === none[0] ? ', though it stays the mesh-wide default for namespaces without a Sidecar of their own (rootNSConfig takes only a Sidecar without workloadSelector)' : '';
    return `istiod uses ${used.name}, not this one, for the workloads of this namespace: its ${why}${meshDefault}`;
  };
}
