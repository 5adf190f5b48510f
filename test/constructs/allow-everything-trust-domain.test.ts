/**
 * Principal patterns that cover every workload of the mesh's trust domain (`<td>/*`,
 * `<td>/ns/*`) are "allow everything" as `*` is, for the shared definition, the construct guard
 * (trust domain from the `meshproof:trustDomain` context) and security/allow-everything.
 */
import { Chart, Testing } from 'cdk8s';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AllowPolicy } from '../../src/constructs/authorization-policy.js';
import { allowRuleMatchesEverything, principalMatchesEveryWorkload } from '../../src/validate/authorization.js';
import { synth, throwsProp } from '../_synth.js';

test('GIVEN principal patterns WHEN asked whether they cover every workload of cluster.local THEN only * and prefixes of "<td>/ns/" do', () => {
  for (const p of ['*', 'cluster.local/*', 'cluster.local/ns/*', 'cluster.local*', 'cluster*']) assert.ok(principalMatchesEveryWorkload(p), p);
  for (const p of ['cluster.local/ns/shop/*', 'cluster.local/ns/shop/sa/web', 'other.example/*', '*/ns/*/sa/*', '*/sa/web', 'cluster.local/ns/*/sa/web', '']) {
    assert.not.ok(principalMatchesEveryWorkload(p), p);
  }
  assert.ok(principalMatchesEveryWorkload('corp.example/*', ['corp.example']));
  assert.not.ok(principalMatchesEveryWorkload('cluster.local/*', ['corp.example']));
  assert.ok(principalMatchesEveryWorkload('old.example/*', ['corp.example', 'old.example']), 'a trust domain alias counts');
});

test('GIVEN an ALLOW rule from "<td>/*" WHEN decided with that trust domain THEN it matches everything; notPrincipals "<td>/*" restricts', () => {
  const rule = { from: [{ source: { principals: ['corp.example/*'] } }] };
  assert.equal(allowRuleMatchesEverything(rule, { trustDomains: ['corp.example'] })?.fields, [{ path: 'from[0].source.principals', values: ['corp.example/*'], kind: 'wildcard' }]);
  assert.is(allowRuleMatchesEverything(rule, { trustDomains: ['cluster.local'] }), null);
  assert.is(allowRuleMatchesEverything({ from: [{ source: { principals: ['*'], notPrincipals: ['cluster.local/*'] } }] }), null, 'excluding every principal matches nothing');
});

test('GIVEN AllowPolicy with principals "cluster.local/*" WHEN constructed THEN it is refused like "*"', () => {
  throwsProp(() => synth((c) => new AllowPolicy(c, 'allow', { name: 'td-wide', rules: [{ from: [{ principals: ['cluster.local/*'] }] }] })),
    { code: 'MP_ALLOWS_EVERYTHING', field: 'rules[0]', path: 'test/allow' });
});

test('GIVEN the meshproof:trustDomain context WHEN AllowPolicy names "<that td>/ns/*" THEN refused; "cluster.local/*" there is another trust domain and kept', () => {
  const build = (principal: string) => {
    const app = Testing.app();
    app.node.setContext('meshproof:trustDomain', 'corp.example');
    const chart = new Chart(app, 'test', { namespace: 'default' });
    new AllowPolicy(chart, 'allow', { name: 'td', rules: [{ from: [{ principals: [principal] }] }] });
    return Testing.synth(chart);
  };
  throwsProp(() => build('corp.example/ns/*'), { code: 'MP_ALLOWS_EVERYTHING', field: 'rules[0]', path: 'test/allow' });
  assert.is(build('cluster.local/*').length, 1);
});

test.run();
