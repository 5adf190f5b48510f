/**
 * validation/virtualservice-warnings (IST0133): Istio's validateHTTPDirectResponse (pkg/config/validation/validation.go)
 * warns about a directResponse body over 100 KB (100 * 1024 bytes) and refuses one over 1 MB, which
 * validation/http-route-values reports; `bytes` bodies are measured decoded.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/validation/virtualservice-warnings.js';
import { findingsOf } from './_harness.js';

function findings(body: string) {
  return findingsOf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: maintenance, namespace: shop}
spec:
  hosts: [web]
  http:
  - directResponse:
      status: 503
      body: ${body}
`, [rule]);
}

const KB = 1024;
const CASES: [string, string, boolean][] = [
  ['a string body of exactly 100 KB', `{string: "${'a'.repeat(100 * KB)}"}`, false],
  ['a string body one byte over 100 KB', `{string: "${'a'.repeat(100 * KB + 1)}"}`, true],
  ['a string body of 100 KB counted in UTF-8 bytes (2-byte characters)', `{string: "${'é'.repeat(50 * KB + 1)}"}`, true],
  ['a bytes body of 150 KB decoded', `{bytes: "${Buffer.alloc(150 * KB, 1).toString('base64')}"}`, true],
  ['a bytes body of 90 KB decoded (120 KB of base64)', `{bytes: "${Buffer.alloc(90 * KB, 1).toString('base64')}"}`, false],
  ['a string body over 1 MB (refused, not warned)', `{string: "${'a'.repeat(1024 * KB + 1)}"}`, false],
];
for (const [what, body, warned] of CASES) {
  test(`GIVEN ${what} WHEN checked THEN ${warned ? 'one warning' : 'nothing'}`, async () => {
    const found = await findings(body);
    assert.equal(found.length, warned ? 1 : 0, found.map((f) => f.message).join('\n'));
    if (warned) {
      assert.ok(found[0]!.message.startsWith('Schema validation warning: large direct_responses may impact control plane performance: spec.http[0].directResponse.body is'), found[0]!.message);
      assert.is(found[0]!.location.line, 9);
    }
  });
}

test.run();
