import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promote, recoverPromotion, sealStage } from '../../src/app/promote.js';

function project(): { root: string; stage: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-promote-'));
  fs.mkdirSync(path.join(root, 'dist'));
  fs.writeFileSync(path.join(root, 'dist/a.k8s.yaml'), 'old\n');
  fs.mkdirSync(path.join(root, '.meshproof'));
  fs.writeFileSync(path.join(root, '.meshproof/sourcemap.json'), 'old map\n');
  fs.writeFileSync(path.join(root, '.meshproof/expectations.json'), 'old promises\n');
  const stage = path.join(root, '.meshproof/synth');
  fs.mkdirSync(path.join(stage, 'dist'), { recursive: true });
  fs.mkdirSync(path.join(stage, '.meshproof'), { recursive: true });
  fs.writeFileSync(path.join(stage, 'dist/a.k8s.yaml'), 'new\n');
  fs.writeFileSync(path.join(stage, '.meshproof/sourcemap.json'), 'new map\n');
  fs.writeFileSync(path.join(stage, '.meshproof/expectations.json'), 'new promises\n');
  sealStage(stage, { outdir: 'dist', sourceMap: true });
  return { root, stage };
}

const read = (root: string, f: string) => fs.readFileSync(path.join(root, f), 'utf8');

test('GIVEN a staged synth with expectations WHEN promoted THEN dist/, the source map and the expectations are replaced together', () => {
  const { root, stage } = project();
  try {
    promote(root, stage);
    assert.equal([read(root, 'dist/a.k8s.yaml'), read(root, '.meshproof/sourcemap.json'), read(root, '.meshproof/expectations.json')], ['new\n', 'new map\n', 'new promises\n']);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

for (const step of [1, 2, 3]) {
  test(`GIVEN a promotion that dies after step ${step} WHEN recovered THEN the previous expectations are back with the previous dist/`, () => {
    const { root, stage } = project();
    try {
      assert.throws(() => promote(root, stage, { afterStep: (s) => { if (s === step) throw new Error('killed'); } }), /killed/);
      assert.ok(recoverPromotion(root));
      assert.equal([read(root, 'dist/a.k8s.yaml'), read(root, '.meshproof/sourcemap.json'), read(root, '.meshproof/expectations.json')], ['old\n', 'old map\n', 'old promises\n']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
}

test.run();
