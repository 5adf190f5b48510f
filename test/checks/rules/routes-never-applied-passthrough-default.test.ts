/**
 * routing/routes-never-applied on Gateway servers whose TLS mode decides the route kinds: on an HTTPS or TLS
 * server an unset tls.mode is PASSTHROUGH (the TLSmode enum's zero value), while an HTTP server is HTTP whatever
 * its tls says (gateway.go IsHTTPServer).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/routing/routes-never-applied.js';
import { findingsOf } from './_harness.js';

function findings(server: string) {
  return findingsOf(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
  - ${server}
    hosts: [shop.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: storefront, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [public]
  http:
  - route: [{destination: {host: storefront.shop.svc.cluster.local}}]
`, [rule]);
}

test('GIVEN an HTTPS server with credentialName and no tls.mode WHEN checked THEN the http routes are never applied, and the message says the mode defaults to PASSTHROUGH', async () => {
  const found = await findings('port: {number: 443, name: https, protocol: HTTPS}\n    tls: {credentialName: shop-tls}');
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.includes('tls.mode unset, so PASSTHROUGH'), found[0]!.message);
  assert.ok(found[0]!.message.includes('set tls.mode SIMPLE'), found[0]!.message);
});

for (const [server, what] of [
  ['port: {number: 80, name: http, protocol: HTTP}\n    tls: {httpsRedirect: true, mode: PASSTHROUGH}', 'an HTTP redirect server written with mode PASSTHROUGH'],
  ['port: {number: 80, name: http, protocol: HTTP}\n    tls: {httpsRedirect: true}', 'an HTTP redirect server'],
  ['port: {number: 443, name: https, protocol: HTTPS}\n    tls: {mode: SIMPLE, credentialName: shop-tls}', 'an HTTPS server terminating TLS'],
]) {
  test(`GIVEN ${what} WHEN checked THEN nothing`, async () => {
    assert.equal((await findings(server!)).map((f) => f.message), []);
  });
}

test.run();
