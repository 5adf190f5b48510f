/**
 * routing/shadowed-rule reads a rule that delegates as istiod's merged route table holds it: the delegate's
 * rules merged under its match (mesh/delegation.ts mergedDelegateRules), nothing when the delegation is dropped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import shadowedRule from '../../../src/checks/rules/routing/shadowed-rule.js';
import { findingsOf } from './_harness.js';

function findings(delegateHttp: string, delegateExtra = '') {
  return findingsOf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root, namespace: shop}
spec:
  hosts: [shop.example.com]
  http:
  - match: [{uri: {prefix: /api}}]
    delegate: {name: leaf}
  - match: [{uri: {prefix: /api/payments}}]
    route: [{destination: {host: payments}}]
  - route: [{destination: {host: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: leaf, namespace: shop}
spec:
${delegateExtra}  http: ${delegateHttp}
`, [shadowedRule]);
}

test('GIVEN the /api delegate routes only /api/orders WHEN checked THEN the later /api/payments is reachable', async () => {
  assert.equal((await findings('[{match: [{uri: {prefix: /api/orders}}], route: [{destination: {host: orders}}]}]')).map((f) => f.message), []);
});

test('GIVEN the /api delegate ends with a match-less rule WHEN checked THEN the later /api/payments is never used', async () => {
  const found = await findings('[{match: [{uri: {prefix: /api/orders}}], route: [{destination: {host: orders}}]}, {route: [{destination: {host: orders}}]}]');
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.startsWith('Rule spec.http[1] is never used'), found[0]!.message);
});

test('GIVEN the delegate is not exported to the root (istiod drops the /api rule) WHEN checked THEN the later /api/payments is reachable', async () => {
  assert.equal((await findings('[{route: [{destination: {host: orders}}]}]', '  exportTo: [billing]\n')).map((f) => f.message), []);
});

test.run();
