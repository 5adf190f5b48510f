/** Retry policy unit: retry_on conditions, num_retries, backoff, attempt count, retry budget, previous hosts. */
import { create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RetryPolicySchema } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { ConfigError } from '../../../src/proxy/config/config-error.js';
import { CircuitBreakersSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/circuit_breaker_pb.js';
import { CircuitBreaker } from '../../../src/proxy/policy/circuit-breaker.js';
import { JitteredExponentialBackOff, RetryState, compileRetryPolicy, wouldRetry, type AttemptOutcome } from '../../../src/proxy/policy/retry.js';
import { scripted } from './_helpers.js';

const policy = (retryOn: string, extra: Record<string, unknown> = {}) => compileRetryPolicy(create(RetryPolicySchema, { retryOn, ...extra }))!;
const resp = (status: number, headers: Record<string, string> = {}): AttemptOutcome => ({ status, headers });

const TABLE: [string, AttemptOutcome, string][] = [
  ['5xx', resp(500), 'backoff'],
  ['5xx', resp(503), 'backoff'],
  ['5xx', resp(404), 'no'],
  ['5xx', { reset: 'connection-termination' }, 'backoff'],
  ['5xx', { reset: 'per-try-timeout' }, 'backoff'],
  ['gateway-error', resp(500), 'no'],
  ['gateway-error', resp(502), 'backoff'],
  ['gateway-error', resp(504), 'backoff'],
  ['gateway-error', { reset: 'connect-failure' }, 'backoff'],
  ['reset', { reset: 'connection-termination' }, 'backoff'],
  ['reset', resp(503), 'no'],
  ['connect-failure', { reset: 'connect-failure' }, 'backoff'],
  ['connect-failure', { reset: 'connection-termination' }, 'no'],
  ['connect-failure', { reset: 'per-try-timeout' }, 'no'],
  ['connect-failure', resp(503), 'no'],
  ['refused-stream', { reset: 'refused-stream' }, 'immediately'],
  ['refused-stream', { reset: 'connection-termination' }, 'no'],
  ['retriable-4xx', resp(409), 'backoff'],
  ['retriable-4xx', resp(429), 'no'],
  ['retriable-status-codes', resp(418), 'backoff'],
  ['retriable-status-codes', resp(503), 'no'],
  ['unavailable', resp(200, { 'grpc-status': '14' }), 'backoff'],
  ['unavailable', resp(200, { 'grpc-status': '13' }), 'no'],
  ['cancelled', resp(200, { 'grpc-status': '1' }), 'backoff'],
  ['deadline-exceeded', resp(200, { 'grpc-status': '4' }), 'backoff'],
  ['internal', resp(200, { 'grpc-status': '13' }), 'backoff'],
  ['resource-exhausted', resp(200, { 'grpc-status': '8' }), 'backoff'],
  ['unavailable', resp(503), 'no'],
  ['5xx', resp(503, { 'x-envoy-overloaded': 'true' }), 'no'],
  ['5xx', { reset: 'overflow' }, 'no'],
];

for (const [on, outcome, want] of TABLE) {
  test(`GIVEN retry_on ${on} WHEN the attempt ends ${JSON.stringify(outcome)} THEN ${want}`, () => {
    assert.is(wouldRetry(policy(on, { retriableStatusCodes: [418] }), outcome), want);
  });
}

test('GIVEN an unknown retry_on token THEN a ConfigError names it and the valid ones', () => {
  try {
    compileRetryPolicy(create(RetryPolicySchema, { retryOn: '5xx,gateway-eror' }));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ConfigError);
    assert.match((e as Error).message, /retry_on: unknown retry condition "gateway-eror"; valid: 5xx, gateway-error/);
  }
});

test('GIVEN max_interval below base_interval THEN a ConfigError at retry_back_off.max_interval', () => {
  assert.throws(() => compileRetryPolicy(create(RetryPolicySchema, { retryOn: '5xx', retryBackOff: { baseInterval: { nanos: 100e6 }, maxInterval: { nanos: 50e6 } } })), /retry_back_off\.max_interval: 50ms is below base_interval 100ms/);
});

test('GIVEN no policy or an empty retry_on THEN nothing is compiled (no retries)', () => {
  assert.is(compileRetryPolicy(undefined), undefined);
  assert.is(compileRetryPolicy(create(RetryPolicySchema, { retryOn: '' })), undefined);
});

test('GIVEN num_retries unset THEN Envoy default 1 retry; backoff 25ms base, 250ms max', () => {
  const p = policy('5xx');
  assert.equal([p.numRetries, p.baseIntervalMs, p.maxIntervalMs, p.perTryTimeoutMs], [1, 25, 250, 0]);
});

test('GIVEN random draws just below 1 THEN full-jitter backoff is base*2^n-1 capped at max: 24, 49, 99, 199, 249, 249', () => {
  const b = new JitteredExponentialBackOff(25, 250, () => 0.99999);
  assert.equal([1, 2, 3, 4, 5, 6].map(() => b.nextBackOffMs()), [24, 49, 99, 199, 249, 249]);
  const zero = new JitteredExponentialBackOff(25, 250, () => 0);
  assert.is(zero.nextBackOffMs(), 0);
});

test('GIVEN num_retries 2 WHEN three attempts fail THEN two retries, attempt count 3, then limit-exceeded (URX)', () => {
  const s = new RetryState(policy('5xx', { numRetries: 2 }), scripted(0.5));
  const a = s.shouldRetry(resp(503));
  assert.equal(a, { retry: true, backoffMs: 12 });
  assert.is(s.attemptCount, 2);
  const b = s.shouldRetry(resp(503));
  assert.equal(b, { retry: true, backoffMs: 25 });
  assert.is(s.attemptCount, 3);
  assert.equal(s.shouldRetry(resp(503)), { retry: false, why: 'limit-exceeded' });
  assert.is(s.attemptCount, 3);
});

test('GIVEN a success after a retry THEN no further retry (not-retriable)', () => {
  const s = new RetryState(policy('5xx', { numRetries: 3 }), scripted(0));
  assert.ok(s.shouldRetry(resp(500)).retry);
  assert.equal(s.shouldRetry(resp(200)), { retry: false, why: 'not-retriable' });
});

test('GIVEN max_retries 1 on the cluster WHEN two requests retry at once THEN the second overflows (UO) until the first finishes', () => {
  const cb = new CircuitBreaker(create(CircuitBreakersSchema, { thresholds: [{ maxRetries: 1 }] }));
  const p = policy('5xx', { numRetries: 3 });
  const r1 = new RetryState(p, scripted(0), cb);
  const r2 = new RetryState(p, scripted(0), cb);
  assert.ok(r1.shouldRetry(resp(503)).retry);
  assert.equal(r2.shouldRetry(resp(503)), { retry: false, why: 'overflow' });
  r1.finish();
  assert.is(cb.retries.count, 0);
  const r3 = new RetryState(p, scripted(0), cb);
  assert.ok(r3.shouldRetry(resp(503)).retry);
  assert.is(cb.retries.count, 1);
  r3.shouldRetry(resp(200));
  assert.is(cb.retries.count, 0, 'the slot is returned when the retried attempt completes');
});

test('GIVEN the previous_hosts predicate THEN hosts already tried are to be avoided; without it they are not', () => {
  const withPred = new RetryState(policy('5xx', { retryHostPredicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }], hostSelectionRetryMaxAttempts: 5n }), scripted(0));
  withPred.onHostAttempted('10.0.0.1:80');
  assert.ok(withPred.shouldSelectAnotherHost('10.0.0.1:80'));
  assert.not.ok(withPred.shouldSelectAnotherHost('10.0.0.2:80'));
  assert.is(withPred.policy.hostSelectionRetryMaxAttempts, 5);
  const without = new RetryState(policy('5xx'), scripted(0));
  without.onHostAttempted('10.0.0.1:80');
  assert.not.ok(without.shouldSelectAnotherHost('10.0.0.1:80'));
});

test('GIVEN a wrong policy (connect-failure only) WHEN the upstream answers 503 THEN no retry: the unit can tell configs apart', () => {
  const right = new RetryState(policy('5xx'), scripted(0));
  const wrong = new RetryState(policy('connect-failure'), scripted(0));
  assert.ok(right.shouldRetry(resp(503)).retry);
  assert.not.ok(wrong.shouldRetry(resp(503)).retry);
});


test.run();
