import type { Rule } from '../../rule.js';
import { patchesWith } from './_helpers.js';

/** `envoyfilter/relative-operation-without-priority` (IST0151). */
const relativeOperationWithoutPriority: Rule = {
  id: 'envoyfilter/relative-operation-without-priority',
  istioCode: 'IST0151',
  severity: 'warning',
  summary: 'An EnvoyFilter without `priority` uses a relative patch operation (INSERT_BEFORE, INSERT_AFTER, REPLACE or REMOVE).',
  docs: [
    'Relative operations only work when the element they are positioned against already exists. EnvoyFilters of',
    'equal priority are applied in creation order, so a patch relative to an element another EnvoyFilter adds may be',
    'applied first and silently do nothing, differently in each cluster. As in `istioctl analyze` IST0151',
    '(EnvoyFilterUsesRelativeOperation), INSERT_BEFORE and INSERT_AFTER are relative, and so is every REMOVE (except',
    'on ROUTE_CONFIGURATION / HTTP_ROUTE, IST0154) and every REPLACE of a kind that can be replaced. A patch whose',
    'element an earlier `proxyVersion` patch also named is IST0155 instead. Fix: set `priority` to order this',
    'EnvoyFilter after the ones it depends on, or use INSERT_FIRST or ADD.',
  ].join(' '),
  kinds: ['EnvoyFilter'],
  check(graph, ctx) {
    for (const p of patchesWith(graph, 'relative')) {
      ctx.report(p.filter, `This EnvoyFilter does not have a priority and patch ${p.index} uses the relative operation ${p.operation} on ${p.applyTo || 'an unset applyTo'}, so it may be applied before the element it is relative to exists; set spec.priority or use INSERT_FIRST or ADD`, {
        path: p.operationPath,
      });
    }
  },
};

export default relativeOperationWithoutPriority;
