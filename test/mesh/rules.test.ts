import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RULE_CRASHED, runRules } from '../../src/checks/engine.js';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import type { Rule } from '../../src/checks/rule.js';
import { ALL_RULES, buildRegistry } from '../../src/checks/rules/index.js';
import destinationHostExists from '../../src/checks/rules/references/destination-host-exists.js';
import weightsTotal100 from '../../src/checks/rules/routing/weights-total-100.js';

const FIX = 'test/fixtures/input/rules';

async function run(fixture: string, rule: Rule, options = {}) {
  const { files, problems } = await loadInputs([`${FIX}/${fixture}`]);
  assert.equal(problems, []);
  return runRules(MeshGraph.from(files), [rule], { [rule.id]: options });
}

test('GIVEN weights adding up to 100 WHEN routing/weights-total-100 runs THEN no findings', async () => {
  assert.equal(await run('weights-pass.yaml', weightsTotal100), []);
});

test('GIVEN weights 80/10 WHEN routing/weights-total-100 runs THEN a warning at the route with the real split', async () => {
  const [f, ...rest] = await run('weights-fail.yaml', weightsTotal100);
  assert.is(rest.length, 0);
  assert.equal([f!.ruleId, f!.severity, f!.location.line, f!.location.column], ['routing/weights-total-100', 'warning', 8, 5]);
  assert.equal(f!.resource, { kind: 'VirtualService', namespace: 'default', name: 'reviews-split' });
  assert.equal(f!.fieldPath, ['spec', 'http', 0, 'route']);
  assert.is(f!.message, 'destination weights in spec.http[0].route add up to 90, not 100; Istio will send reviews/v1 88.9 %, reviews/v2 11.1 %');
});

test('GIVEN option total: 90 WHEN routing/weights-total-100 runs on 80/10 THEN no findings', async () => {
  assert.equal(await run('weights-fail.yaml', weightsTotal100, { total: 90 }), []);
});

test('GIVEN destinations to a Service, an FQDN mirror and a wildcard ServiceEntry WHEN IST0101 runs THEN no findings', async () => {
  assert.equal(await run('destination-host-pass.yaml', destinationHostExists), []);
});

test('GIVEN unknown, hidden and partial hosts and a wrong port WHEN IST0101 runs THEN one error each, at the field', async () => {
  const findings = await run('destination-host-fail.yaml', destinationHostExists);
  assert.equal(
    findings.map((f) => [f.istioCode, f.severity, f.location.line, f.message]),
    [
      ['IST0101', 'error', 30, 'Referenced destination host not found: "reviewz" (resolved to reviewz.default.svc.cluster.local); did you mean "reviews"?'],
      ['IST0101', 'error', 31, 'Referenced destination host "reviews" has no port 8080; it exposes 9080 (http)'],
      ['IST0101', 'error', 32, 'Referenced destination host not found: "ratings.prod.svc.cluster.local": Service prod/ratings exists but is not exported to namespace default (exportTo ["."])'],
      ['IST0101', 'error', 33, 'Referenced destination host not found: "reviews.default": Istio does not expand "reviews.default"; did you mean "reviews.default.svc.cluster.local"?'],
      ['IST0101', 'error', 34, 'Referenced mirror host not found: "shadow" (resolved to shadow.default.svc.cluster.local)'],
    ],
  );
});

test('GIVEN a rule that throws WHEN the engine runs THEN an internal/rule-crashed error replaces it and others still run', async () => {
  const boom: Rule = { id: 'test/boom', severity: 'error', summary: 's', docs: 'd', kinds: [], check: () => { throw new Error('kaput'); } };
  const { files } = await loadInputs([`${FIX}/weights-fail.yaml`]);
  const findings = runRules(MeshGraph.from(files), [boom, weightsTotal100]);
  assert.equal(findings.map((f) => f.ruleId).sort(), [RULE_CRASHED, 'routing/weights-total-100']);
  assert.match(findings.find((f) => f.ruleId === RULE_CRASHED)!.message, /rule test\/boom crashed: kaput/);
});

test('GIVEN findings from several files WHEN the engine sorts them THEN by file, line, column, rule id', async () => {
  const { files } = await loadInputs([`${FIX}/weights-fail.yaml`, `${FIX}/destination-host-fail.yaml`]);
  const findings = runRules(MeshGraph.from(files), [weightsTotal100, destinationHostExists]);
  const keys = findings.map((f) => [f.location.file, f.location.line, f.location.column, f.ruleId].join(':'));
  assert.is(findings.length, 7); // 5 × IST0101 and an unweighted 4-way split in one file, the 80/10 split in the other
  assert.equal(keys, [...keys].sort((a, b) => (a < b ? -1 : 1)));
  assert.ok(keys[0]!.startsWith(`${FIX}/destination-host-fail.yaml`));
});

test('GIVEN the registry WHEN read THEN rules are sorted by id, ids are unique and well formed', () => {
  const ids = ALL_RULES.map((r) => r.id);
  assert.equal(ids, [...ids].sort());
  assert.ok(ids.includes('references/destination-host-exists') && ids.includes('routing/weights-total-100'));
  for (const r of ALL_RULES) assert.ok(r.summary && r.docs && r.kinds.length > 0, r.id);
  assert.throws(() => buildRegistry([weightsTotal100, weightsTotal100]), /registered twice/);
  assert.throws(() => buildRegistry([{ ...weightsTotal100, id: 'NoArea' }]), /area\/name/);
  assert.throws(() => buildRegistry([{ ...weightsTotal100, id: 'resilience/fault-disables-timeout-retries' }]), /was retired and is never reused/);
});

test.run();
