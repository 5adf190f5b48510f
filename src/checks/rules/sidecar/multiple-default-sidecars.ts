import { selectorOf } from '../../../mesh/policy.js';
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
    'namespace, for the whole mesh). Istio supports one such default per namespace; with several, which one wins',
    'is undefined and changes between istiod restarts. Fix: merge them into one Sidecar, or give all but one a',
    '`workloadSelector`. A `workloadSelector: {}` without labels counts as none, as in istioctl; the message names such',
    'Sidecars, since istiod ranks them with the workload-selected ones (they apply to every workload of the namespace',
    'ahead of one without workloadSelector). Not reported in an ambient namespace (no sidecars there; `sidecar/ineffective-policy`).',
    'Mirrors `istioctl analyze` IST0111 (MultipleSidecarsWithoutWorkloadSelectors).',
  ].join(' '),
  kinds: ['Sidecar'],
  check(graph, ctx) {
    const defaults = new Map<string, MeshObject[]>();
    for (const sc of graph.ofKind('Sidecar')) if (selectorOf(sc) === null) push(defaults, sc.namespace, sc);
    for (const [ns, list] of defaults) {
      if (list.length < 2 || namespaceInAmbientMode(graph, ns)) continue; // IST0167 instead, as in Istio
      // `workloadSelector: {}` counts as none here, as in istioctl's SelectorAnalyzer, but istiod ranks
      // it with the workload-selected Sidecars (mesh/sidecar scope): say so, or "without a
      // workloadSelector" reads as wrong next to a Sidecar that has one.
      const empty = list.filter((sc) => sc.spec.workloadSelector !== undefined).map((sc) => sc.name);
      const [they, has] = empty.length === 1 ? ['it', 'has'] : ['them', 'have'];
      const emptyNote = empty.length === 0 ? '' : `; ${listSome(empty, SHOWN, empty.length)} ${has} workloadSelector without labels: istioctl analyze counts that as none, while istiod ranks ${they} with the workload-selected Sidecars, for every workload of ${ns}`;
      for (const sc of list) {
        const others = listSome(firstOthers(list, sc).map((o) => o.name), SHOWN, list.length - 1);
        ctx.report(sc, `Multiple Sidecars without a workloadSelector in namespace ${ns}: ${sc.name} and ${others}${emptyNote}; keep one default Sidecar and give the others a workloadSelector with the labels of their pods`, {
          path: sc.spec.workloadSelector !== undefined ? ['spec', 'workloadSelector'] : ['metadata', 'name'],
        });
      }
    }
  },
};

export default multipleDefaultSidecars;
