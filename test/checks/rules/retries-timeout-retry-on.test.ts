/**
 * resilience/_helpers.ts retriesTimeouts: Envoy retries a try that hit its per-try timeout only when retry_on
 * has 5xx, gateway-error or reset (retry_state_impl.cc); Istio's default list (no retryOn) has none of them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { retriesTimeouts } from '../../../src/checks/rules/resilience/_helpers.js';

const TABLE: readonly [retries: Record<string, unknown>, retried: boolean][] = [
  [{ attempts: 2 }, false],
  [{ attempts: 2, retryOn: '' }, false],
  [{ attempts: 2, retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes' }, false],
  [{ attempts: 2, retryOn: 'connect-failure,503' }, false],
  [{ attempts: 2, retryOn: 'retriable-4xx,deadline-exceeded' }, false],
  [{ attempts: 2, retryOn: '5xx' }, true],
  [{ attempts: 2, retryOn: 'connect-failure,gateway-error' }, true],
  [{ attempts: 2, retryOn: 'reset' }, true],
  [{ attempts: 2, retryOn: 'refused-stream, reset' }, true],
];

for (const [retries, retried] of TABLE) {
  test(`GIVEN retries ${JSON.stringify(retries)} WHEN a try times out THEN it is ${retried ? '' : 'not '}retried`, () => {
    assert.is(retriesTimeouts(retries), retried);
  });
}

test.run();
