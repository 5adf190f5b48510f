/**
 * Rules that compare an object with its rivals name a few and count the rest: on inputs that pile
 * n objects onto one key (bench/check/adversarial-cases.ts), every finding's message stays short
 * and says how many rivals it did not name, so the report grows linearly with n.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { runRules } from '../../../src/checks/engine.js';
import { findRule } from '../../../src/checks/rules/index.js';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';
import { CASES } from '../../../bench/check/adversarial-cases.js';

const N = 120;

async function graphOf(caseName: string, n: number): Promise<MeshGraph> {
  const c = CASES.find((x) => x.name === caseName);
  assert.ok(c, `no case ${caseName}`);
  const { files, problems } = await loadInputs(['-'], { stdin: c.build(n).map((o) => stringify(o)).join('---\n') });
  assert.equal(problems.filter((p) => p.unusable), []);
  return MeshGraph.from(files);
}

const table: [rule: string, caseName: string, findings: number, more: string][] = [
  ['gateway/conflicting-gateways', 'gateways-one-wildcard-host', 2 * N, `and ${N - 4} more`],
  ['gateway/duplicate-certificate', 'gateways-one-wildcard-host', N, `and ${N - 4} more`],
  ['routing/conflicting-mesh-hosts', 'mesh-virtualservices-one-host', N, `and ${N - 4} more`],
  ['sidecar/multiple-default-sidecars', 'default-sidecars-one-namespace', N, `and ${N - 4} more`],
  ['sidecar/workload-selected-twice', 'sidecars-one-workload', N, `and ${N - 6} more`],
  ['serviceentry/conflicting-protocols', 'serviceentries-one-host-port', N, `and ${N / 2 - 3} more`],
];

for (const [id, caseName, count, more] of table) {
  test(`${id}: GIVEN ${N} rivals on one key WHEN checked THEN each finding names a few and counts the rest`, async () => {
    const rule = findRule(id);
    assert.ok(rule, `no rule ${id}`);
    const findings = runRules(await graphOf(caseName, N), [rule]).filter((f) => f.ruleId === id);
    assert.is(findings.length, count, `${id} findings`);
    for (const f of findings) {
      assert.ok(f.message.includes(more), `"${f.message}" should say "${more}"`);
      assert.ok(f.message.length < 600, `message of ${f.message.length} characters: ${f.message}`);
    }
  });
}

test('GIVEN 10x the rivals WHEN checked THEN the report grows about 10x, not 100x', async () => {
  const bytes = async (n: number) =>
    runRules(await graphOf('gateways-one-wildcard-host', n), [findRule('gateway/conflicting-gateways')!]).reduce((s, f) => s + f.message.length, 0);
  const [small, large] = [await bytes(20), await bytes(200)];
  assert.ok(large / small < 12, `report grew ${(large / small).toFixed(1)}x for 10x the Gateways`);
});

test.run();
