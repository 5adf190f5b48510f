/**
 * A `reaches` proof on a loaded machine: a request that times out (504, no backend answered: Envoy
 * UT) says nothing about routing, so it is sent again (up to three rounds, one at a time); requests
 * that land elsewhere, or timeouts that persist, still break the promise.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Expectation, RequestSpec } from '../../src/verify/expectations/types.js';
import { judgeWithTraffic } from '../../src/verify/runtime/judge.js';
import type { Sent } from '../../src/verify/runtime/send.js';

const request: RequestSpec = { host: 'reviews.shop.svc.cluster.local', port: 9080, path: '/', method: 'GET', headers: {}, via: { kind: 'mesh', namespace: 'shop' } };
const e: Expectation = {
  id: 'shop/reviews#reaches', promise: 'every request reaches reviews v2', source: { constructPath: 'shop/reviews', file: 'apps/shop.ts', line: 1 },
  outcome: { kind: 'reaches', destination: { host: 'reviews.shop.svc.cluster.local', subset: 'v2', labels: { version: 'v2' } } },
} as Expectation;

/** A fake sender answering with `answer(n)` for the n-th request. */
function env(answer: (n: number) => Partial<Sent>) {
  let n = 0;
  return {
    address: '127.0.0.1', port: 1, backends: [], confidence: 0.999, tolerance: 0.05, concurrency: 4,
    send: async (): Promise<Sent> => ({ status: 200, version: 'v2', workload: 'shop/reviews-v2', elapsedMs: 1, requestId: String(n), ...answer(n++) }),
    sentCount: () => n,
  };
}
const timeout: Partial<Sent> = { status: 504, version: '', workload: '' };

test('GIVEN five requests that time out once under load WHEN "reaches" is judged THEN they are sent again and the promise holds on the answers', async () => {
  const x = env((n) => (n < 5 ? timeout : {}));
  const v = await judgeWithTraffic(e, request, x);
  assert.is(v.status, 'held', v.detail);
  assert.is(v.requests, 20);
  assert.is(x.sentCount(), 25);
});

test('GIVEN requests that time out every time (a delay past the route timeout) WHEN judged THEN broken, after three rounds', async () => {
  const x = env(() => timeout);
  const v = await judgeWithTraffic(e, request, x);
  assert.is(v.status, 'broken');
  assert.match(v.detail, '20× 504 (no backend)');
  assert.is(x.sentCount(), 80);
});

test('GIVEN requests that land on v1 WHEN judged THEN broken at once (not retried: they were answered)', async () => {
  const x = env((n) => (n % 2 ? { version: 'v1', workload: 'shop/reviews-v1' } : {}));
  const v = await judgeWithTraffic(e, request, x);
  assert.is(v.status, 'broken');
  assert.is(x.sentCount(), 20);
});

test.run();
