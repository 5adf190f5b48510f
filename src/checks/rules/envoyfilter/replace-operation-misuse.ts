import type { Rule } from '../../rule.js';
import { patchesWith } from './_helpers.js';

/** `envoyfilter/replace-operation-misuse` (IST0152): REPLACE on something Istio cannot replace. */
const replaceOperationMisuse: Rule = {
  id: 'envoyfilter/replace-operation-misuse',
  istioCode: 'IST0152',
  severity: 'error',
  summary: 'An EnvoyFilter patch uses REPLACE with an applyTo other than HTTP_FILTER, NETWORK_FILTER or VIRTUAL_HOST.',
  docs: [
    'Istio implements REPLACE only for named HTTP and network filters and for virtual hosts; on listeners, clusters,',
    'routes and the rest the patch is ignored. Fix: use MERGE to change fields, or REMOVE then ADD to swap an element.',
    'Mirrors `istioctl analyze` IST0152 (EnvoyFilterUsesReplaceOperationIncorrectly), with the same table of kinds.',
  ].join(' '),
  kinds: ['EnvoyFilter'],
  check(graph, ctx) {
    for (const p of patchesWith(graph, 'replace-misuse')) {
      ctx.report(p.filter, `The REPLACE operation is only valid for HTTP_FILTER, NETWORK_FILTER and VIRTUAL_HOST, not ${p.applyTo || 'an unset applyTo'} (patch ${p.index}); Istio ignores it; use MERGE, or REMOVE and ADD`, {
        path: p.operationPath,
      });
    }
  },
};

export default replaceOperationMisuse;
