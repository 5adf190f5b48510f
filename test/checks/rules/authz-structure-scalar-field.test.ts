/**
 * validation/authorization-policy-structure reports sources and operations Istio's webhook finds empty; a
 * field written with the wrong type (`namespaces: web`) is not empty: the CRD schema refuses it, and
 * schema/crd-validation says so ("must be an array"). One fault, one message.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/validation/authorization-policy-structure.js';
import { findingsOf } from './_harness.js';

async function messages(source: string): Promise<string[]> {
  return (await findingsOf(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-callers, namespace: shop}
spec:
  action: ALLOW
  rules:
  - from:
    - source: ${source}
`, [rule])).map((f) => f.message);
}

test('GIVEN namespaces written as a scalar WHEN checked THEN the source is not called empty', async () => {
  assert.equal(await messages('{namespaces: web}'), []);
});

test('GIVEN namespaces written as an empty list or null, or only a misspelt field WHEN checked THEN the source is empty', async () => {
  for (const source of ['{namespaces: []}', '{namespaces: null}', '{namespace: [web]}']) {
    const found = await messages(source);
    assert.is(found.length, 1, `${source}: ${found.join('\n')}`);
    assert.match(found[0]!, /`from\.source` must not be empty/);
  }
});

test.run();
