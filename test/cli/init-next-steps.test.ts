/**
 * `meshproof init` in a project that already has a package.json: a version range that cannot install
 * what meshproof needs (cdk8s 1 where its apps need cdk8s 2) is named on stderr; with --force it is
 * replaced, saying from what to what. Its "Next steps" quote a folder a shell would split.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main, type CliIO } from '../../src/cli/main.js';
import { ROOT } from '../_project.js';

const own = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

async function init(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, stdin: () => [], env: {}, cwd };
  const code = await main(['init', '--no-install', ...args], io);
  return { code, stdout, stderr };
}

function project(pkg: Record<string, unknown>): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-init-ranges-')), 'team');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg));
  return dir;
}
const read = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));

test('GIVEN a project without a meshproof entry WHEN init adds the registry range THEN stderr says the public registry has no meshproof and how to install it; with a tarball entry, no such note', async () => {
  const bare = project({ name: 'team' });
  const tarball = project({ name: 'team', devDependencies: { meshproof: 'file:meshproof-0.1.0.tgz' } });
  try {
    const run = await init(bare);
    assert.is(run.code, 0, run.stderr);
    assert.is(read(bare).dependencies.meshproof, `^${own.version}`);
    assert.match(run.stderr, /added dependencies\.meshproof "\^[^"]+", .*not on the public npm registry, so npm install fails with E404 there: install the package first \(npm i -D <path to meshproof-[^>]+\.tgz>/);
    const kept = await init(tarball);
    assert.is(kept.code, 0, kept.stderr);
    assert.not.match(kept.stderr, /public npm registry/);
  } finally {
    fs.rmSync(path.dirname(bare), { recursive: true, force: true });
    fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
  }
});

test('GIVEN "cdk8s": "^1.0.0" and "typescript": "~4.9.0" WHEN init runs without --force THEN both are kept and stderr names each with the range meshproof needs and the fix', async () => {
  const dir = project({ name: 'team', dependencies: { cdk8s: '^1.0.0' }, devDependencies: { typescript: '~4.9.0' } });
  try {
    const run = await init(dir);
    assert.is(run.code, 0, run.stderr);
    assert.equal([read(dir).dependencies.cdk8s, read(dir).devDependencies.typescript], ['^1.0.0', '~4.9.0']);
    assert.match(run.stderr, `meshproof: package.json keeps dependencies.cdk8s "^1.0.0", which cannot install the cdk8s 2 meshproof needs ("${own.dependencies.cdk8s}"): run init --force to update it, or npm install cdk8s@${own.dependencies.cdk8s}\n`);
    assert.match(run.stderr, 'devDependencies.typescript "~4.9.0", which cannot install the typescript 5 meshproof needs');
  } finally {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
});

test('GIVEN the same package.json WHEN init --force runs THEN the ranges are replaced in their own field, each change said; a compatible range (same major) and a tarball are kept', async () => {
  const dir = project({ name: 'team', dependencies: { cdk8s: '^1.0.0', constructs: '^10.0.0', meshproof: 'file:../meshproof-0.1.0.tgz' }, devDependencies: { typescript: '~4.9.0', tsx: '>=4.1.0 <5' } });
  try {
    const run = await init(dir, '--force');
    assert.is(run.code, 0, run.stderr);
    const pkg = read(dir);
    assert.equal(pkg.dependencies, { cdk8s: own.dependencies.cdk8s, constructs: '^10.0.0', meshproof: 'file:../meshproof-0.1.0.tgz', 'cdk8s-plus-27': own.dependencies['cdk8s-plus-27'] });
    assert.equal([pkg.devDependencies.typescript, pkg.devDependencies.tsx], [own.devDependencies.typescript, '>=4.1.0 <5']);
    assert.match(run.stderr, `meshproof: package.json: dependencies.cdk8s "^1.0.0" → "${own.dependencies.cdk8s}" (--force: "^1.0.0" cannot install the cdk8s 2 meshproof needs)\n`);
    assert.match(run.stderr, `devDependencies.typescript "~4.9.0" → "${own.devDependencies.typescript}"`);
    // The two changes, and the warning that the tarball outside the repository cannot be installed by CI's npm ci.
    assert.is(run.stderr.split('\n').filter(Boolean).length, 3, run.stderr);
    assert.match(run.stderr, 'meshproof: warning: package.json dependencies.meshproof is "file:../meshproof-0.1.0.tgz", a path outside this repository');
  } finally {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
});

test('GIVEN a target folder with a space and a quote WHEN init prints the next steps THEN its cd line is one shell word that reaches the folder', async () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-init-cd-'));
  try {
    const run = await init(base, "payments mesh/it's nested");
    assert.is(run.code, 0, run.stderr);
    const line = run.stdout.split('\n').find((l) => l.startsWith('  cd '))!;
    assert.is(line, `  cd 'payments mesh/it'\\''s nested'`);
    const pwd = execFileSync('sh', ['-c', `${line.trim()} && pwd -P`], { cwd: base, encoding: 'utf8' }).trim();
    assert.is(pwd, fs.realpathSync(path.join(base, "payments mesh/it's nested")));
    const plain = await init(base, 'plain-dir');
    assert.match(plain.stdout, /\n {2}cd plain-dir\n/);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test.run();
