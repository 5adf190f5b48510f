import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { httpRulesOf, ruleLabel } from './_helpers.js';

/** The codes Envoy's `RedirectAction.response_code` can say (`RedirectResponseCode`). */
const ENVOY_REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

/** `routing/redirect-code-unsupported`: a 3xx `redirectCode` the webhook accepts but Envoy cannot send. */
const redirectCodeUnsupported: Rule = {
  id: 'routing/redirect-code-unsupported',
  severity: 'warning',
  summary: 'A `redirect.redirectCode` is a 3xx code Envoy cannot send (not 301, 302, 303, 307 or 308): istiod builds the route without an action and Envoy rejects the route configuration.',
  docs: [
    'Istio\'s webhook accepts any `redirectCode` from 300 to 399, but Envoy\'s `RedirectAction` knows only 301, 302, 303,',
    '307 and 308. For any other code (300, 304, 305, 306, 309…) istiod logs "Redirect Code … is not yet supported" and',
    'leaves the Envoy route without an action (`ApplyRedirect`). Envoy requires one, so it rejects (NACKs) the whole',
    'route configuration of that port: every proxy that imports the host keeps its previous routes for the port, and',
    'a proxy starting afresh has none. Fix: use one of 301, 302, 303, 307, 308 (307/308 keep the method and body).',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const r of httpRulesOf(vs)) {
        const code = isRecord(r.rule.redirect) ? r.rule.redirect.redirectCode : undefined;
        if (typeof code !== 'number' || code < 300 || code > 399 || ENVOY_REDIRECT_CODES.has(code)) continue;
        ctx.report(vs, `${ruleLabel(r)} redirects with ${code}, which Envoy cannot send: istiod builds the route without an action and Envoy rejects the route configuration of the port (every route on it stops updating); use 301, 302, 303, 307 or 308`,
          { path: [...r.path, 'redirect', 'redirectCode'] });
      }
    }
  },
};

export default redirectCodeUnsupported;
