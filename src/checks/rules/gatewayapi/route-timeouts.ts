import { gatewayApiOf } from '../../../mesh/gateway-api.js';
import { isRecord } from '../../../mesh/object.js';
import { parseGoDuration } from '../../../validate/go-duration.js';
import type { Rule } from '../../rule.js';

/** Gateway API Duration (GEP-2257): 1 to 4 groups of up to 5 digits and a unit h, m, s or ms. */
const GEP_2257 = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

/**
 * `gatewayapi/route-timeouts`: HTTPRoute `rules[].timeouts` the Gateway API CRD refuses: a duration
 * outside GEP-2257, or `backendRequest` longer than a non-zero `request`.
 */
const routeTimeouts: Rule = {
  id: 'gatewayapi/route-timeouts',
  severity: 'error',
  summary: 'An HTTPRoute rule\'s timeouts the API server refuses: a duration not in the Gateway API form (e.g. "1.5s", "1d"), or backendRequest longer than request.',
  docs: [
    'HTTPRoute `rules[].timeouts` has `request` (the whole request, which istiod maps to the route timeout) and',
    '`backendRequest` (one try to a backend, mapped to `retries.perTryTimeout`). The Gateway API CRD types both as',
    'Duration (GEP-2257: one to four groups of up to five digits with a unit h, m, s or ms: `10s`, `1h30m`, `500ms`;',
    'no fractions, no `d`, no spaces) and refuses a backendRequest longer than a non-zero request with the CEL rule',
    '"backendRequest timeout cannot be longer than request timeout": a try that may outlive the request leaves nothing',
    'to retry with. The route is then not applied at all (`kubectl apply` fails). Fix: write the durations in that form',
    'and keep backendRequest at most request (a fraction of it to leave room for retries).',
  ].join(' '),
  kinds: ['HTTPRoute'],
  check(graph, ctx) {
    for (const route of gatewayApiOf(graph).ofKind('HTTPRoute')) {
      (Array.isArray(route.spec.rules) ? route.spec.rules : []).forEach((rule, i) => {
        if (!isRecord(rule) || !isRecord(rule.timeouts)) return;
        const t = rule.timeouts;
        const nanos: Record<string, bigint> = {};
        for (const key of ['request', 'backendRequest'] as const) {
          const v = t[key];
          if (v === undefined) continue;
          const path = ['spec', 'rules', i, 'timeouts', key];
          if (typeof v !== 'string' || !GEP_2257.test(v)) {
            ctx.report(route, `spec.rules[${i}].timeouts.${key} ${JSON.stringify(v)} is not a Gateway API Duration (GEP-2257: digits with h, m, s or ms, e.g. "10s", "1h30m", "500ms"; ` +
              'no fractions, days or spaces), so the API server refuses the HTTPRoute; rewrite it in that form', { path });
            continue;
          }
          nanos[key] = parseGoDuration(v);
        }
        const { request, backendRequest } = nanos;
        if (request !== undefined && backendRequest !== undefined && request !== 0n && backendRequest > request) {
          ctx.report(route, `spec.rules[${i}].timeouts.backendRequest ${String(t.backendRequest)} is longer than timeouts.request ${String(t.request)}: the Gateway API CRD refuses it ` +
            '("backendRequest timeout cannot be longer than request timeout"), so the HTTPRoute is not applied; a try must fit in the request, with room to retry: ' +
            `lower backendRequest below ${String(t.request)} or raise request`, { path: ['spec', 'rules', i, 'timeouts', 'backendRequest'] });
        }
      });
    }
  },
};

export default routeTimeouts;
