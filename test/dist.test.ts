import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cdk8sSynth, copyProject, listFiles, ROOT } from './_project.js';

const root = ROOT;

/** Runs the real `cdk8s synth` on a copy of the project and returns the copy's root. */
function freshSynth(): string {
  const work = copyProject();
  const run = cdk8sSynth(work);
  assert.is(run.status, 0, `cdk8s synth failed:\n${run.output}`);
  assert.match(run.output, /Validations ended succesfully/);
  assert.match(run.output, /meshproof: published dist\/, \.meshproof\/sourcemap\.json and \.meshproof\/expectations\.json \(commit them together\)/);
  return work;
}

/** The files that differ between two output folders (missing on either side counts). */
function differences(a: string, b: string): string[] {
  const files = [...new Set([...listFiles(a), ...listFiles(b)])].sort();
  return files.filter((f) => {
    const pa = path.join(a, f);
    const pb = path.join(b, f);
    return !fs.existsSync(pa) || !fs.existsSync(pb) || !fs.readFileSync(pa).equals(fs.readFileSync(pb));
  });
}

const work = freshSynth();

test('GIVEN the committed dist/ WHEN cdk8s synth runs on a fresh copy THEN it writes the same files, byte for byte', () => {
  assert.ok(listFiles(path.join(root, 'dist')).length > 0, 'dist/ is empty');
  const stale = differences(path.join(root, 'dist'), path.join(work, 'dist'));
  assert.equal(stale, [], `dist/ differs from a fresh synth in ${stale.join(', ')}: run \`npx cdk8s synth\` and commit dist/`);
});

test('GIVEN the committed source map WHEN cdk8s synth runs on a fresh copy THEN it is the same', () => {
  const a = fs.readFileSync(path.join(root, '.meshproof/sourcemap.json'), 'utf8');
  const b = fs.readFileSync(path.join(work, '.meshproof/sourcemap.json'), 'utf8');
  assert.ok(a === b, '.meshproof/sourcemap.json is stale: run `npx cdk8s synth` and commit it');
});

test('GIVEN dist/ WHEN listed THEN it holds only manifests Argo CD should apply', () => {
  for (const file of listFiles(path.join(root, 'dist'))) {
    assert.match(file, /^[a-z0-9-]+\.k8s\.yaml$/, `unexpected file in dist/: ${file}`);
  }
});

test('GIVEN a dist/ with one edited and one extra file WHEN compared with a fresh synth THEN both are reported', () => {
  const tampered = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-tampered-'));
  fs.cpSync(path.join(work, 'dist'), tampered, { recursive: true });
  fs.appendFileSync(path.join(tampered, 'bookinfo.k8s.yaml'), '# hand edit\n');
  fs.writeFileSync(path.join(tampered, 'construct-metadata.json'), '{}');
  assert.equal(differences(tampered, path.join(work, 'dist')), ['bookinfo.k8s.yaml', 'construct-metadata.json']);
  fs.rmSync(tampered, { recursive: true, force: true });
});

test.after(() => fs.rmSync(work, { recursive: true, force: true }));

test.run();
