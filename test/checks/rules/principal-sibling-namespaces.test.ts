import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { siblingNamespaces } from '../../../src/checks/rules/security/principal-not-found.js';

test('GIVEN namespace pairs WHEN told siblings from typos THEN numeric and short last-part variants are siblings, misspellings are not', () => {
  for (const [a, b] of [['team-a', 'team-b'], ['app1', 'app2'], ['ns-eu', 'ns-us'], ['shop-v1', 'shop-v2'], ['payments.dev', 'payments.prd'], ['tenant_1', 'tenant_2']]) {
    assert.ok(siblingNamespaces(a, b), `${a} / ${b}`);
  }
  for (const [a, b] of [['shopp', 'shop'], ['fob', 'foo'], ['fooo', 'foo'], ['paymnts', 'payments'], ['team-alpha', 'team-alpho'], ['a-b', 'x-b'], ['app', 'app']]) {
    assert.not.ok(siblingNamespaces(a, b), `${a} / ${b}`);
  }
});

test.run();
