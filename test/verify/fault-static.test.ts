/**
 * A route with a fault keeps its timeout and retries (istiod applyHTTPRouteDestination sets both
 * whatever the fault): the static judgement of its timeout and retry promises reads them from the
 * route, fault or not.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Expectation, Outcome } from '../../src/verify/expectations/types.js';
import { judgeRequest } from '../../src/verify/static/routing.js';
import { graphOf } from '../mesh/_graph.js';
import { deploy, ns, route, svc, vs } from '../mesh/view-fixtures.js';

const HOST = 'ratings.store.svc.cluster.local';
const promise = (outcome: Outcome): Expectation & { request: NonNullable<Expectation['request']> } => ({
  id: `store/ratings#chaos.${outcome.kind}`, promise: outcome.kind, source: { constructPath: 'store/ratings' },
  request: { host: HOST, path: '/', method: 'GET', headers: {}, via: { kind: 'mesh', namespace: 'store' } },
  outcome,
});

for (const fault of [{ abort: { httpStatus: 503, percentage: { value: 50 } } }, { delay: { fixedDelay: '5s', percentage: { value: 100 } } }]) {
  test(`GIVEN a route with a fault ${Object.keys(fault)[0]}, timeout 3s and 2 retries on 5xx WHEN its timeout and retry promises are judged statically THEN both hold`, () => {
    const graph = graphOf([
      ns('store'), svc('ratings', 'store'), deploy('ratings-v1', 'store', { app: 'ratings', version: 'v1' }), deploy('web', 'store', { app: 'web' }),
      vs('ratings', 'store', { hosts: ['ratings'], http: [{ name: 'chaos', route: [route('ratings')], fault, timeout: '3s', retries: { attempts: 2, retryOn: '5xx' } }] }),
    ]);
    for (const outcome of [{ kind: 'timeout', timeoutMs: 3000 }, { kind: 'retries', attempts: 2, retryOn: ['5xx'] }] as Outcome[]) {
      const v = judgeRequest(graph, promise(outcome));
      assert.is(v.status, 'held', `${outcome.kind}: ${v.detail}`);
    }
  });
}

test.run();
