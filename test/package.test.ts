import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, snapshot } from './_project.js';

/**
 * The "Done when", as a new user does it: `npm pack`, install the tarball into a folder
 * that holds only a package.json, `npx meshproof init`, `npx cdk8s synth`, `npx meshproof check
 * dist`, and a misspelled prop that fails the synth. npm works from its local cache
 * (--prefer-offline); lib/ must be built first (`npm test` does).
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-package-'));
const team = path.join(work, 'team-mesh');
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
const { FORCE_COLOR: _forceColor, ...inherited } = process.env;
const env = { ...inherited, CDK8S_CHECK_UPGRADE: 'false', NO_COLOR: '1', npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };

function sh(cmd: string, args: string[], cwd: string): { status: number | null; output: string } {
  const run = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', shell: process.platform === 'win32' });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

let tarball = '';

test.before(() => {
  assert.ok(fs.existsSync(path.join(ROOT, 'lib/src/index.js')), 'lib/ is missing: run `npm run build` first');
  const pack = sh('npm', ['pack', '--ignore-scripts', '--pack-destination', work, '--loglevel=error'], ROOT);
  assert.is(pack.status, 0, pack.output);
  tarball = path.join(work, pack.output.trim().split('\n').filter(Boolean).pop()!.trim());
  assert.ok(fs.existsSync(tarball), `npm pack wrote no ${tarball}`);
});

test.after(() => fs.rmSync(work, { recursive: true, force: true }));

test('GIVEN the packed tarball WHEN listed THEN it holds the compiled library, CLI, plugin and templates, and no tests, benches, apps or TypeScript sources', () => {
  const files = sh('tar', ['-tzf', tarball], work).output.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
  for (const needed of ['package.json', 'bin/meshproof.js', 'lib/src/index.js', 'lib/src/index.d.ts', 'lib/src/checks/api.js', 'lib/src/cli/init-command.js', 'lib/src/gate/action-main.js', 'plugins/cdk8s-validation/index.cjs', 'templates/project/apps/main.ts', 'templates/project/dot-gitignore', 'action.yml']) {
    assert.ok(files.includes(needed), `the tarball lacks ${needed}`);
  }
  const unwanted = files.filter((f) => /^(test|bench|apps|src|dist|docs|\.github|\.meshproof|node_modules)\//.test(f) || /\.test\.[jt]s$/.test(f) || (/\.ts$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('templates/')));
  assert.equal(unwanted, [], 'files that do not belong in the package');
});

test('GIVEN a folder holding only a package.json WHEN the tarball is installed THEN meshproof runs without tsx or any dev dependency', () => {
  fs.mkdirSync(team);
  fs.writeFileSync(path.join(team, 'package.json'), '{ "name": "team-mesh", "version": "1.0.0", "private": true }\n');
  const install = sh('npm', ['install', ...NPM_FLAGS, tarball], team);
  assert.is(install.status, 0, install.output);
  assert.not.ok(fs.existsSync(path.join(team, 'node_modules/tsx')), 'tsx was installed as a runtime dependency');
  const version = sh('npx', ['--no-install', 'meshproof', '--version'], team);
  assert.is(version.status, 0, version.output);
  assert.match(version.output, /^meshproof \d+\.\d+\.\d+/);
  const api = sh('node', ['--input-type=module', '-e', "const m = await import('meshproof'); const c = await import('meshproof/checks'); console.log(typeof m.MeshApp, typeof m.MeshService, typeof m.expect, typeof c.checkObjects)"], team);
  assert.is(api.output.trim(), 'function function function function', api.output);
});

test('GIVEN the installed package WHEN npx meshproof init runs THEN it scaffolds and installs the project', () => {
  const init = sh('npx', ['--no-install', 'meshproof', 'init'], team);
  assert.is(init.status, 0, init.output);
  for (const f of ['apps/main.ts', 'cdk8s.yaml', 'meshproof.config.yaml', 'tsconfig.json', '.github/workflows/mesh-gate.yml', 'argocd/application.yaml']) assert.ok(fs.existsSync(path.join(team, f)), `init did not write ${f}`);
  assert.ok(fs.existsSync(path.join(team, 'node_modules/.bin/cdk8s')), 'init did not install cdk8s-cli');
});

test('GIVEN the scaffold WHEN npx cdk8s synth and npx meshproof check dist run THEN both succeed out of the box', () => {
  const synth = sh('npx', ['--no-install', 'cdk8s', 'synth'], team);
  assert.is(synth.status, 0, synth.output);
  assert.match(synth.output, /Validations ended succesfully/);
  assert.ok(fs.existsSync(path.join(team, 'dist/shop.k8s.yaml')), synth.output);
  assert.ok(fs.existsSync(path.join(team, '.meshproof/sourcemap.json')));
  assert.not.match(synth.output, /A new version|EAI_AGAIN|at .*_loadurl/);
  const check = sh('npx', ['--no-install', 'meshproof', 'check', 'dist'], team);
  assert.is(check.status, 0, check.output);
  assert.match(check.output, /No findings/);
});

test('GIVEN the synthesized scaffold WHEN the default workflow\'s check steps run (the installed package: npx meshproof check as SARIF and as annotations, npx meshproof verify) THEN each succeeds', () => {
  const workflow = fs.readFileSync(path.join(team, '.github/workflows/mesh-gate.yml'), 'utf8');
  const runs = [...workflow.matchAll(/^ {8}run: (npx meshproof .*)$/gm)].map((m) => m[1]!.replaceAll('$RUNNER_TEMP', work));
  assert.equal(runs.length, 3, workflow);
  for (const command of runs) {
    const args = command.split(' ').slice(1).map((a) => a.replace(/^"(.*)"$/, '$1'));
    const run = sh('npx', ['--no-install', ...args], team);
    assert.is(run.status, 0, `${command}\n${run.output}`);
  }
  assert.ok(JSON.parse(fs.readFileSync(path.join(work, 'meshproof.sarif'), 'utf8')).runs, 'the SARIF step wrote a SARIF log');
});

test('GIVEN a misspelled prop (timout) in apps/main.ts WHEN npx cdk8s synth runs THEN the type check fails it and dist/ stays as it was', () => {
  const before = snapshot(team, ['dist', '.meshproof/sourcemap.json']);
  const main = path.join(team, 'apps/main.ts');
  const source = fs.readFileSync(main, 'utf8');
  assert.ok(source.includes('timeout: Duration.seconds(2)'), 'the example app changed: update this test');
  fs.writeFileSync(main, source.replace('timeout: Duration.seconds(2)', "timout: '2s'"));
  const synth = sh('npx', ['--no-install', 'cdk8s', 'synth'], team);
  assert.is.not(synth.status, 0, synth.output);
  assert.match(synth.output, /apps\/main\.ts\(\d+,\d+\): error TS(2353|2561): Object literal may only specify known properties, .*'timout' does not exist/);
  assert.equal(snapshot(team, ['dist', '.meshproof/sourcemap.json']), before);
});

test.run();
