/**
 * `meshproof map` refuses what `meshproof check` refuses: an output folder that does not exist
 * (it is not created behind the user's back) and input without a Kubernetes object (exit 2,
 * unless `--allow-empty`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { ROOT } from '../_project.js';
import { captureIO } from '../cli/_io.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-map-errors-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('GIVEN --out in a folder that does not exist WHEN meshproof map runs THEN exit 2 naming the folder, as check -o does, and nothing is created', async () => {
  const out = path.join(dir, 'nonexistent', 'dir', 'm.html');
  const c = captureIO(ROOT);
  assert.is(await main(['map', 'dist', '--out', out], c.io), 2);
  assert.match(c.stderr(), `--out ${out}: the folder ${path.dirname(out)} does not exist; create it first`);
  assert.not.ok(fs.existsSync(path.join(dir, 'nonexistent')));
  const check = captureIO(ROOT);
  assert.is(await main(['check', 'dist', '--output', out], check.io), 2, 'check refuses the same folder');
});

test('GIVEN a folder with no Kubernetes object WHEN meshproof map runs THEN exit 2 saying so and no page; with --allow-empty an empty map is written', async () => {
  fs.mkdirSync(path.join(dir, 'empty'));
  fs.writeFileSync(path.join(dir, 'empty', 'notes.yaml'), '# nothing here\n');
  const out = path.join(dir, 'map.html');
  const c = captureIO(dir);
  assert.is(await main(['map', 'empty', '--out', out], c.io), 2);
  assert.match(c.stderr(), 'map: no Kubernetes objects in empty (1 file read), so there is nothing to map and no page was written');
  assert.match(c.stderr(), '--allow-empty');
  assert.not.ok(fs.existsSync(out));
  const allowed = captureIO(dir);
  assert.is(await main(['map', 'empty', '--out', out, '--allow-empty'], allowed.io), 0, allowed.stderr());
  assert.match(allowed.stderr(), '0 hosts, 0 routes written');
  assert.ok(fs.existsSync(out));
});

test.run();
