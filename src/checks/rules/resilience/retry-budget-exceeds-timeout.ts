import type { Rule } from '../../rule.js';
import { formatMs, retriesTimeouts, retryingRoutesOf } from './_helpers.js';

/** `resilience/retry-budget-exceeds-timeout`: retries that the route timeout cuts short. */
const retryBudgetExceedsTimeout: Rule = {
  id: 'resilience/retry-budget-exceeds-timeout',
  severity: 'warning',
  summary: 'perTryTimeout × (attempts + 1) exceeds the route timeout, so the configured retries can never all run.',
  docs: [
    '`retries.attempts` counts retries, so Envoy makes up to `attempts + 1` tries, each bounded by',
    '`retries.perTryTimeout`; the route `timeout` bounds all of them together (plus the 25 ms+ backoff between',
    'tries). When `perTryTimeout × (attempts + 1)` is longer than `timeout`, slow upstreams hit the route timeout',
    '(504, response flag `UT`) before the later retries happen, so the retry policy promises more than it',
    'delivers. Nothing to check when `timeout` is unset or 0 (disabled), when `perTryTimeout` is unset (it',
    'defaults to the route timeout) or when `attempts` is 0 (no retries). A route with a fault is checked too: its',
    'requests the fault does not abort get the timeout and retries (`resilience/fault-bypasses-timeout-retries` says',
    'which injected requests escape them). Two cases belong to other rules: a',
    '`perTryTimeout` not shorter than `timeout`, which Envoy ignores (`resilience/per-try-timeout-ignored`), and a',
    '`retryOn` without `5xx`, `gateway-error` or `reset` (Istio\'s default), under which a try that times out is not',
    'retried at all, so there is no budget to exceed (`resilience/route-timeout-unreachable`). Fix: raise `timeout`',
    'to at least the retry budget, or lower `perTryTimeout` or `attempts`.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { retries, path, label, timeoutMs: timeout, perTryTimeoutMs: perTry, attempts } of retryingRoutesOf(vs, graph)) {
        if (!timeout || !perTry || attempts === 0 || perTry >= timeout || !retriesTimeouts(retries)) continue;
        const tries = attempts + 1;
        const budget = perTry * tries;
        if (budget <= timeout) continue;
        const cut = `so only ${Math.floor(timeout / perTry)} of ${tries} tries can run to their per-try timeout`;
        ctx.report(
          vs,
          `${label}: retries need up to ${formatMs(budget)} (perTryTimeout ${formatMs(perTry)} × ${tries} tries: the first plus ${attempts} ` +
            `${attempts === 1 ? 'retry' : 'retries'}) but the route timeout is ${formatMs(timeout)}, ${cut} before the client gets 504 (UT); ` +
            `raise timeout to at least ${formatMs(budget)} or lower perTryTimeout/attempts`,
          { path: [...path, 'timeout'] },
        );
      }
    }
  },
};

export default retryBudgetExceedsTimeout;
