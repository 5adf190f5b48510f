/**
 * verify's static judges read the sender's view: a route whose destination port the sender's Sidecar
 * does not import (an egress listener bound to another port, pilot/pkg/model/sidecar.go
 * `serviceMatchingListenerPort`) has no cluster there, so Envoy answers it 503 (NC); the promise that
 * it reaches the backend is broken, and a promise of 503 holds.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Expectation, Outcome } from '../../src/verify/expectations/types.js';
import { judgeRequest } from '../../src/verify/static/routing.js';
import { graphOf } from '../mesh/_graph.js';
import { deploy, ns, route, sidecar, svc, vs } from '../mesh/view-fixtures.js';

const ORDERS = 'orders.shop.svc.cluster.local';
const LEDGER = 'ledger.ledger.svc.cluster.local';
const promise = (outcome: Outcome): Expectation & { request: NonNullable<Expectation['request']> } => ({
  id: `shop/orders#${outcome.kind}`, promise: '/ledger on orders', source: { constructPath: 'shop/orders' },
  request: { host: ORDERS, path: '/ledger/1', method: 'GET', headers: {}, via: { kind: 'mesh', namespace: 'shop' } },
  outcome,
});
const objects = (egress: unknown[]) => graphOf([
  ns('shop'), ns('ledger'),
  svc('orders', 'shop', [{ port: 9080, name: 'http' }]), deploy('orders', 'shop', { app: 'orders' }),
  svc('ledger', 'ledger', [{ port: 8080, name: 'http' }]), deploy('ledger', 'ledger', { app: 'ledger' }),
  vs('orders', 'shop', { hosts: ['orders'], http: [
    { match: [{ uri: { prefix: '/ledger' } }], route: [route(LEDGER, { port: { number: 8080 } })] },
    { route: [route('orders')] },
  ] }),
  sidecar('default', 'shop', { egress }),
]);
const portBound = [{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, hosts: ['./*'] }];
const reaches: Outcome = { kind: 'reaches', destination: { host: LEDGER } };

test('GIVEN a Sidecar whose only egress listener is on port 9080 WHEN "/ledger reaches ledger" (routed to ledger:8080) is judged THEN it is broken: no cluster for ledger:8080, 503 NC', () => {
  const v = judgeRequest(objects(portBound), promise(reaches));
  assert.is(v.status, 'broken', v.detail);
  assert.match(v.detail, /has no cluster outbound\|8080\|\|ledger\.ledger\.svc\.cluster\.local: ledger\.ledger\.svc\.cluster\.local port 8080 is not in its sidecar scope \(Sidecar shop\/default does not import it\), so Envoy answers 503 \(NC\)/);
});

test('GIVEN the same Sidecar WHEN a promise of status 503 and one of status 200 are judged THEN the 503 holds and the 200 is broken (not left to the backend)', () => {
  assert.is(judgeRequest(objects(portBound), promise({ kind: 'status', status: 503 })).status, 'held');
  assert.is(judgeRequest(objects(portBound), promise({ kind: 'status', status: 200 })).status, 'broken');
});

test('GIVEN a second egress listener without port importing ledger/* WHEN the promise is judged THEN it holds', () => {
  const v = judgeRequest(objects([...portBound, { hosts: ['ledger/*'] }]), promise(reaches));
  assert.is(v.status, 'held', v.detail);
});

test.run();
