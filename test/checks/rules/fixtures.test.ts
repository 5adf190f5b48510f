/**
 * The contract every rule meets: under test/fixtures/rules/<area>/<name>/
 *   pass.yaml      manifests on which the rule reports nothing;
 *   fail.yaml      manifests on which it reports exactly what expected.yaml lists;
 *   expected.yaml  `Kind namespace/name: [{ line, message }]` — one entry per finding, `message` a
 *                  substring of the finding's message, `line` the YAML line it points at;
 *   options.yaml   (optional) the rule's options.
 * A rule without these fixtures fails this test, so no rule lands untested.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../../src/checks/engine.js';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';
import type { Rule } from '../../../src/checks/rule.js';
import { ALL_RULES } from '../../../src/checks/rules/index.js';
import type { Finding } from '../../../src/checks/types.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/rules');

/** One expected finding: its line, a part of its message, and its severity when not the rule's default (`ReportOptions.severity`). */
interface Expected { readonly line?: number; readonly message: string; readonly severity?: string }

async function findingsOf(rule: Rule, file: string, options: Record<string, unknown>): Promise<Finding[]> {
  const loaded = await loadInputs([file]);
  assert.equal(loaded.problems.filter((p) => p.unusable), [], `${file} must be valid input`);
  return runRules(MeshGraph.from(loaded.files), [rule], { [rule.id]: options }).filter((f) => f.ruleId === rule.id || f.ruleId === 'internal/rule-crashed');
}

const keyOf = (f: Finding) => (f.resource ? `${f.resource.kind} ${f.resource.namespace}/${f.resource.name}` : `(file) ${f.location.file}`);

for (const rule of ALL_RULES) {
  const dir = path.join(FIXTURES, rule.id);
  const options = fs.existsSync(path.join(dir, 'options.yaml')) ? parse(fs.readFileSync(path.join(dir, 'options.yaml'), 'utf8')) ?? {} : {};

  test(`${rule.id}: GIVEN pass.yaml WHEN checked THEN no finding`, async () => {
    const file = path.join(dir, 'pass.yaml');
    assert.ok(fs.existsSync(file), `missing fixture ${path.relative(process.cwd(), file)}`);
    const found = await findingsOf(rule, file, options);
    assert.equal(found.map((f) => `${keyOf(f)}:${f.location.line} ${f.message}`), []);
  });

  test(`${rule.id}: GIVEN fail.yaml WHEN checked THEN exactly the findings in expected.yaml`, async () => {
    const file = path.join(dir, 'fail.yaml');
    assert.ok(fs.existsSync(file), `missing fixture ${path.relative(process.cwd(), file)}`);
    const table = parse(fs.readFileSync(path.join(dir, 'expected.yaml'), 'utf8')) as Record<string, Expected[]>;
    assert.ok(table && Object.keys(table).length > 0, 'expected.yaml must list at least one finding');
    const found = await findingsOf(rule, file, options);
    const byKey = new Map<string, Finding[]>();
    for (const f of found) byKey.set(keyOf(f), [...(byKey.get(keyOf(f)) ?? []), f]);
    const describe = () => found.map((f) => `  ${keyOf(f)} line ${f.location.line}: ${f.message}`).join('\n');
    assert.equal([...byKey.keys()].sort(), Object.keys(table).sort(), `resources reported differ from expected.yaml; found:\n${describe()}`);
    for (const [key, expected] of Object.entries(table)) {
      const actual = [...byKey.get(key)!].sort((a, b) => a.location.line - b.location.line);
      assert.is(actual.length, expected.length, `${key}: ${actual.length} findings, expected ${expected.length}; found:\n${describe()}`);
      const want = [...expected].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
      want.forEach((e, i) => {
        const f = actual[i]!;
        if (e.line !== undefined) assert.is(f.location.line, e.line, `${key}: line of "${f.message}"`);
        assert.ok(f.message.includes(e.message), `${key}: "${f.message}" should contain "${e.message}"`);
        assert.is(f.severity, e.severity ?? rule.severity, `${key}: severity of "${f.message}"`);
      });
    }
  });
}

test('GIVEN the registry WHEN listed THEN ids are unique, well-formed and documented', () => {
  const ids = ALL_RULES.map((r) => r.id);
  assert.equal(ids, [...new Set(ids)].sort());
  for (const r of ALL_RULES) {
    assert.match(r.id, /^[a-z][a-z0-9-]*\/[a-z0-9][a-z0-9-]*$/);
    assert.ok(r.summary.length > 10 && r.docs.length > 40, `${r.id} needs a summary and docs`);
    assert.ok(r.kinds.length > 0, `${r.id} must declare the kinds it reads`);
    if (r.istioCode !== undefined) assert.match(r.istioCode, /^IST\d{4}$/);
  }
});

test.run();
