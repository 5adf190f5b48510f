import type { Rule } from '../../rule.js';
import { patchesWith } from './_helpers.js';

/** `envoyfilter/add-operation-misuse` (IST0153): ADD where Istio ignores it. */
const addOperationMisuse: Rule = {
  id: 'envoyfilter/add-operation-misuse',
  istioCode: 'IST0153',
  severity: 'error',
  summary: 'An EnvoyFilter patch uses ADD with applyTo ROUTE_CONFIGURATION or HTTP_ROUTE, where Istio ignores it.',
  docs: [
    'ADD appends to a list (listeners, clusters, virtual hosts, network or HTTP filters). Istio ignores it when',
    '`applyTo` is ROUTE_CONFIGURATION or HTTP_ROUTE, so the patch does nothing. Fix: for routes use INSERT_FIRST,',
    'INSERT_BEFORE or INSERT_AFTER on HTTP_ROUTE, or MERGE on the route configuration. Mirrors `istioctl analyze`',
    'IST0153 (EnvoyFilterUsesAddOperationIncorrectly).',
  ].join(' '),
  kinds: ['EnvoyFilter'],
  check(graph, ctx) {
    for (const p of patchesWith(graph, 'add-misuse')) {
      ctx.report(p.filter, `The ADD operation will be ignored when applyTo is ${p.applyTo} (patch ${p.index}); use INSERT_FIRST/INSERT_BEFORE/INSERT_AFTER on HTTP_ROUTE, or MERGE`, { path: p.operationPath });
    }
  },
};

export default addOperationMisuse;
