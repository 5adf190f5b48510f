/**
 * No command writes its output into dist/ (the folder cdk8s synth publishes and Argo CD syncs) or
 * into another folder it reads: the file would be read back as a manifest, synced to the cluster,
 * and deleted by the next synth. Each is a usage error (exit 2) naming the flag, the folder and a
 * place outside, before anything is read or written; `runtime synth` and `xds compile` already
 * refused theirs (test/runtime/synth-project.test.ts, test/xds/compile-cli.test.ts).
 */
import { cpSync, existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { inputHolding } from '../../src/cli/out-path.js';
import { captureIO, FIXTURES } from './_io.js';

const work = mkdtempSync(join(tmpdir(), 'meshproof-out-inside-'));

/** A fresh folder with dist/ (one clean VirtualService and its Service) and a second input folder, other/. */
function project(name: string): string {
  const dir = join(work, name);
  cpSync(join(FIXTURES, 'clean', 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(FIXTURES, 'clean', 'dist'), join(dir, 'other'), { recursive: true });
  return dir;
}

const CASES: [string, string[], string][] = [
  ['check -o dist/report.sarif', ['check', '--format', 'sarif', '-o', 'dist/report.sarif'],
    'meshproof: check: --output dist/report.sarif is inside dist/, the manifests it reads: the report would be read back as input by the next check and synced to the cluster with them; write it outside it, e.g. --output report.sarif\n'],
  ['check other -o other/r.json (an input folder)', ['check', 'other', '-o', 'other/r.json'],
    'meshproof: check: --output other/r.json is inside other, the manifests it reads: the report would be read back as input by the next check and synced to the cluster with them; write it outside it, e.g. --output r.json\n'],
  ['check other -o dist/r.json (dist/ not read, still synced)', ['check', 'other', '--output=dist/r.json'],
    'meshproof: check: --output dist/r.json is inside dist, the folder cdk8s synth publishes and Argo CD syncs: the report would be read back as input by the next check and synced to the cluster with them; write it outside it, e.g. --output r.json\n'],
  ['map --out dist/map.html', ['map', '--out', 'dist/map.html'],
    'meshproof: map: --out dist/map.html is inside dist, the manifests it reads: the page would be synced to the cluster with them and deleted by the next synth; write it outside it, e.g. --out map.html\n'],
  ['map other -o dist/map.html', ['map', 'other', '-o', 'dist/map.html'],
    'meshproof: map: --out dist/map.html is inside dist, the folder cdk8s synth publishes and Argo CD syncs: the page would be synced to the cluster with them and deleted by the next synth; write it outside it, e.g. --out map.html\n'],
  ['diff other dist -o dist/diff.md', ['diff', 'other', 'dist', '--format', 'markdown', '-o', 'dist/diff.md'],
    'meshproof: diff: --output dist/diff.md is inside dist, the manifests it reads: the diff would be read back as input by the next diff or check and synced to the cluster with them; write it outside it, e.g. --output diff.md\n'],
  ['verify -o dist/verify.json', ['verify', '--static-only', '--format', 'json', '-o', 'dist/verify.json'],
    'meshproof: verify: --output dist/verify.json is inside dist, the manifests it reads: the report would be read back as input by the next check and synced to the cluster with them; write it outside it, e.g. --output verify.json\n'],
];
for (const [name, argv, message] of CASES) {
  test(`GIVEN ${name} THEN exit 2 naming the flag, the folder and a place outside; nothing is written`, async () => {
    const dir = project(name.replace(/[^a-z]+/g, '-'));
    const c = captureIO(dir);
    assert.is(await main(argv, c.io), 2, c.stdout());
    assert.is(c.stderr().split('\n')[0] + '\n', message);
    assert.match(c.stderr(), /\nRun 'meshproof [a-z]+ --help' for usage\.\n$/);
    assert.equal(readdirSync(join(dir, 'dist')), ['mesh.yaml'], 'nothing written into dist/');
    assert.equal(readdirSync(join(dir, 'other')), ['mesh.yaml'], 'nothing written into other/');
  });
}

test('GIVEN the output beside dist/ (dist-report.sarif, report/) THEN written as before', async () => {
  const dir = project('outside');
  const c = captureIO(dir);
  assert.is(await main(['check', '--format', 'sarif', '-o', 'dist-report.sarif'], c.io), 0, c.stderr());
  assert.ok(existsSync(join(dir, 'dist-report.sarif')));
  const m = captureIO(dir);
  assert.is(await main(['map', 'other', '--out', 'map.html'], m.io), 0, m.stderr());
  assert.ok(existsSync(join(dir, 'map.html')));
});

test('GIVEN check . (the project folder) WHEN the report is report.txt or report.sarif THEN written (no folder walk reads it); report.json THEN refused, the place suggested outside the folder read', async () => {
  const dir = project('dot');
  for (const out of ['report.txt', 'report.sarif']) {
    const c = captureIO(dir);
    // dist/ and other/ hold the same objects, so findings (exit 1); what matters is no usage error and the file written.
    assert.is.not(await main(['check', '.', '--format', out.endsWith('.sarif') ? 'sarif' : 'text', '-o', out], c.io), 2, c.stderr());
    assert.ok(existsSync(join(dir, out)), out);
  }
  const j = captureIO(dir);
  assert.is(await main(['check', '.', '--format', 'json', '-o', 'report.json'], j.io), 2);
  assert.is(j.stderr().split('\n')[0], 'meshproof: check: --output report.json is inside ., the manifests it reads: the report would be read back as input by the next check and synced to the cluster with them; write it outside it, e.g. --output ../report.json');
  assert.not.ok(existsSync(join(dir, 'report.json')));
  const d = captureIO(dir);
  assert.is(await main(['check', 'other', '-o', 'dist/r.txt'], d.io), 2, 'dist/ stays refused for any file: it is synced and replaced by synth');
});

test('inputHolding: the folder itself or under it, never a sibling with the same prefix; stdin is no folder', () => {
  assert.is(inputHolding('/p/dist', ['dist'], '/p'), 'dist');
  assert.is(inputHolding('/p/dist/a/b.json', ['x', 'dist/'], '/p'), 'dist/');
  assert.is(inputHolding('/p/dist-report.json', ['dist'], '/p'), undefined);
  assert.is(inputHolding('/p/-', ['-'], '/p'), undefined);
});

const FILE_CASES: [string, (dir: string) => string[], string][] = [
  ['check dist/mesh.yaml -o dist/mesh.yaml (the input file itself)', () => ['check', 'dist/mesh.yaml', '-o', 'dist/mesh.yaml'],
    'meshproof: check: --output dist/mesh.yaml is dist/mesh.yaml, a manifest check reads (the same file): writing would replace it; write it to another file, e.g. --output mesh.check-output.yaml\n'],
  ['check other/mesh.yaml -o link.yaml (a symlink to the input file)', (dir) => { symlinkSync(join(dir, 'other', 'mesh.yaml'), join(dir, 'link.yaml')); return ['check', 'other/mesh.yaml', '-o', 'link.yaml']; },
    'meshproof: check: --output link.yaml is other/mesh.yaml, a manifest check reads (the same file through a symlink): writing would replace it; write it to another file, e.g. --output link.check-output.yaml\n'],
  ['map other/mesh.yaml --out other/mesh.yaml', () => ['map', 'other/mesh.yaml', '--out', 'other/mesh.yaml'],
    'meshproof: map: --out other/mesh.yaml is other/mesh.yaml, a manifest map reads (the same file): writing would replace it; write it to another file, e.g. --out mesh.map-output.yaml\n'],
  ['check linked -o linked/r.json (a symlink to an input folder)', (dir) => { symlinkSync(join(dir, 'other'), join(dir, 'linked')); return ['check', 'other', '-o', 'linked/r.json']; },
    'meshproof: check: --output linked/r.json is inside other, the manifests it reads: the report would be read back as input by the next check and synced to the cluster with them; write it outside it, e.g. --output r.json\n'],
];
for (const [name, argv, message] of FILE_CASES) {
  test(`GIVEN ${name} THEN exit 2 naming the input file and another file; the manifest is untouched`, async () => {
    const dir = project(name.replace(/[^a-z]+/g, '-'));
    const before = readFileSync(join(dir, 'other', 'mesh.yaml'), 'utf8');
    const args = argv(dir);
    const c = captureIO(dir);
    assert.is(await main(args, c.io), 2, c.stdout());
    assert.is(c.stderr().split('\n')[0] + '\n', message);
    assert.is(readFileSync(join(dir, 'other', 'mesh.yaml'), 'utf8'), before);
    assert.is(readFileSync(join(dir, 'dist', 'mesh.yaml'), 'utf8'), before);
    if (existsSync(join(dir, 'link.yaml'))) assert.ok(lstatSync(join(dir, 'link.yaml')).isSymbolicLink(), 'the link is not replaced');
  });
}

test('inputHolding: through symlinks, an output that is a link to an input file or inside a linked folder', () => {
  const dir = project('holding-links');
  symlinkSync(join(dir, 'dist', 'mesh.yaml'), join(dir, 'l.yaml'));
  assert.is(inputHolding(join(dir, 'l.yaml'), ['dist/mesh.yaml'], dir), 'dist/mesh.yaml');
  assert.is(inputHolding(join(dir, 'l2.yaml'), ['dist/mesh.yaml'], dir), undefined);
});

test.run();
