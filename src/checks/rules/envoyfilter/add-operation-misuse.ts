import type { Rule } from '../../rule.js';
import { reportOperationOn } from './_helpers.js';

const IGNORED = new Set(['ROUTE_CONFIGURATION', 'HTTP_ROUTE']);

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
    reportOperationOn(graph, ctx, 'ADD', IGNORED, (p) =>
      `The ADD operation will be ignored when applyTo is ${p.applyTo} (patch ${p.index}); use INSERT_FIRST/INSERT_BEFORE/INSERT_AFTER on HTTP_ROUTE, or MERGE`);
  },
};

export default addOperationMisuse;
