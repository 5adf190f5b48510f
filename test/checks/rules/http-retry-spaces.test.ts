/**
 * validation/http-retry: Istio's ValidateHTTPRetry splits retryOn on "," alone, so "reset, 503" holds the
 * policy " 503", which the webhook refuses; the message says to remove the spaces, not to pick another policy.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../../src/checks/engine.js';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';
import rule from '../../../src/checks/rules/validation/http-retry.js';

async function findings(retryOn: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-retry-spaces-'));
  const file = path.join(dir, 'in.yaml');
  fs.writeFileSync(file, `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pricing, namespace: shop}
spec:
  hosts: [pricing.shop.svc.cluster.local]
  http:
  - retries: {attempts: 2, retryOn: "${retryOn}"}
    route: [{destination: {host: pricing.shop.svc.cluster.local}}]
`);
  try {
    const { files } = await loadInputs([file]);
    return runRules(MeshGraph.from(files), [rule], {});
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
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
