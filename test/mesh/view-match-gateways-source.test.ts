/**
 * A match entry naming `gateways` and source conditions: for HTTP, istiod's `sourceMatchHTTP` lets the
 * gateways alone decide (sourceLabels and sourceNamespace are read only when `gateways` is empty); for tcp
 * and tls (`matchTCP`, `matchTLS`) every condition must hold. One reading for every stage: routing.ts
 * httpMatchAppliesOn, used by the per-proxy view and the checks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../src/mesh/view/index.js';
import { graphOf } from './_graph.js';
import { route, svc, vs } from './view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'web', labels: { app: 'client' } });
const match = { gateways: ['mesh'], sourceLabels: { app: 'billing' }, sourceNamespace: 'finance' };

test('GIVEN an http match naming gateways [mesh] and another workload\'s labels and namespace WHEN a sidecar is viewed THEN the match applies (gateways alone decide)', () => {
  const g = graphOf([svc('reviews', 'prod'), vs('reviews', 'prod', { hosts: ['reviews'], http: [
    { match: [{ ...match, uri: { prefix: '/admin' } }], route: [route('reviews', { port: { number: 9080 } })] },
    { route: [route('reviews')] },
  ] })]);
  const r = buildProxyView(g, client).routes.find((h) => h.host === 'reviews.prod.svc.cluster.local')!;
  assert.equal(r.http.map((h) => h.match.map((m) => m.uri)), [[{ prefix: '/admin' }], []]);
});

test('GIVEN the same conditions on a tcp match WHEN a sidecar is viewed THEN it does not apply (every condition must hold)', () => {
  const g = graphOf([svc('db', 'prod', [{ port: 5432, name: 'tcp-pg' }]), vs('db', 'prod', { hosts: ['db'], tcp: [
    { match: [match], route: [route('db')] },
  ] })]);
  const r = buildProxyView(g, client).routes.find((h) => h.host === 'db.prod.svc.cluster.local');
  assert.equal(r?.tcp.length ?? 0, 0);
});

test.run();
