/**
 * routing/default-route-required reads a rule that delegates as the delegate's rules merged under its match
 * (istiod mergeHTTPRoute): a match-less root rule delegating to rules that all have matches leaves no default.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/routing/default-route-required.js';
import { findingsOf } from './_harness.js';

function findings(delegateHttp: string) {
  return findingsOf(`apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  selector: {app: orders}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders, namespace: shop}
spec:
  hosts: [orders]
  http:
  - delegate: {name: orders-routes}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders-routes, namespace: shop}
spec:
  http: ${delegateHttp}
`, [rule]);
}

test('GIVEN a match-less root rule delegating to rules that all have matches WHEN checked THEN no default route', async () => {
  const found = await findings('[{match: [{uri: {prefix: /orders/v2}}], route: [{destination: {host: orders}}]}]');
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.includes('once istiod merges the delegate'), found[0]!.message);
});

test('GIVEN the delegate ends with a match-less rule WHEN checked THEN nothing', async () => {
  assert.equal((await findings('[{match: [{uri: {prefix: /orders/v2}}], route: [{destination: {host: orders}}]}, {route: [{destination: {host: orders}}]}]')).map((f) => f.message), []);
});

test.run();
