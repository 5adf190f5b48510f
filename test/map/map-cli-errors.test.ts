/**
 * `meshproof map` treats its output as `meshproof check` does: folders of `--out` that do not exist
 * are made when the page is written (never when the run fails first), and input without a
 * Kubernetes object is refused (exit 2, unless `--allow-empty`).
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

test('GIVEN --out in a folder that does not exist WHEN meshproof map runs THEN the folders are made and the page written, as check -o does; when the run fails first nothing is made', async () => {
  const out = path.join(dir, 'nonexistent', 'dir', 'm.html');
  const c = captureIO(ROOT);
  assert.is(await main(['map', 'dist', '--out', out], c.io), 0, c.stderr());
  assert.match(fs.readFileSync(out, 'utf8'), /<html/i);
  fs.mkdirSync(path.join(dir, 'no-objects'));
  const failed = captureIO(ROOT);
  assert.is(await main(['map', path.join(dir, 'no-objects'), '--out', path.join(dir, 'never', 'm.html')], failed.io), 2);
  assert.not.ok(fs.existsSync(path.join(dir, 'never')), 'a run that writes nothing makes no folder');
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

test('GIVEN an input path that does not exist, or no path from a subfolder of a project WHEN meshproof map runs THEN a usage error as check gives (no made-up line 1), naming the project folder above; one host and one route are counted in the singular', async () => {
  const c = captureIO(dir);
  assert.is(await main(['map', 'nope', '--out', path.join(dir, 'nope.html')], c.io), 2);
  assert.is(c.stderr(), "meshproof: path not found: nope\nRun 'meshproof map --help' for usage.\n");
  const project = path.join(dir, 'project');
  fs.mkdirSync(path.join(project, 'apps'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'test/fixtures/cli/clean/dist'), path.join(project, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(project, 'cdk8s.yaml'), 'app: npx tsx apps/main.ts\n');
  const sub = captureIO(path.join(project, 'apps'));
  assert.is(await main(['map', '--out', path.join(dir, 'sub.html')], sub.io), 2);
  assert.match(sub.stderr(), /the default dist\/ does not exist in \S+apps; the project folder \.\. has one: run the command there \(cd \.\.\) or pass \.\.\/dist/);
  assert.not.match(sub.stderr(), /dist:1/);
  const one = captureIO(dir);
  fs.mkdirSync(path.join(dir, 'one'));
  fs.writeFileSync(path.join(dir, 'one', 'vs.yaml'), 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r, namespace: shop}\nspec:\n  hosts: [r]\n  http:\n  - route:\n    - destination: {host: r}\n');
  assert.is(await main(['map', 'one', '--out', path.join(dir, 'one.html')], one.io), 0, one.stderr());
  assert.match(one.stderr(), /map: 1 host, 1 route written/);
});

test.run();
