import { attachedOnlyElsewhere, gatewayApiOf } from '../../../mesh/gateway-api.js';
import { httpRouteRuleTimeouts } from '../../../mesh/http-route-timeouts.js';
import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { formatMs, retriesTimeouts, retryingRoutesOf } from './_helpers.js';

/**
 * `resilience/per-try-timeout-ignored`: a per-try timeout that never applies. Envoy drops a per-try timeout
 * that is not shorter than the route timeout (envoyproxy/envoy source/common/router/router.cc
 * `FilterUtility::finalTimeout`: `per_try_timeout_ >= global_timeout_` → 0), and Istio drops the whole retry
 * policy, per-try timeout included, when `attempts` is 0 (istio/istio pilot/pkg/networking/core/route/retry
 * `ConvertPolicy`). For an HTTPRoute istiod puts `timeouts.backendRequest` into the rule's retry policy as
 * `perTryTimeout` (pilot/pkg/config/kube/gateway/conversion.go), so both apply to it.
 */
const perTryTimeoutIgnored: Rule = {
  id: 'resilience/per-try-timeout-ignored',
  severity: 'warning',
  summary: 'A per-try timeout that never applies: retries.perTryTimeout (or HTTPRoute timeouts.backendRequest) not shorter than the route timeout, or on an HTTPRoute whose retry.attempts is 0.',
  docs: [
    'Envoy ignores a per-try timeout that is not shorter than the route timeout (router.cc `finalTimeout` sets it to',
    '0), so every try may take the whole route timeout: a slow first try uses it all and no retry ever runs. Checked',
    'on VirtualService http routes (a delegate\'s routes with the timeout and retries they take from their root, and a route without retries with the MeshConfig `defaultHttpRetryPolicy` when one is set)',
    'with `timeout` > 0 and `retries.attempts` > 0 (with or without a fault), and on HTTPRoute rules with a `retry` whose',
    '`timeouts.backendRequest` equals `timeouts.request` (istiod makes backendRequest the per-try timeout; a',
    'longer one the API server refuses, `gatewayapi/route-timeouts` reports that). An HTTPRoute rule with',
    '`retry.attempts: 0` and `timeouts.backendRequest` is reported too: istiod puts backendRequest only into a',
    'retry policy, and Istio drops a policy of 0 attempts, so the backend request is not bounded at all. Fix: set',
    'the per-try timeout to at most `timeout / (attempts + 1)` so every try fits (with a `retryOn` that retries a',
    'timed-out try: `5xx`, `gateway-error` or `reset`), or remove it.',
  ].join(' '),
  kinds: ['VirtualService', 'HTTPRoute'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { retries, path, label, timeoutMs: timeout, perTryTimeoutMs: perTry, attempts } of retryingRoutesOf(vs, graph)) {
        if (!timeout || !perTry || attempts === 0 || perTry < timeout) continue;
        const fix = retriesTimeouts(retries)
          ? `set perTryTimeout to at most ${formatMs(timeout / (attempts + 1))} so each of the ${attempts + 1} tries fits, or remove it`
          : `remove it (retryOn does not retry a timed-out try anyway; with gateway-error in retryOn, a perTryTimeout of at most ${formatMs(timeout / (attempts + 1))} lets each of the ${attempts + 1} tries fit)`;
        ctx.report(vs, `${label}: retries.perTryTimeout ${formatMs(perTry)} is not shorter than the route timeout ${formatMs(timeout)}, so Envoy ignores it and a slow first try ` +
          `takes the whole ${formatMs(timeout)}, leaving no time for the ${attempts} ${attempts === 1 ? 'retry' : 'retries'}; ${fix}`, { path: [...path, 'retries', 'perTryTimeout'] });
      }
    }
    for (const route of gatewayApiOf(graph).ofKind('HTTPRoute')) {
      // The timeouts as istiod converts them: a route attached only to another controller's Gateway is not.
      if (attachedOnlyElsewhere(route, gatewayApiOf(graph))) continue;
      (Array.isArray(route.spec.rules) ? route.spec.rules : []).forEach((rule, i) => {
        if (!isRecord(rule)) return;
        const { requestMs, backendRequestMs, retry } = httpRouteRuleTimeouts(rule);
        if (retry === null || backendRequestMs === null) return;
        const path = ['spec', 'rules', i, 'timeouts', 'backendRequest'];
        const written = JSON.stringify((rule.timeouts as Record<string, unknown>).backendRequest);
        if (retry.attempts === 0) {
          const left = requestMs === null ? 'the request has no timeout at all' : `only timeouts.request ${formatMs(requestMs)} bounds the request`;
          ctx.report(route, `spec.rules[${i}].timeouts.backendRequest ${written} is ignored: istiod makes it the per-try timeout of the rule's retry policy, and Istio drops a policy ` +
            `with retry.attempts 0, so ${left}; ${requestMs === null ? 'set timeouts.request instead' : 'remove backendRequest'}`, { path });
        } else if (requestMs !== null && backendRequestMs === requestMs) {
          ctx.report(route, `spec.rules[${i}].timeouts.backendRequest ${written} equals timeouts.request: istiod makes it the per-try timeout, and Envoy ignores a per-try timeout ` +
            'not shorter than the route timeout, so it has no effect; remove backendRequest', { path });
        }
      });
    }
  },
};

export default perTryTimeoutIgnored;
