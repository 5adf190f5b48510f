/**
 * The summary's file count is every file check opened, also those refused before parsing
 * (binary, not UTF-8): "in 2 files" when a good and a binary file were given.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { loadInputs } from '../../src/mesh/load.js';
import { captureIO } from './_io.js';

const SERVICE = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  namespace: shop\nspec:\n  ports:\n    - name: http\n      port: 80\n';

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-files-read-'));
  writeFileSync(join(dir, 'good.yaml'), SERVICE);
  writeFileSync(join(dir, 'bin.yaml'), Buffer.from([0, 1, 2, 0xff, 0xfe, 0x41]));
  writeFileSync(join(dir, 'latin1.yaml'), Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n', 'latin1'));
  return dir;
}

test('GIVEN a manifest, a binary file and a Latin-1 file WHEN loaded THEN one file is parsed and three were read', async () => {
  const dir = project();
  try {
    const r = await loadInputs(['good.yaml', 'bin.yaml', 'latin1.yaml'], { cwd: dir });
    assert.equal([r.files.length, r.filesRead], [1, 3]);
    assert.equal(r.problems.map((p) => p.code), ['input/binary', 'input/binary']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a good file and a binary one WHEN checked THEN the summary says 2 files', async () => {
  const dir = project();
  try {
    const c = captureIO(dir);
    assert.is(await main(['check', 'good.yaml', 'bin.yaml'], c.io), 2);
    assert.match(c.stdout(), /\n1 error, 0 warnings, 0 info in 2 files \(1 object, \d+ rules\)\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a folder with a good file and a dangling symlink, and a dangling symlink given directly WHEN checked THEN each link counts as a file refused before parsing', async () => {
  const dir = project();
  try {
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'good.yaml'), SERVICE);
    symlinkSync(join(dir, 'gone.yaml'), join(dir, 'dist', 'dangling.yaml'));
    symlinkSync(join(dir, 'gone2.yaml'), join(dir, 'direct.yaml'));
    const r = await loadInputs(['dist', 'direct.yaml'], { cwd: dir });
    assert.equal([r.files.length, r.filesRead], [1, 3]);
    assert.equal(r.problems.map((p) => p.code), ['input/unreadable', 'input/unreadable']);
    const c = captureIO(dir);
    assert.is(await main(['check', 'dist'], c.io), 2);
    assert.match(c.stdout(), /\n1 error, 0 warnings, 0 info in 2 files \(1 object, \d+ rules\)\n$/);
    const missing = await loadInputs(['nope.yaml'], { cwd: dir });
    assert.is(missing.filesRead, 0, 'a path that does not exist is no file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
