import type { Rule } from '../../rule.js';
import { patchesWith } from './_helpers.js';

/** `envoyfilter/remove-operation-misuse` (IST0154): REMOVE where Istio ignores it. */
const removeOperationMisuse: Rule = {
  id: 'envoyfilter/remove-operation-misuse',
  istioCode: 'IST0154',
  severity: 'error',
  summary: 'An EnvoyFilter patch uses REMOVE with applyTo ROUTE_CONFIGURATION or HTTP_ROUTE, where Istio ignores it.',
  docs: [
    'REMOVE deletes the matched listener, cluster, virtual host or filter. Istio ignores it when `applyTo` is',
    'ROUTE_CONFIGURATION or HTTP_ROUTE, so the route stays. Fix: remove the route at its source (the VirtualService),',
    'or REMOVE the VIRTUAL_HOST. Mirrors `istioctl analyze` IST0154 (EnvoyFilterUsesRemoveOperationIncorrectly).',
  ].join(' '),
  kinds: ['EnvoyFilter'],
  check(graph, ctx) {
    for (const p of patchesWith(graph, 'remove-misuse')) {
      ctx.report(p.filter, `The REMOVE operation will be ignored when applyTo is ${p.applyTo} (patch ${p.index}); change the VirtualService instead, or REMOVE the VIRTUAL_HOST`, { path: p.operationPath });
    }
  },
};

export default removeOperationMisuse;
