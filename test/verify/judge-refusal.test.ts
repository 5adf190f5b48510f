/**
 * What a `reaches` proof makes of answers the destination's proxy gives instead of its app: a 403
 * placed at the destination (`deniedBy`) counts as reaching it only when the config foresees the
 * refusal (the probe's own, or a promised one); an unforeseen or identity-wide one breaks the
 * promise saying why; a proxy's local reply names its Envoy response flags. Fake senders: the
 * traffic itself is proven in route-refusal.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Expectation, RequestSpec } from '../../src/verify/expectations/types.js';
import type { Refusal } from '../../src/verify/static/refusal.js';
import { judgeWithTraffic, type JudgeEnv } from '../../src/verify/runtime/judge.js';
import type { Sent } from '../../src/verify/runtime/send.js';

const request: RequestSpec = { host: 'reviews.shop.svc.cluster.local', port: 9080, path: '/', method: 'GET', headers: {}, via: { kind: 'mesh', namespace: 'shop' } };
const e = {
  id: 'shop/reviews#reaches', promise: 'every request reaches reviews v2', source: { constructPath: 'shop/reviews' },
  outcome: { kind: 'reaches', destination: { host: 'reviews.shop.svc.cluster.local', subset: 'v2', labels: { version: 'v2' } } },
} as Expectation;

const denied: Partial<Sent> = { status: 403, version: 'v2', workload: 'shop/reviews-v2', deniedBy: '127.77.0.9:9080' };

function env(answer: Partial<Sent>, extra: Partial<JudgeEnv> = {}): JudgeEnv {
  let n = 0;
  return {
    address: '127.0.0.1', port: 1, backends: [], confidence: 0.999, tolerance: 0.05, concurrency: 4,
    send: async (): Promise<Sent> => ({ status: 200, version: 'v2', workload: 'shop/reviews-v2', elapsedMs: 1, requestId: String(n++), ...answer }),
    ...extra,
  };
}

const refusal = (kind: Refusal['kind'], message: string): Refusal => ({ kind, message, workload: 'shop/reviews-v2', port: 9080, client: { principal: 'cluster.local/ns/shop/sa/web', who: 'caller shop/web-v1' } });

test('GIVEN 403s from reviews v2\'s sidecar the config did not foresee WHEN "reaches" is judged THEN broken: the app was never reached, and the detail says so', async () => {
  const v = await judgeWithTraffic(e, request, env(denied));
  assert.is(v.status, 'broken');
  assert.match(v.detail, /^20× 403 RBAC: access denied at shop\/reviews-v2: the route reaches shop\/reviews-v2, but its sidecar answered 403 RBAC: access denied instead of the app, which the config judgement did not foresee/);
});

test('GIVEN 403s where the config says every request of the caller is refused WHEN judged THEN broken with that explanation', async () => {
  const v = await judgeWithTraffic(e, request, env(denied, { refusal: refusal('identity', 'the route goes to reviews v2 as promised, but its sidecar refuses every request from caller shop/web-v1') }));
  assert.is(v.status, 'broken');
  assert.is(v.detail, '20× 403 RBAC: access denied at shop/reviews-v2: the route goes to reviews v2 as promised, but its sidecar refuses every request from caller shop/web-v1');
});

test('GIVEN 403s the config foresees as the probe\'s own (or a promised one) WHEN judged THEN held: the refusal came from the promised destination', async () => {
  for (const kind of ['request', 'promised'] as const) {
    const v = await judgeWithTraffic(e, request, env(denied, { refusal: refusal(kind, 'why') }));
    assert.is(v.status, 'held', kind);
    assert.is(v.detail, '20× 403 RBAC: access denied at shop/reviews-v2');
  }
});

test('GIVEN a foreseen refusal but 403s at another workload WHEN judged THEN broken: routing went elsewhere', async () => {
  const v = await judgeWithTraffic(e, request, env({ ...denied, workload: 'shop/reviews-v1', version: 'v1' }, { refusal: refusal('request', 'why') }));
  assert.is(v.status, 'broken');
  assert.is(v.detail, '20× 403 RBAC: access denied at shop/reviews-v1');
});

test('GIVEN the destination\'s proxy answers 503 itself (upstream connection failure) WHEN judged THEN broken, naming the response flags', async () => {
  const v = await judgeWithTraffic(e, request, env({ status: 503, version: '', workload: '' }, {
    flagsOf: async (sent) => new Map(sent.map((s) => [s.requestId, ['UF']])),
  }));
  assert.is(v.status, 'broken');
  assert.is(v.detail, '20× 503 UF (no backend)');
});

test.run();
