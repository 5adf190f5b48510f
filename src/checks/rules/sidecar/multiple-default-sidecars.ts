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
    '`workloadSelector`. Not reported in an ambient namespace (no sidecars there; `sidecar/ineffective-policy`).',
    'Mirrors `istioctl analyze` IST0111 (MultipleSidecarsWithoutWorkloadSelectors).',
  ].join(' '),
  kinds: ['Sidecar'],
  check(graph, ctx) {
    const defaults = new Map<string, MeshObject[]>();
    for (const sc of graph.ofKind('Sidecar')) if (selectorOf(sc) === null) push(defaults, sc.namespace, sc);
    for (const [ns, list] of defaults) {
      if (list.length < 2 || namespaceInAmbientMode(graph, ns)) continue; // IST0167 instead, as in Istio
      for (const sc of list) {
        const others = listSome(firstOthers(list, sc).map((o) => o.name), SHOWN, list.length - 1);
        ctx.report(sc, `Multiple Sidecars without a workloadSelector in namespace ${ns}: ${sc.name} and ${others}; keep one default Sidecar and give the others a workloadSelector`, {
          path: sc.spec.workloadSelector !== undefined ? ['spec', 'workloadSelector'] : ['metadata', 'name'],
        });
      }
    }
  },
};

export default multipleDefaultSidecars;
