/**
 * The scaffolded workflow's drift step (templates/project/dot-github/workflows/mesh-gate.yml, as init fills it), run for real
 * with bash in a git repository: each drifted file gets its own `::error file=…` annotation saying what
 * happened to it (changed, deleted, never committed), and a clean tree passes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { planScaffold } from '../../src/cli/init-command.js';

function driftScript(): string {
  const scaffold = planScaffold({ dir: path.join(tmpdir(), 'meshproof-drift-scaffold-never-written') });
  const workflow = scaffold.find((f) => f.path === '.github/workflows/mesh-gate.yml')!.content;
  const wf = parse(workflow) as { jobs: { gate: { steps: { name?: string; run?: string }[] } } };
  const step = wf.jobs.gate.steps.find((s) => s.name?.startsWith('Synthesize'));
  assert.ok(step?.run, 'the workflow has a synthesize-and-compare step');
  // The synth itself is not under test: the tree below plays what it wrote.
  return step.run.replace('npx cdk8s synth --no-validate', ': synth');
}

function repo(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'meshproof-drift-'));
  mkdirSync(path.join(dir, 'dist'));
  mkdirSync(path.join(dir, '.meshproof'));
  writeFileSync(path.join(dir, 'dist', 'orders.k8s.yaml'), 'a: 1\n');
  writeFileSync(path.join(dir, 'dist', 'payments.k8s.yaml'), 'b: 1\n');
  writeFileSync(path.join(dir, '.meshproof', 'sourcemap.json'), '{}\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q');
  git('add', '.');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'init');
  return dir;
}

const run = (dir: string) => spawnSync('bash', ['-e', '-c', driftScript()], { cwd: dir, encoding: 'utf8', timeout: 20_000 });

test('GIVEN a tree the synth left as committed WHEN the drift step runs THEN it passes silently', () => {
  const dir = repo();
  try {
    const r = run(dir);
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.not.match(r.stdout, '::error');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a changed, a deleted and an uncommitted dist file WHEN the drift step runs THEN one annotation on each file says what to do, exit 1', () => {
  const dir = repo();
  try {
    writeFileSync(path.join(dir, 'dist', 'orders.k8s.yaml'), 'a: 2\n');
    unlinkSync(path.join(dir, 'dist', 'payments.k8s.yaml'));
    writeFileSync(path.join(dir, 'dist', 'cart, v2:new.k8s.yaml'), 'c: 1\n');
    writeFileSync(path.join(dir, '.meshproof', 'sourcemap.json'), '{"x":1}\n');
    const r = run(dir);
    assert.is(r.status, 1, r.stdout + r.stderr);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    assert.is(errors.length, 4, r.stdout);
    assert.ok(errors.some((l) => l.startsWith('::error file=dist/orders.k8s.yaml,') && l.includes('differs from what')), r.stdout);
    assert.ok(errors.some((l) => l.startsWith('::error file=dist/payments.k8s.yaml,') && l.includes('no longer writes it')), r.stdout);
    assert.ok(errors.some((l) => l.startsWith('::error file=.meshproof/sourcemap.json,')), r.stdout);
    // Workflow-command properties escape ',' and ':'; the message keeps the name as written.
    assert.ok(errors.some((l) => l.startsWith('::error file=dist/cart%2C v2%3Anew.k8s.yaml,') && l.includes('dist/cart, v2:new.k8s.yaml is written by') && l.includes('not committed')), r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a synth that wrote .meshproof/expectations.json, never committed WHEN the drift step runs THEN it says to commit it, exit 1', () => {
  const dir = repo();
  try {
    writeFileSync(path.join(dir, '.meshproof', 'expectations.json'), '{"version":1,"expectations":[]}\n');
    const r = run(dir);
    assert.is(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^::error file=\.meshproof\/expectations\.json,title=dist\/ drift::\.meshproof\/expectations\.json is written by 'npx cdk8s synth' but not committed/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
