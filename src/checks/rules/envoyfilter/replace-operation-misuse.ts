import type { Rule } from '../../rule.js';
import { configPatches } from './_helpers.js';

const REPLACEABLE = new Set(['HTTP_FILTER', 'NETWORK_FILTER']);

/** `envoyfilter/replace-operation-misuse` (IST0152): REPLACE on something other than a filter. */
const replaceOperationMisuse: Rule = {
  id: 'envoyfilter/replace-operation-misuse',
  istioCode: 'IST0152',
  severity: 'error',
  summary: 'An EnvoyFilter patch uses REPLACE with an applyTo other than HTTP_FILTER or NETWORK_FILTER.',
  docs: [
    'Istio implements REPLACE only for named HTTP and network filters; on listeners, clusters, routes and the rest',
    'the patch is ignored. Fix: use MERGE to change fields, or REMOVE then ADD to swap an element.',
    'Mirrors `istioctl analyze` IST0152 (EnvoyFilterUsesReplaceOperationIncorrectly).',
  ].join(' '),
  kinds: ['EnvoyFilter'],
  check(graph, ctx) {
    for (const p of configPatches(graph)) {
      if (p.operation !== 'REPLACE' || REPLACEABLE.has(p.applyTo)) continue;
      ctx.report(p.filter, `The REPLACE operation is only valid for HTTP_FILTER and NETWORK_FILTER, not ${p.applyTo || 'an unset applyTo'} (patch ${p.index}); Istio ignores it; use MERGE, or REMOVE and ADD`, {
        path: p.operationPath,
      });
    }
  },
};

export default replaceOperationMisuse;
