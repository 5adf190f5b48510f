import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cdk8sSynth, copyProject, ROOT, snapshot } from './_project.js';

/**
 * `cdk8s synth` cannot lie or lose output: each failure below leaves the committed dist/ and
 * .meshproof/sourcemap.json exactly as they were, and no stage behind. One copy of the project
 * serves every case; apps/ is restored after each.
 */
const work = copyProject(true);
const PUBLISHED = ['dist', '.meshproof/sourcemap.json'];
const before = snapshot(work, PUBLISHED);
const originals = new Map<string, string>();
/**
 * Skips the type check where a case is not about it (the check costs seconds), and runs tsx from
 * the project's node_modules/.bin rather than through npx (another node start-up per synth).
 */
const NO_TSC = ['--app', 'node_modules/.bin/tsx apps/main.ts'];

function edit(file: string, change: (text: string) => string): void {
  const full = path.join(work, file);
  if (!originals.has(file)) originals.set(file, fs.readFileSync(full, 'utf8'));
  const text = fs.readFileSync(full, 'utf8');
  const changed = change(text);
  assert.is.not(changed, text, `the edit of ${file} changed nothing`);
  fs.writeFileSync(full, changed);
}

function assertUnchanged(output: string): void {
  assert.equal(snapshot(work, PUBLISHED), before, `dist/ or the source map changed:\n${output}`);
  assert.equal(fs.readdirSync(path.join(work, '.meshproof')), ['sourcemap.json'], 'a stage, journal or backup was left behind');
  assert.equal(fs.readdirSync(work).filter((f) => /staging|\.tmp/.test(f)), []);
}

test.after.each(() => {
  for (const [file, text] of originals) fs.writeFileSync(path.join(work, file), text);
  originals.clear();
});
test.after(() => fs.rmSync(work, { recursive: true, force: true }));

test('GIVEN the committed dist/ and source map WHEN copied THEN the fixture holds both', () => {
  assert.ok(Object.keys(before).some((f) => f.startsWith('dist/')));
  assert.ok('.meshproof/sourcemap.json' in before);
});

/** Adds to apps/main.ts a VirtualService in the customers chart routing to a host that does not exist (`custmers`). */
function addTypoRoute(): void {
  edit('apps/main.ts', (t) => t.replace('app.synth();', [
    "import { ApiObject } from 'cdk8s';",
    "new ApiObject(app.node.findChild('customers') as never, 'typo-route', {",
    "  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'typo', namespace: 'customers' },",
    "  spec: { hosts: ['typo'], http: [{ route: [{ destination: { host: 'custmers' } }] }] },",
    '});',
    'app.synth();',
  ].join('\n')));
}

test('GIVEN a route to a host that does not exist WHEN cdk8s synth runs THEN the plugin fails it with rule, construct path and TS line, and dist/ is unchanged', () => {
  addTypoRoute();
  const run = cdk8sSynth(work, ...NO_TSC);
  assert.is(run.status, 2, `synth should fail validation:\n${run.output}`);
  assert.match(run.output, /references\/destination-host-exists \(IST0101\)/);
  assert.match(run.output, /Construct Path: customers\/typo-route/);
  assert.match(run.output, /dist\/customers\.k8s\.yaml:\d+:\d+ \(apps\/main\.ts:\d+\) Referenced destination host not found: "custmers"/);
  assert.match(run.output, /meshproof: synth failed; dist\/ and \.meshproof\/sourcemap\.json are unchanged/);
  assertUnchanged(run.output);
});

test('GIVEN a project with meshproof.config.yaml and a route to a host that does not exist WHEN cdk8s synth runs THEN the finding shows the published dist/ path and TS line, never the stage folder', () => {
  fs.writeFileSync(path.join(work, 'meshproof.config.yaml'), 'profile: recommended\n');
  try {
    addTypoRoute();
    const run = cdk8sSynth(work, ...NO_TSC);
    assert.is(run.status, 2, `synth should fail validation:\n${run.output}`);
    assert.match(run.output, /error dist\/customers\.k8s\.yaml:\d+:\d+ \(apps\/main\.ts:\d+\) Referenced destination host not found/);
    // cdk8s-cli lists the files it staged; every path meshproof reports is the published one.
    assert.not.match(run.output, /\.meshproof\/synth\/dist\/\S+:\d+|Manifest Path: \.meshproof/);
    assertUnchanged(run.output);
  } finally {
    fs.rmSync(path.join(work, 'meshproof.config.yaml'));
  }
});

test('GIVEN a misspelled prop (timout) in apps/ WHEN cdk8s synth runs THEN the type check fails it at the file and line, and dist/ is unchanged', () => {
  edit('apps/customers.ts', (t) => t.replace('timeout: Duration.seconds(5)', 'timout: Duration.seconds(5)'));
  const run = cdk8sSynth(work);
  assert.is.not(run.status, 0, run.output);
  assert.match(run.output, /apps\/customers\.ts\(\d+,\d+\): error TS(2353|2561): Object literal may only specify known properties, .*'timout' does not exist/);
  assertUnchanged(run.output);
});

test('GIVEN an app that throws WHEN cdk8s synth runs THEN it fails with the error and dist/ is unchanged', () => {
  edit('apps/main.ts', (t) => t.replace("new Platform(app, 'platform');", "new Platform(app, 'platform');\nthrow new Error('boom in the app');"));
  const run = cdk8sSynth(work, ...NO_TSC);
  assert.is.not(run.status, 0, run.output);
  assert.match(run.output, /boom in the app/);
  assertUnchanged(run.output);
});

test('GIVEN cdk8s synth --output out WHEN it runs THEN out/ gets the manifests and the project source map is not rewritten', () => {
  const run = cdk8sSynth(work, ...NO_TSC, '--output', 'out');
  assert.is(run.status, 0, run.output);
  const out = Object.keys(snapshot(work, ['out']));
  assert.equal(out, Object.keys(before).filter((f) => f.startsWith('dist/')).map((f) => f.replace(/^dist/, 'out')));
  assertUnchanged(run.output);
  fs.rmSync(path.join(work, 'out'), { recursive: true, force: true });
});

test('GIVEN a synth killed after the app staged its output WHEN the next synth runs (--no-validate) THEN dist/ was never touched and the next synth publishes and cleans up', async () => {
  edit('apps/main.ts', (t) => t.replace('app.synth();', 'app.synth();\nAtomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);'));
  const child = spawn(path.join(ROOT, 'node_modules/.bin/cdk8s'), ['synth', '--check-upgrade', 'false', ...NO_TSC], { cwd: work, detached: true, stdio: 'ignore' });
  const sealed = path.join(work, '.meshproof/synth/stage.json');
  const deadline = Date.now() + 120_000;
  while (!fs.existsSync(sealed) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.ok(fs.existsSync(sealed), 'the app never staged its output');
  process.kill(-child.pid!, 'SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.equal(snapshot(work, PUBLISHED), before, 'a killed synth changed dist/');

  for (const [file, text] of originals) fs.writeFileSync(path.join(work, file), text);
  const run = cdk8sSynth(work, ...NO_TSC, '--no-validate');
  assert.is(run.status, 0, run.output);
  assert.not.match(run.output, /No manifests synthesized/);
  assert.equal(snapshot(work, PUBLISHED), before, 'the next synth should publish the same output');
  assert.equal(fs.readdirSync(path.join(work, '.meshproof')).filter((f) => f !== 'synth').sort(), ['expectations.json', 'sourcemap.json']);
});

test.run();
