/**
 * security/principal-not-found judges exclusions as well: `notPrincipals` and `notValues` of a `source.principal`
 * condition naming an account nobody runs as exclude nobody (Istio generator.go builds them with the same
 * principal matcher, negated).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/security/principal-not-found.js';
import { findingsOf } from './_harness.js';

function findings(ruleYaml: string) {
  return findingsOf(`apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  template:
    metadata: {labels: {app: orders}}
    spec: {serviceAccountName: orders, containers: [{name: app, image: orders:1}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: callers, namespace: shop}
spec:
  action: ALLOW
  rules:
  - ${ruleYaml}
`, [rule]);
}

test('GIVEN notPrincipals naming an account nobody runs as WHEN checked THEN reported: the exclusion never applies', async () => {
  const found = await findings('from: [{source: {notPrincipals: [cluster.local/ns/shop/sa/order]}}]');
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.includes('the exclusion never applies'), found[0]!.message);
});

test('GIVEN a source.principal condition with notValues naming an account nobody runs as WHEN checked THEN reported', async () => {
  const found = await findings('when: [{key: source.principal, notValues: [cluster.local/ns/shop/sa/order]}]');
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.includes('the exclusion never applies'), found[0]!.message);
});

test('GIVEN notPrincipals naming the account orders runs as WHEN checked THEN nothing', async () => {
  assert.equal((await findings('from: [{source: {notPrincipals: [cluster.local/ns/shop/sa/orders]}}]')).map((f) => f.message), []);
});

test.run();
