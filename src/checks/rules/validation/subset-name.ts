import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { isDns1123Label } from './_dns.js';

/** `validation/subset-name` (IST0106): a DestinationRule subset name Istio's `validateSubset` refuses (not a DNS-1123 label). */
const subsetName: Rule = {
  id: 'validation/subset-name',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A DestinationRule subset whose name is not a DNS-1123 label, so Istio\'s admission webhook refuses the DestinationRule.',
  docs: [
    'Istio\'s `validateSubset` (pkg/config/validation) requires `subsets[].name` to be a DNS-1123 label',
    '(`labels.IsDNS1123Label`): 1-63 ASCII letters, digits and `-`, starting and ending with a letter or digit.',
    '`kubectl apply` fails with "subset name is invalid" and `istioctl analyze` reports IST0106.',
    'Fix: rename the subset (e.g. `v1`, `canary`) and the VirtualService destinations that name it.',
  ].join(' '),
  kinds: ['DestinationRule'],
  check(graph, ctx) {
    for (const dr of graph.ofKind('DestinationRule')) {
      (Array.isArray(dr.spec.subsets) ? dr.spec.subsets : []).forEach((s, i) => {
        if (!isRecord(s) || typeof s.name !== 'string' || isDns1123Label(s.name)) return;
        ctx.report(dr, `subset name is invalid: "${s.name}"; a subset name is 1-63 letters, digits and '-', starting and ending with a letter or digit`, { path: ['spec', 'subsets', i, 'name'] });
      });
    }
  },
};

export default subsetName;
