/**
 * A timeout promise made for a route without a route timeout (`timeoutMs` 0: its per-try timeouts
 * alone end a slow request) is judged statically on the route's timers: its retries (or MeshConfig
 * `defaultHttpRetryPolicy` when it writes none) and its timeout, which must end the request in the
 * promised window.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Expectation, Outcome } from '../../src/verify/expectations/types.js';
import { judgeRequest } from '../../src/verify/static/routing.js';
import { graphOf } from '../mesh/_graph.js';
import { deploy, ns, route, svc, vs } from '../mesh/view-fixtures.js';

const HOST = 'ratings.store.svc.cluster.local';
const OUTCOME: Outcome = { kind: 'timeout', timeoutMs: 0, perTry: { perTryTimeoutMs: 1000, tries: 2, backoffMaxMs: 25 }, routeRetries: true };
const promise: Expectation & { request: NonNullable<Expectation['request']> } = {
  id: 'store/ratings#r.timeout', promise: 'timeout', source: { constructPath: 'store/ratings' },
  request: { host: HOST, path: '/', method: 'GET', headers: {}, via: { kind: 'mesh', namespace: 'store' } },
  outcome: OUTCOME,
};
const judge = (http: Record<string, unknown>, extra: Record<string, unknown>[] = []) => judgeRequest(graphOf([
  ns('store'), svc('ratings', 'store'), deploy('ratings-v1', 'store', { app: 'ratings', version: 'v1' }), deploy('web', 'store', { app: 'web' }),
  vs('ratings', 'store', { hosts: ['ratings'], http: [{ name: 'r', route: [route('ratings')], ...http }] }), ...extra,
]), promise);

test('GIVEN a promise of 2 tries of 1 s and no route timeout WHEN the route retries once on 5xx with a 1 s per-try timeout and no timeout THEN it holds; with a 10 s timeout (which the tries come before) too', () => {
  for (const http of [{ retries: { attempts: 1, perTryTimeout: '1s', retryOn: '5xx' } }, { timeout: '10s', retries: { attempts: 1, perTryTimeout: '1s', retryOn: '5xx' } }]) {
    const v = judge(http);
    assert.is(v.status, 'held', v.detail);
  }
});

test('GIVEN the same promise WHEN the route\'s per-try timeout is 500 ms, its retryOn retries no timed-out try, a 1.5 s route timeout comes first, or it has no timer at all THEN it breaks, naming when the route ends the request', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ retries: { attempts: 1, perTryTimeout: '500ms', retryOn: '5xx' } }, /its timers end a slow request at 1000 to 1025 ms \(2 tries of 500 ms\), not 2000 to 2025 ms$/],
    [{ retries: { attempts: 1, perTryTimeout: '1s', retryOn: 'connect-failure' } }, /at 1000 ms \(1 try of 1000 ms\), not 2000 to 2025 ms$/],
    [{ timeout: '1500ms', retries: { attempts: 1, perTryTimeout: '1s', retryOn: '5xx' } }, /at 1500 ms \(its 1500 ms timeout\), not 2000 to 2025 ms$/],
    [{}, /it has neither a timeout nor a per-try timeout: nothing ends a slow request$/],
  ];
  for (const [http, detail] of cases) {
    const v = judge(http);
    assert.is(v.status, 'broken', `${JSON.stringify(http)}: ${v.detail}`);
    assert.match(v.detail, detail, v.detail);
  }
});

test.run();
