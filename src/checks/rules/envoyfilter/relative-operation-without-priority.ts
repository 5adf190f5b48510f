import type { Rule } from '../../rule.js';
import { configPatches, hasPriority, isRelative } from './_helpers.js';

/** `envoyfilter/relative-operation-without-priority` (IST0151). */
const relativeOperationWithoutPriority: Rule = {
  id: 'envoyfilter/relative-operation-without-priority',
  istioCode: 'IST0151',
  severity: 'warning',
  summary: 'An EnvoyFilter without `priority` uses a relative patch operation (INSERT_BEFORE, INSERT_AFTER, or REPLACE/REMOVE of a filter).',
  docs: [
    'Relative operations only work when the element they are positioned against already exists. EnvoyFilters of',
    'equal priority are applied in creation order, so a filter inserted before one that another EnvoyFilter adds',
    'may be applied first and silently do nothing, differently in each cluster. Fix: set `priority` to order this',
    'EnvoyFilter after the ones it depends on, or use INSERT_FIRST or ADD. Mirrors `istioctl analyze` IST0151',
    '(EnvoyFilterUsesRelativeOperation); patches that also match a proxyVersion are IST0155.',
  ].join(' '),
  kinds: ['EnvoyFilter'],
  check(graph, ctx) {
    for (const p of configPatches(graph)) {
      if (!isRelative(p) || hasPriority(p.filter) || p.proxyVersion !== undefined) continue;
      ctx.report(p.filter, `This EnvoyFilter does not have a priority and patch ${p.index} uses the relative operation ${p.operation} on ${p.applyTo || 'an unset applyTo'}, so it may be applied before the element it is relative to exists; set spec.priority or use INSERT_FIRST or ADD`, {
        path: p.operationPath,
      });
    }
  },
};

export default relativeOperationWithoutPriority;
