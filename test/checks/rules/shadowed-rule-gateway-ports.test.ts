/**
 * routing/shadowed-rule on gateways: a `port: N` match alone takes every request when N is the only
 * port carrying HTTP for the hosts on every proxy the VirtualService is bound to (for a Gateway, the
 * server ports serving its hosts, after TLS termination; Istio compares match.port with the server port).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import shadowedRule from '../../../src/checks/rules/routing/shadowed-rule.js';
import { findingsOf } from './_harness.js';

function findings(servers: string, gateways: string) {
  return findingsOf(`apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec:
  selector: {app: cart}
  ports: [{name: http, port: 8080}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: cart-gw, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
${servers}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cart-edge, namespace: shop}
spec:
  hosts: [cart.example.com, cart.shop.svc.cluster.local]
  gateways: ${gateways}
  http:
  - match: [{port: 80}]
    route: [{destination: {host: cart, port: {number: 8080}}}]
  - match: [{uri: {prefix: /methods}}]
    route: [{destination: {host: cart, port: {number: 8080}}}]
`, [shadowedRule]);
}

const HTTP80 = '  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [cart.example.com]';
const HTTPS443 = '  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [cart.example.com]\n    tls: {mode: SIMPLE, credentialName: cart-cert}';
const TLS443 = '  - port: {number: 443, name: tls, protocol: TLS}\n    hosts: [cart.example.com]\n    tls: {mode: PASSTHROUGH}';

test('GIVEN a gateway-only VirtualService whose Gateway serves the host on port 80 only WHEN port: 80 is matched alone THEN the later rule is reported as never used', async () => {
  const found = await findings(HTTP80, '[cart-gw]');
  assert.is(found.length, 1, found.map((f) => f.message).join('\n'));
  assert.equal(found[0]!.fieldPath, ['spec', 'http', 1]);
  assert.match(found[0]!.message, /matches every request with match\[0\] \{port: 80\}/);
});

test('GIVEN the Gateway also terminates TLS on 443 for the host (HTTP after termination) WHEN port: 80 is matched alone THEN nothing (443 requests reach the later rule)', async () => {
  assert.equal((await findings(`${HTTP80}\n${HTTPS443}`, '[cart-gw]')).map((f) => f.message), []);
});

test('GIVEN the other server passes TLS through on 443 (no http routes there) WHEN port: 80 is matched alone THEN the later rule is still reported', async () => {
  assert.is((await findings(`${HTTP80}\n${TLS443}`, '[cart-gw]')).length, 1);
});

test('GIVEN the VirtualService is bound to mesh too (sidecars use Service port 8080) WHEN port: 80 is matched alone THEN nothing (it is no catch-all on the sidecars)', async () => {
  assert.equal((await findings(HTTP80, '[cart-gw, mesh]')).map((f) => f.message), []);
});

test('GIVEN the bound Gateway is not in the input WHEN port: 80 is matched alone THEN nothing (its ports are unknown)', async () => {
  assert.equal((await findings(HTTP80, '[istio-system/elsewhere]')).map((f) => f.message), []);
});

test.run();
