/** Retries and timeouts over real sockets: a failing backend sees the retries, x-envoy-attempt-count, URX, per-try and route timeouts (504 UT). */
import { create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CircuitBreakersSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/circuit_breaker_pb.js';
import { assignment, edsCluster, startEcho } from '../_harness.js';
import { ms, vhost, withProxy } from './_e2e.js';

/** A backend that answers `status` to the first `failures` requests, then 200; records attempt counts. */
async function flaky(failures: number, status = 503) {
  const seen: string[] = [];
  const echo = await startEcho('flaky', {
    handler: (req, res) => {
      seen.push(String(req.headers['x-envoy-attempt-count']));
      if (seen.length > failures) return false;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end('no');
      return true;
    },
  });
  return { echo, seen };
}

test('GIVEN retry_on 5xx, num_retries 3 WHEN the backend fails twice (the client sending its own x-envoy-attempt-count) THEN the third attempt answers 200 and the backend saw attempt counts 1, 2, 3 only', async () => {
  const { echo, seen } = await flaky(2);
  try {
    await withProxy({
      clusters: [edsCluster('svc')], endpoints: [assignment('svc', [{ port: echo.port }])],
      vhosts: [vhost('svc', { retryPolicy: { retryOn: '5xx', numRetries: 3 } }, {}, { includeRequestAttemptCount: true })],
    }, async (env) => {
      const r = await env.request('/', { 'x-envoy-attempt-count': '9' }, 'POST', 'payload');
      assert.is(r.status, 200);
      assert.equal(seen, ['1', '2', '3'], 'the proxy overwrites the client header with its own count');
      assert.is(echo.received.at(-1)!.body, 'payload', 'the body is replayed on the retry');
      const log = await env.entries();
      assert.equal(log.at(-1)!.flags, []);
    });
  } finally { await echo.close(); }
});

test('GIVEN num_retries 1 WHEN the backend keeps failing THEN 2 attempts, the 503 is returned with flag URX', async () => {
  const { echo, seen } = await flaky(100);
  try {
    await withProxy({
      clusters: [edsCluster('svc')], endpoints: [assignment('svc', [{ port: echo.port }])],
      vhosts: [vhost('svc', { retryPolicy: { retryOn: '5xx,gateway-error' } })],
    }, async (env) => {
      const r = await env.request();
      assert.is(r.status, 503);
      assert.equal(seen, ['undefined', 'undefined'], 'no x-envoy-attempt-count without include_request_attempt_count');
      assert.equal((await env.entries()).at(-1)!.flags, ['URX']);
    });
  } finally { await echo.close(); }
});

test('GIVEN the cluster allows no retries (max_retries 0) WHEN the backend fails THEN one attempt, the 503 comes back flagged UO (retry overflow)', async () => {
  const { echo, seen } = await flaky(100);
  const c = edsCluster('svc');
  c.circuitBreakers = create(CircuitBreakersSchema, { thresholds: [{ maxRetries: 0 }] });
  try {
    await withProxy({ clusters: [c], endpoints: [assignment('svc', [{ port: echo.port }])], vhosts: [vhost('svc', { retryPolicy: { retryOn: '5xx', numRetries: 3 } })] }, async (env) => {
      assert.is((await env.request()).status, 503);
      assert.is(seen.length, 1);
      assert.equal((await env.entries()).at(-1)!.flags, ['UO']);
    });
  } finally { await echo.close(); }
});

test('GIVEN a wrong policy (retry_on connect-failure) WHEN the backend answers 503 THEN no retry: one attempt', async () => {
  const { echo, seen } = await flaky(1);
  try {
    await withProxy({
      clusters: [edsCluster('svc')], endpoints: [assignment('svc', [{ port: echo.port }])],
      vhosts: [vhost('svc', { retryPolicy: { retryOn: 'connect-failure', numRetries: 3 } })],
    }, async (env) => {
      assert.is((await env.request()).status, 503);
      assert.is(seen.length, 1);
    });
  } finally { await echo.close(); }
});

test('GIVEN a route timeout of 150 ms WHEN the backend hangs THEN 504 "upstream request timeout" with flag UT after ~150 ms', async () => {
  const hang = await startEcho('hang', { handler: () => true });
  try {
    await withProxy({ clusters: [edsCluster('svc')], endpoints: [assignment('svc', [{ port: hang.port }])], vhosts: [vhost('svc', { timeout: ms(150) })] }, async (env) => {
      const t0 = performance.now();
      const r = await env.request();
      const took = performance.now() - t0;
      assert.is(r.status, 504);
      assert.is(r.body, 'upstream request timeout');
      assert.ok(took >= 140 && took < 1500, `took ${took} ms`);
      assert.ok((await env.entries()).at(-1)!.flags.includes('UT'));
    });
  } finally { await hang.close(); }
});

test('GIVEN per_try_timeout 100 ms, retry_on 5xx, 2 retries WHEN the first attempt hangs THEN the retry answers 200', async () => {
  let n = 0;
  const slowFirst = await startEcho('slow-first', { handler: () => ++n === 1 });
  try {
    await withProxy({
      clusters: [edsCluster('svc')], endpoints: [assignment('svc', [{ port: slowFirst.port }])],
      vhosts: [vhost('svc', { timeout: ms(2000), retryPolicy: { retryOn: '5xx', numRetries: 2, perTryTimeout: ms(100) } })],
    }, async (env) => {
      const t0 = performance.now();
      const r = await env.request();
      assert.is(r.status, 200);
      assert.is(n, 2);
      assert.ok(performance.now() - t0 >= 100);
    });
  } finally { await slowFirst.close(); }
});

test('GIVEN per_try_timeout 80 ms and no retriable condition for timeouts (connect-failure) WHEN the backend hangs THEN 504 UT after one attempt', async () => {
  let n = 0;
  const hang = await startEcho('hang', { handler: () => { n++; return true; } });
  try {
    await withProxy({
      clusters: [edsCluster('svc')], endpoints: [assignment('svc', [{ port: hang.port }])],
      vhosts: [vhost('svc', { timeout: ms(3000), retryPolicy: { retryOn: 'connect-failure', numRetries: 2, perTryTimeout: ms(80) } })],
    }, async (env) => {
      const t0 = performance.now();
      const r = await env.request();
      assert.is(r.status, 504);
      assert.ok(performance.now() - t0 < 1000);
      assert.is(n, 1);
    });
  } finally { await hang.close(); }
});

test('GIVEN two endpoints, one refusing connections, retry_on connect-failure with previous_hosts THEN every request succeeds on the live one', async () => {
  const live = await startEcho('live');
  const dead = await startEcho('dead');
  const deadPort = dead.port;
  await dead.close();
  try {
    await withProxy({
      clusters: [edsCluster('svc')], endpoints: [assignment('svc', [{ port: deadPort }, { port: live.port }])],
      vhosts: [vhost('svc', { retryPolicy: { retryOn: 'connect-failure', numRetries: 2, retryHostPredicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }], hostSelectionRetryMaxAttempts: 5n } })],
    }, async (env) => {
      for (let i = 0; i < 6; i++) assert.is((await env.request()).status, 200);
      assert.is(live.received.length, 6);
    });
  } finally { await live.close(); }
});

test.run();
