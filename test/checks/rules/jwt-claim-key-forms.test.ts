/**
 * security/jwt-claim-routing-without-request-authentication (IST0149) recognises every header key Istio routes on
 * a JWT claim (pkg/jwt/routing.go ToRoutingClaim): the prefix `@request.auth.claims` in any case, followed by
 * `.claim` or `[claim]` (nested: `.a.b`, `[a][b]`); anything else is an ordinary header.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule, { isRoutingClaim } from '../../../src/checks/rules/security/jwt-claim-routing-without-request-authentication.js';
import { findingsOf } from './_harness.js';

test('GIVEN header keys WHEN isRoutingClaim THEN Istio\'s ToRoutingClaim verdict', () => {
  for (const k of ['@request.auth.claims.groups', '@request.auth.claims[groups]', '@request.auth.claims[kubernetes.io][namespace]', '@Request.Auth.Claims.sub', '@request.auth.claims.a.b']) {
    assert.ok(isRoutingClaim(k), k);
  }
  for (const k of ['@request.auth.claims', '@request.auth.claims.', '@request.auth.claims[]', '@request.auth.claimsgroups', 'x-claims', '@request.auth.principal']) {
    assert.not.ok(isRoutingClaim(k), k);
  }
});

function findings(key: string) {
  return findingsOf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: ingressgateway, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  template:
    metadata: {labels: {istio: ingressgateway}}
    spec: {containers: [{name: istio-proxy, image: auto}]}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: web}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: beta, namespace: web}
spec:
  hosts: [shop.example.com]
  gateways: [public]
  http:
  - match: [{headers: {"${key}": {exact: beta}}}]
    route: [{destination: {host: beta.web.svc.cluster.local}}]
  - route: [{destination: {host: stable.web.svc.cluster.local}}]
`, [rule]);
}

for (const key of ['@request.auth.claims[groups]', '@Request.Auth.Claims.groups']) {
  test(`GIVEN a gateway route on ${key} and no RequestAuthentication WHEN checked THEN IST0149 names the key`, async () => {
    const found = await findings(key);
    assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
    assert.ok(found[0]!.message.includes(`(${key})`), found[0]!.message);
  });
}

test('GIVEN a gateway route on an ordinary header WHEN checked THEN nothing', async () => {
  assert.equal((await findings('x-beta')).map((f) => f.message), []);
});

test.run();
