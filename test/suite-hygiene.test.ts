/**
 * The suite's own hygiene: uvu runs the tests a suite holds when its `run()` is called, so a test
 * registered below `run()` never runs and never fails; and `.only` silently skips the rest of a file.
 * Every test file is read as text and each suite (`test`, or a `suite(...)` bound to a name) checked.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('.', import.meta.url));

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name === 'fixtures') return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? testFiles(p) : e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** What is wrong with one test file's suites: tests registered after their suite's `run()`, and `.only`. */
export function hygieneProblems(source: string): string[] {
  const problems: string[] = [];
  const suites = new Set(['test', ...[...source.matchAll(/(?:const|let)\s+(\w+)\s*=\s*suite\(/g)].map((m) => m[1]!)]);
  const lineOf = (i: number) => source.slice(0, i).split('\n').length;
  for (const name of suites) {
    const run = [...source.matchAll(new RegExp(`^${name}\\.run\\(\\)`, 'gm'))].at(-1);
    if (!run) continue;
    for (const m of source.slice(run.index! + run[0].length).matchAll(new RegExp(`^${name}(\\.(?:skip|only))?\\(`, 'gm'))) {
      problems.push(`line ${lineOf(run.index! + run[0].length + m.index!)}: ${name}(...) after ${name}.run() at line ${lineOf(run.index!)} never runs`);
    }
    for (const m of source.matchAll(new RegExp(`^${name}\\.only\\(`, 'gm'))) problems.push(`line ${lineOf(m.index!)}: ${name}.only skips every other test of the file`);
  }
  return problems;
}

test('GIVEN a file with a test below run() or a .only WHEN checked THEN each is named with its line (the check can fail)', () => {
  assert.equal(hygieneProblems("test('a', () => {});\ntest.run();\ntest('b', () => {});\n"), ['line 3: test(...) after test.run() at line 2 never runs']);
  assert.equal(hygieneProblems("const s = suite('x');\ns.only('a', () => {});\ns.run();\n"), ['line 2: s.only skips every other test of the file']);
  assert.equal(hygieneProblems("test('a', () => {});\ntest.run();\n"), []);
});

test('GIVEN every test file of the suite WHEN read THEN no test sits below its suite\'s run() and none uses .only', () => {
  const files = testFiles(root);
  assert.ok(files.length > 100, `found only ${files.length} test files under ${root}`);
  const problems = files.flatMap((f) => hygieneProblems(readFileSync(f, 'utf8')).map((p) => `${relative(root, f)} ${p}`));
  assert.equal(problems, []);
});

test.run();
