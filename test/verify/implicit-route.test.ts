/**
 * With no VirtualService for a host, a routing promise's detail says so (Istio's implicit default
 * route), rather than naming a route "default" as if the user had written one; a user's own route
 * named "default" is still named as theirs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { judgeRequest } from '../../src/verify/static/routing.js';
import { graphOf } from '../mesh/_graph.js';
import { deploy, ns, route, svc, vs } from '../mesh/view-fixtures.js';

const HOST = 'ratings.store.svc.cluster.local';
const promise: Expectation & { request: NonNullable<Expectation['request']> } = {
  id: 'store/ratings#reaches', promise: 'every request reaches ratings', source: { constructPath: 'store/ratings' },
  request: { host: HOST, path: '/', method: 'GET', headers: {}, via: { kind: 'mesh', namespace: 'store' } },
  outcome: { kind: 'reaches', destination: { host: HOST } },
};
const base = [ns('store'), svc('ratings', 'store'), deploy('ratings-v1', 'store', { app: 'ratings', version: 'v1' }), deploy('web', 'store', { app: 'web' })];

test('GIVEN a Service with no VirtualService WHEN a promise to reach it is judged THEN the detail says there is no VirtualService for the host and names the Service', () => {
  const v = judgeRequest(graphOf(base), promise);
  assert.is(v.status, 'held', v.detail);
  assert.match(v.detail, /^selects Istio's implicit default route \(no VirtualService for ratings\.store\.svc\.cluster\.local:9080: every request goes to the Service, test\.yaml:\d+ \(Service store\/ratings /);
  assert.not.match(v.detail, /route "default"/);
});

test('GIVEN a VirtualService whose route is named "default" WHEN judged THEN that route is named as the user\'s, at the VirtualService', () => {
  const v = judgeRequest(graphOf([...base, vs('ratings', 'store', { hosts: ['ratings'], http: [{ name: 'default', route: [route('ratings')] }] })]), promise);
  assert.is(v.status, 'held', v.detail);
  assert.match(v.detail, /^selects route "default" at test\.yaml:\d+ \(VirtualService store\/ratings spec\.http\[0\]/);
});

test.run();
