import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promote, recoverPromotion, removedNotice, sealStage, STAGE_DIR } from '../src/app/promote.js';
import { MeshApp } from '../src/app/mesh-app.js';
import { planSynth } from '../src/app/synth-plan.js';
import { Chart } from 'cdk8s';
import { listFiles } from './_project.js';

/** Every file under `root` with its content: the whole observable state of a project. */
function snapshot(root: string): Record<string, string> {
  return Object.fromEntries(listFiles(root).map((f) => [f, fs.readFileSync(path.join(root, f), 'utf8')]));
}

/** A project with a previous synth (unless `fresh`) and a sealed stage holding a new one. */
function project(fresh = false): { root: string; stage: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-promote-'));
  if (!fresh) {
    fs.mkdirSync(path.join(root, 'dist'));
    fs.writeFileSync(path.join(root, 'dist', 'old.k8s.yaml'), 'old: 1\n');
    fs.mkdirSync(path.join(root, '.meshproof'));
    fs.writeFileSync(path.join(root, '.meshproof', 'sourcemap.json'), '{"version":1,"objects":{"dist/old.k8s.yaml#0":{}}}\n');
  }
  const stage = path.join(root, STAGE_DIR);
  fs.mkdirSync(path.join(stage, 'dist'), { recursive: true });
  fs.mkdirSync(path.join(stage, '.meshproof'));
  fs.writeFileSync(path.join(stage, 'dist', 'new.k8s.yaml'), 'new: 2\n');
  fs.writeFileSync(path.join(stage, '.meshproof', 'sourcemap.json'), '{"version":1,"objects":{"dist/new.k8s.yaml#0":{}}}\n');
  sealStage(stage, { outdir: 'dist', sourceMap: true });
  return { root, stage };
}

const OLD = {
  '.meshproof/sourcemap.json': '{"version":1,"objects":{"dist/old.k8s.yaml#0":{}}}\n',
  'dist/old.k8s.yaml': 'old: 1\n',
};
const NEW = {
  '.meshproof/sourcemap.json': '{"version":1,"objects":{"dist/new.k8s.yaml#0":{}}}\n',
  'dist/new.k8s.yaml': 'new: 2\n',
};

/** The project without the stage (a killed process leaves it; the next synth empties it). */
function published(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(snapshot(root)).filter(([f]) => !f.startsWith(`${STAGE_DIR}/`)));
}

test('GIVEN a sealed stage WHEN promoted THEN dist/ and the source map are replaced together and nothing else is left', () => {
  const { root, stage } = project();
  promote(root, stage);
  assert.equal(snapshot(root), NEW);
  fs.rmSync(root, { recursive: true, force: true });
});

for (const step of [1, 2, 3]) {
  test(`GIVEN a promotion killed after step ${step} WHEN the next synth recovers THEN the previous dist/ and source map are back exactly`, () => {
    const { root, stage } = project();
    assert.throws(() => promote(root, stage, { afterStep: (n) => { if (n === step) throw new Error(`killed after ${n}`); } }), /killed/);
    assert.ok(recoverPromotion(root), 'a journal was left to roll back');
    assert.equal(published(root), OLD);
    fs.rmSync(root, { recursive: true, force: true });
  });
}

test('GIVEN a promotion killed after its commit point WHEN recovered THEN the new output stays and leftovers go', () => {
  const { root, stage } = project();
  assert.throws(() => promote(root, stage, { afterStep: (n) => { if (n === 4) throw new Error('killed'); } }));
  assert.not.ok(recoverPromotion(root));
  assert.equal(published(root), NEW);
  fs.rmSync(root, { recursive: true, force: true });
});

test('GIVEN a first synth (no dist/ yet) killed mid-promotion WHEN recovered THEN there is still no dist/ and no source map', () => {
  const { root, stage } = project(true);
  assert.throws(() => promote(root, stage, { afterStep: (n) => { if (n === 3) throw new Error('killed'); } }));
  recoverPromotion(root);
  assert.equal(published(root), {});
  fs.rmSync(root, { recursive: true, force: true });
});

test('GIVEN a stage that was never sealed (app died while writing) WHEN promoted THEN it refuses and the project is unchanged', () => {
  const { root, stage } = project();
  fs.rmSync(path.join(stage, 'stage.json'));
  assert.throws(() => promote(root, stage), /holds no complete synth/);
  assert.equal(published(root), OLD);
  fs.rmSync(root, { recursive: true, force: true });
});

test('GIVEN keepStage WHEN promoted THEN the project gets the new output and the stage still lists it for cdk8s', () => {
  const { root, stage } = project();
  promote(root, stage, { keepStage: true });
  assert.equal(published(root), NEW);
  assert.ok(fs.existsSync(path.join(stage, 'dist', 'new.k8s.yaml')));
  assert.not.ok(fs.existsSync(path.join(root, '.meshproof', 'incoming')));
  fs.rmSync(root, { recursive: true, force: true });
});

const ROOT = path.join(os.tmpdir(), 'plan-root');
const withPlugin = () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-plan-'));
  fs.writeFileSync(path.join(root, 'cdk8s.yaml'), 'app: x\noutput: .meshproof/synth\nvalidations:\n  - package: ./p\n    class: MeshproofValidation\n    version: 0.1.0\n');
  return root;
};

test('GIVEN the app run directly WHEN planned THEN it stages and publishes itself', () => {
  assert.equal(planSynth({ root: ROOT, outdir: 'dist', env: {} }), { mode: 'project', root: ROOT, stageRoot: path.join(ROOT, STAGE_DIR), outdir: 'dist', publish: 'app', underCdk8s: false });
});

test('GIVEN cdk8s synth with meshproof validation WHEN planned THEN the plugin publishes after the checks', () => {
  const root = withPlugin();
  const plan = planSynth({ root, outdir: 'dist', env: { CDK8S_OUTDIR: '.meshproof/synth', CDK8S_RECORD_CONSTRUCT_METADATA: 'true' } });
  assert.is(plan.mode === 'project' && plan.publish, 'plugin');
  fs.rmSync(root, { recursive: true, force: true });
});

test('GIVEN cdk8s synth --no-validate, or validations without meshproof WHEN planned THEN the app publishes and keeps the stage for cdk8s', () => {
  const root = withPlugin();
  const noValidate = planSynth({ root, outdir: 'dist', env: { CDK8S_OUTDIR: '.meshproof/synth', CDK8S_RECORD_CONSTRUCT_METADATA: 'false' } });
  assert.ok(noValidate.mode === 'project' && noValidate.publish === 'app' && noValidate.underCdk8s);
  fs.writeFileSync(path.join(root, 'cdk8s.yaml'), 'validations:\n  - package: other\n    class: Kubeconform\n    version: 1.0.0\n');
  const other = planSynth({ root, outdir: 'dist', env: { CDK8S_OUTDIR: path.join(root, '.meshproof/synth'), CDK8S_RECORD_CONSTRUCT_METADATA: 'true' } });
  assert.ok(other.mode === 'project' && other.publish === 'app');
  fs.rmSync(root, { recursive: true, force: true });
});

test('GIVEN cdk8s synth --output out or --stdout WHEN planned THEN it exports there and leaves dist/ and the source map alone', () => {
  assert.equal(planSynth({ root: ROOT, outdir: 'dist', env: { CDK8S_OUTDIR: 'out' } }), { mode: 'export', root: ROOT, outdir: path.join(ROOT, 'out') });
  assert.equal(planSynth({ root: ROOT, outdir: 'dist', env: { CDK8S_OUTDIR: '/tmp/cdk8s-xyz' } }).mode, 'export');
});

test('GIVEN an outdir outside the project or inside .meshproof WHEN planned THEN it is refused naming the value', () => {
  assert.throws(() => planSynth({ root: ROOT, outdir: '../elsewhere', env: {} }), /^MeshApp: outdir is "\.\.\/elsewhere"; expected a folder inside the project root/);
  assert.throws(() => planSynth({ root: ROOT, outdir: '.', env: {} }), /outdir is "\."/);
  assert.throws(() => planSynth({ root: ROOT, outdir: '.meshproof/out', env: {} }), /not the root itself or \.meshproof/);
});

test('GIVEN an old cdk8s.yaml with output: dist WHEN the app synthesizes THEN it writes there and says how to make the synth safe', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-export-'));
  const saved = process.env['CDK8S_OUTDIR'];
  const write = process.stderr.write;
  let stderr = '';
  process.env['CDK8S_OUTDIR'] = path.join(root, 'dist');
  process.stderr.write = ((t: string) => ((stderr += t), true)) as typeof process.stderr.write;
  try {
    const app = new MeshApp({ root });
    new Chart(app, 'one');
    app.synth();
  } finally {
    process.stderr.write = write;
    if (saved === undefined) delete process.env['CDK8S_OUTDIR'];
    else process.env['CDK8S_OUTDIR'] = saved;
  }
  assert.match(stderr, /cdk8s writes straight into dist\/ .*set `output: \.meshproof\/synth` in cdk8s\.yaml/);
  assert.equal(listFiles(root), ['dist/one.k8s.yaml']);
  fs.rmSync(root, { recursive: true, force: true });
});

test('GIVEN dist/ holding files the synth does not write (a hand-written kustomization.yaml, notes in a subfolder) WHEN promoted THEN they are gone and the result names each, as the app says on stderr', () => {
  const { root, stage } = project();
  fs.writeFileSync(path.join(root, 'dist', 'kustomization.yaml'), 'resources: []\n');
  fs.mkdirSync(path.join(root, 'dist', 'docs'));
  fs.writeFileSync(path.join(root, 'dist', 'docs', 'notes.md'), '# notes\n');
  fs.writeFileSync(path.join(stage, 'dist', 'old.k8s.yaml'), 'old: 2\n');
  const { removed } = promote(root, stage);
  assert.equal(removed, ['dist/docs/notes.md', 'dist/kustomization.yaml'], 'old.k8s.yaml was written again: not removed');
  assert.not.ok(fs.existsSync(path.join(root, 'dist', 'kustomization.yaml')));
  assert.is(removedNotice('dist', removed), 'meshproof: removed 2 files from dist/ that the synth did not write: dist/docs/notes.md, dist/kustomization.yaml. dist/ holds only what the app synthesizes (it is replaced whole); keep other files outside it (git has the removed ones)');
  assert.is(removedNotice('dist', []), undefined);
  fs.rmSync(root, { recursive: true, force: true });
});

test('GIVEN a project whose dist/ holds a file the app does not synthesize WHEN the app synthesizes THEN stderr names the removed file', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-removed-'));
  fs.mkdirSync(path.join(root, 'dist'));
  fs.writeFileSync(path.join(root, 'dist', 'README.md'), 'hand-written\n');
  const saved = process.env['CDK8S_OUTDIR'];
  const write = process.stderr.write;
  let stderr = '';
  delete process.env['CDK8S_OUTDIR'];
  process.stderr.write = ((t: string) => ((stderr += t), true)) as typeof process.stderr.write;
  try {
    const app = new MeshApp({ root, sourceMap: false });
    new Chart(app, 'one');
    app.synth();
  } finally {
    process.stderr.write = write;
    if (saved !== undefined) process.env['CDK8S_OUTDIR'] = saved;
  }
  assert.match(stderr, /meshproof: removed 1 file from dist\/ that the synth did not write: dist\/README\.md\./);
  assert.equal(listFiles(root).filter((f) => f.startsWith('dist/')), ['dist/one.k8s.yaml']);
  fs.rmSync(root, { recursive: true, force: true });
});

/** A project whose dist/ is a symlink to a folder outside it (a deploy repository's checkout) holding the previous synth. */
function linkedProject(): { root: string; stage: string; elsewhere: string } {
  const { root, stage } = project();
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-deploy-'));
  fs.renameSync(path.join(root, 'dist'), path.join(elsewhere, 'dist'));
  fs.symlinkSync(path.join(elsewhere, 'dist'), path.join(root, 'dist'));
  return { root, stage, elsewhere };
}

test('GIVEN dist/ is a symlink to a folder elsewhere WHEN promoted THEN the link stays a link and its target holds the new output, nothing else left beside it', () => {
  const { root, stage, elsewhere } = linkedProject();
  const result = promote(root, stage);
  assert.ok(fs.lstatSync(path.join(root, 'dist')).isSymbolicLink(), 'dist is still a symlink');
  assert.is(fs.readlinkSync(path.join(root, 'dist')), path.join(elsewhere, 'dist'));
  assert.equal(fs.readdirSync(path.join(elsewhere, 'dist')), ['new.k8s.yaml']);
  assert.equal(fs.readdirSync(elsewhere), ['dist']);
  assert.equal(result.removed, ['dist/old.k8s.yaml']);
  assert.is(fs.readFileSync(path.join(root, '.meshproof', 'sourcemap.json'), 'utf8'), NEW['.meshproof/sourcemap.json']);
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(elsewhere, { recursive: true, force: true });
});

for (const step of [1, 2, 3]) {
  test(`GIVEN a symlinked dist/ and a promotion killed after step ${step} WHEN recovered THEN the link and its target's previous content are back exactly`, () => {
    const { root, stage, elsewhere } = linkedProject();
    assert.throws(() => promote(root, stage, { afterStep: (n) => { if (n === step) throw new Error(`killed after ${n}`); } }), /killed/);
    assert.ok(recoverPromotion(root));
    assert.ok(fs.lstatSync(path.join(root, 'dist')).isSymbolicLink());
    assert.equal(fs.readdirSync(elsewhere), ['dist']);
    assert.equal(fs.readdirSync(path.join(elsewhere, 'dist')), ['old.k8s.yaml']);
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(elsewhere, { recursive: true, force: true });
  });
}

test('GIVEN dist/ is a dangling symlink WHEN promoted THEN its target is created with the output and the link kept', () => {
  const { root, stage, elsewhere } = linkedProject();
  fs.rmSync(path.join(elsewhere, 'dist'), { recursive: true });
  promote(root, stage);
  assert.ok(fs.lstatSync(path.join(root, 'dist')).isSymbolicLink());
  assert.equal(fs.readdirSync(path.join(elsewhere, 'dist')), ['new.k8s.yaml']);
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(elsewhere, { recursive: true, force: true });
});

test.run();
