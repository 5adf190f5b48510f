import type { Rule } from '../../rule.js';
import { formatMs, retriesTimeouts, retryingRoutesOf } from './_helpers.js';

/** `resilience/retries-without-per-try-timeout`: retries under a route timeout, with no per-try timeout. */
const retriesWithoutPerTryTimeout: Rule = {
  id: 'resilience/retries-without-per-try-timeout',
  severity: 'warning',
  summary: 'A route sets `timeout` and `retries` but no `retries.perTryTimeout`, so a try that times out leaves no time to retry.',
  docs: [
    'Istio leaves Envoy\'s per-try timeout unset when `retries.perTryTimeout` is absent, so each try may run until',
    'the route `timeout` fires. A slow upstream therefore uses the whole budget on the first try and the client',
    'gets 504 (`UT`) without a single retry: the retry policy only helps for failures that come back fast',
    '(connect-failure, refused-stream, 5xx). Checked on every http route with `timeout` > 0 and `retries.attempts`',
    '> 0 (a fault keeps both for the requests it does not hit) whose `retryOn` retries a timed-out try: Envoy retries a per-try',
    'timeout only for `5xx`, `gateway-error` or `reset`, and Istio\'s default list (no `retryOn`:',
    '`connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes`) has none of them, so there a',
    'per-try timeout would only end tries sooner. Fix: set `perTryTimeout` to at most `timeout / (attempts + 1)` so',
    'every try fits, e.g. timeout 300ms, attempts 2 → perTryTimeout 100ms.',
    'A route without `retries` is judged with the MeshConfig `defaultHttpRetryPolicy` when one is set (istiod gives it that policy whole).',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { retries, path, label, timeoutMs: timeout, attempts } of retryingRoutesOf(vs, graph)) {
        if (retries.perTryTimeout !== undefined) continue;
        // A policy that never retries a timed-out try gains nothing from perTryTimeout (it would only end tries sooner).
        if (!timeout || attempts === 0 || !retriesTimeouts(retries)) continue;
        const fit = formatMs(timeout / (attempts + 1));
        ctx.report(vs, `${label}: retries.perTryTimeout is unset, so each try may take the whole route timeout (${formatMs(timeout)}); a try that times out leaves no time for the ${attempts} ` +
          `${attempts === 1 ? 'retry' : 'retries'} and the client gets 504 (UT); set perTryTimeout to at most ${fit}`, { path: [...path, 'retries'] });
      }
    }
  },
};

export default retriesWithoutPerTryTimeout;
