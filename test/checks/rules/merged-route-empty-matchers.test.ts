/**
 * gateway/merged-route-shadowed and empty matcher maps: `headers: {}`, `withoutHeaders: {}` and
 * `queryParams: {}` add no Envoy matcher, so a match entry with only those is a catch-all for
 * route.go IsCatchAllRoute: istiod moves it after the other routes of the gateway virtual host, and a
 * later catch-all is dead behind it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mergedRouteShadowed from '../../../src/checks/rules/gateway/merged-route-shadowed.js';
import { findingsOf } from './_harness.js';

/** An older VirtualService whose one rule matches `olderMatch`, then a newer one with `newerMatch`, both on the gateway for one host. */
function findings(olderMatch: string, newerMatch: string) {
  return findingsOf(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*/shop.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: older, namespace: shop, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/edge]
  http:
  - match: [${olderMatch}]
    route: [{destination: {host: web.shop.svc.cluster.local}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: newer, namespace: shop, creationTimestamp: "2026-02-01T00:00:00Z"}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/edge]
  http:
  - match: [${newerMatch}]
    route: [{destination: {host: api.shop.svc.cluster.local}}]
`, [mergedRouteShadowed]);
}

for (const empty of ['{headers: {}}', '{withoutHeaders: {}}', '{queryParams: {}}', '{uri: {prefix: /}, headers: {}}']) {
  test(`GIVEN an older match ${empty} WHEN a newer catch-all is merged after it THEN the newer one is reported dead (the older is a catch-all too, first among them)`, async () => {
    const found = await findings(empty, '{uri: {prefix: /}}');
    assert.equal(found.map((f) => f.resource?.name), ['newer'], found.map((f) => f.message).join('\n'));
  });

  test(`GIVEN an older match ${empty} WHEN a newer /api prefix is merged after it THEN nothing is reported (the older catch-all moves after /api)`, async () => {
    assert.equal((await findings(empty, '{uri: {prefix: /api}}')).map((f) => f.message), []);
  });
}

test('GIVEN an older match with a real header matcher WHEN a newer catch-all is merged after it THEN nothing is reported (a header route is no catch-all)', async () => {
  assert.equal((await findings("{headers: {x-beta: {exact: '1'}}}", '{uri: {prefix: /}}')).map((f) => f.message), []);
});

test.run();
