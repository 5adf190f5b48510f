import { attachedOnlyElsewhere, gatewayApiOf } from '../../../mesh/gateway-api.js';
import { HTTP_ROUTE_RETRY_ON, httpRouteRuleTimeouts } from '../../../mesh/http-route-timeouts.js';
import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { formatMs, retriesTimeouts, retryingRoutesOf } from './_helpers.js';

/**
 * `resilience/route-timeout-unreachable`: a shorter timeout ends a slow request before the route timeout.
 * A try that reaches its per-try timeout is reset locally, and Envoy retries that reset only when retry_on has
 * `5xx`, `gateway-error` or `reset` (envoyproxy/envoy source/common/router/router.cc `onPerTryTimeoutCommon` →
 * `maybeRetryReset`; retry_state_impl.cc `wouldRetryFromReset`); otherwise the client gets 504 with response flag
 * `UT` at the per-try timeout. Istio's default retryOn (istio/istio pilot/pkg/networking/core/route/retry) and the
 * one istiod makes of an HTTPRoute `retry` (pilot/pkg/config/kube/gateway/conversion.go) have none of the three.
 */
const routeTimeoutUnreachable: Rule = {
  id: 'resilience/route-timeout-unreachable',
  severity: 'info',
  summary: 'A route timeout a slow request never reaches: a per-try timeout that is not retried ends it first (or, on an HTTPRoute without retry, backendRequest replaces request).',
  docs: [
    'The route `timeout` bounds a request with all its retries and `retries.perTryTimeout` bounds each try. Envoy',
    'retries a try that ran into its per-try timeout only when `retryOn` has `5xx`, `gateway-error` or `reset`;',
    'Istio\'s default (`connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes`) has none, and',
    'retriable status codes such as 504 do not count (the timeout is a local reset, not an upstream response). Then',
    'a slow upstream gets 504 (`UT`) at the per-try timeout and the longer route timeout does not apply to it: the',
    'YAML promises retries within the route timeout that do not happen. Checked on VirtualService http routes',
    '(delegates with what they take from their root; a route without retries with the MeshConfig `defaultHttpRetryPolicy` when one is set) with `timeout` > 0, `retries.attempts` > 0, a `perTryTimeout`',
    'shorter than `timeout` (with or without a fault), and on HTTPRoute rules: istiod retries an HTTPRoute `retry` on',
    '`connect-failure,refused-stream,unavailable,cancelled` and its `codes`, never on a per-try timeout, so a',
    '`timeouts.backendRequest` shorter than `timeouts.request` ends a slow request; without `retry`, istiod makes',
    'backendRequest the route timeout in place of request. Fix: add `gateway-error` to `retryOn` so a slow try is',
    'retried, or set `timeout` to the per-try timeout if one try is the limit you want (HTTPRoute: remove',
    '`backendRequest` so each try may run until `request`, or remove `request`).',
  ].join(' '),
  kinds: ['VirtualService', 'HTTPRoute'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { retries, path, label, timeoutMs: timeout, perTryTimeoutMs: perTry, attempts } of retryingRoutesOf(vs, graph)) {
        if (retriesTimeouts(retries) || !timeout || !perTry || attempts === 0 || perTry >= timeout) continue;
        const retryOn = typeof retries.retryOn === 'string' && retries.retryOn !== '' ? `retryOn "${retries.retryOn}"` : 'Istio\'s default retryOn';
        ctx.report(vs, `${label}: a try that runs into retries.perTryTimeout ${formatMs(perTry)} is not retried (${retryOn} has none of 5xx, gateway-error, reset), so a slow ` +
          `upstream gets 504 (UT) after ${formatMs(perTry)} and the route timeout ${formatMs(timeout)} is not reached; add gateway-error to retryOn to retry slow tries ` +
          `within ${formatMs(timeout)}, or set timeout to ${formatMs(perTry)} if one try is the limit you want`, { path: [...path, 'timeout'] });
      }
    }
    for (const route of gatewayApiOf(graph).ofKind('HTTPRoute')) {
      // The timeouts as istiod converts them: a route attached only to another controller's Gateway is not.
      if (attachedOnlyElsewhere(route, gatewayApiOf(graph))) continue;
      (Array.isArray(route.spec.rules) ? route.spec.rules : []).forEach((rule, i) => {
        if (!isRecord(rule)) return;
        const { requestMs, backendRequestMs, retry, timeoutFrom } = httpRouteRuleTimeouts(rule);
        if (requestMs === null || backendRequestMs === null || backendRequestMs >= requestMs) return;
        const path = ['spec', 'rules', i, 'timeouts', 'request'];
        const [request, backend] = [formatMs(requestMs), formatMs(backendRequestMs)];
        if (timeoutFrom === 'backendRequest') {
          ctx.report(route, `spec.rules[${i}].timeouts.request ${request} is not applied: without a retry stanza istiod makes timeouts.backendRequest ${backend} the route timeout, ` +
            `so the whole request (Istio's default retries included) ends after ${backend}; remove request, or add retry so that backendRequest bounds each try`, { path });
        } else if (retry !== null && retry.attempts > 0) {
          ctx.report(route, `spec.rules[${i}]: a try that runs into timeouts.backendRequest ${backend} is not retried (istiod retries an HTTPRoute retry on ${HTTP_ROUTE_RETRY_ON} ` +
            `and retry.codes, never on a per-try timeout), so a slow backend gets 504 (UT) after ${backend} and timeouts.request ${request} is not reached; ` +
            `remove backendRequest so each try may run until ${request}, or remove request if ${backend} is the limit you want`, { path });
        }
      });
    }
  },
};

export default routeTimeoutUnreachable;
