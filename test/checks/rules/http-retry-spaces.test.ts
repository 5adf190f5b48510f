/**
 * validation/http-retry: Istio's ValidateHTTPRetry splits retryOn on "," alone, so "reset, 503" holds the
 * policy " 503", which the webhook refuses; the message says to remove the spaces, not to pick another policy.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/validation/http-retry.js';
import { findingsOf } from './_harness.js';

function findings(retryOn: string) {
  return findingsOf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pricing, namespace: shop}
spec:
  hosts: [pricing.shop.svc.cluster.local]
  http:
  - retries: {attempts: 2, retryOn: "${retryOn}"}
    route: [{destination: {host: pricing.shop.svc.cluster.local}}]
`, [rule]);
}

test('GIVEN retryOn "reset, 503" WHEN checked THEN one error saying to remove the spaces, with the fixed value', async () => {
  const found = await findings('reset, 503');
  assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
  assert.ok(found[0]!.message.includes('remove the spaces') && found[0]!.message.includes('"reset,503"'), found[0]!.message);
});

test('GIVEN retryOn "5xx, gateway-error" WHEN checked THEN the spaced policy is named and the fix joins without spaces', async () => {
  const found = await findings('5xx, gateway-error');
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.includes('" gateway-error"') && found[0]!.message.includes('"5xx,gateway-error"'), found[0]!.message);
});

test('GIVEN retryOn "reset,503" WHEN checked THEN nothing', async () => {
  assert.equal((await findings('reset,503')).map((f) => f.message), []);
});

test('GIVEN a misspelt policy without spaces WHEN checked THEN the suggestion names the close policy', async () => {
  const found = await findings('gateway-eror');
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.includes('did you mean "gateway-error"'), found[0]!.message);
});

test.run();
