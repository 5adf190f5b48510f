/** Circuit breaker unit: thresholds per priority, Envoy defaults, acquire/release, retry budget. */
import { create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CircuitBreakersSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/circuit_breaker_pb.js';
import { RoutingPriority } from '../../../src/xds/gen/envoy/config/core/v3/base_pb.js';
import { CircuitBreaker, OVERFLOW_REPLY } from '../../../src/proxy/policy/circuit-breaker.js';

test('GIVEN no circuit_breakers THEN Envoy defaults 1024/1024/1024/3', () => {
  const cb = new CircuitBreaker(undefined);
  assert.equal([cb.connections.max, cb.pending.max, cb.requests.max, cb.retries.max], [1024, 1024, 1024, 3]);
});

test('GIVEN DEFAULT and HIGH thresholds THEN each priority reads its own; unset fields keep defaults', () => {
  const c = create(CircuitBreakersSchema, { thresholds: [{ priority: RoutingPriority.HIGH, maxRequests: 9 }, { maxRequests: 2, maxPendingRequests: 1 }] });
  const d = new CircuitBreaker(c);
  assert.equal([d.requests.max, d.pending.max, d.connections.max], [2, 1, 1024]);
  assert.is(new CircuitBreaker(c, RoutingPriority.HIGH).requests.max, 9);
});

test('GIVEN max_requests 2 WHEN three acquire THEN the third overflows until one releases', () => {
  const cb = new CircuitBreaker(create(CircuitBreakersSchema, { thresholds: [{ maxRequests: 2 }] }));
  assert.equal([cb.requests.tryAcquire(), cb.requests.tryAcquire(), cb.requests.tryAcquire()], [true, true, false]);
  cb.requests.release();
  assert.ok(cb.requests.tryAcquire());
  cb.requests.release(); cb.requests.release(); cb.requests.release();
  assert.is(cb.requests.count, 0, 'never below zero');
});

test('GIVEN a retry budget of 50 % with min concurrency 1 THEN retries follow active requests', () => {
  const cb = new CircuitBreaker(create(CircuitBreakersSchema, { thresholds: [{ retryBudget: { budgetPercent: { value: 50 }, minRetryConcurrency: 1 } }] }));
  assert.is(cb.maxRetries(), 1);
  for (let i = 0; i < 6; i++) cb.requests.tryAcquire();
  assert.is(cb.maxRetries(), 3);
  assert.equal([cb.tryAcquireRetry(), cb.tryAcquireRetry(), cb.tryAcquireRetry(), cb.tryAcquireRetry()], [true, true, true, false]);
});

test('GIVEN an overflow THEN the reply is 503 UO with x-envoy-overloaded: true', () => {
  assert.equal([OVERFLOW_REPLY.status, OVERFLOW_REPLY.flag, OVERFLOW_REPLY.headers['x-envoy-overloaded']], [503, 'UO', 'true']);
});

test('GIVEN a wrong config (max_pending_requests 0 vs default) THEN the first pending request overflows only with the wrong one', () => {
  assert.not.ok(new CircuitBreaker(create(CircuitBreakersSchema, { thresholds: [{ maxPendingRequests: 0 }] })).pending.tryAcquire());
  assert.ok(new CircuitBreaker(undefined).pending.tryAcquire());
});

test.run();
