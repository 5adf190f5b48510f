import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadInputs } from '../../../src/mesh/load.js';

const root = mkdtempSync(path.join(tmpdir(), 'meshproof-sm-'));
const svc = (name: string) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n`;
mkdirSync(path.join(root, '.meshproof'));
mkdirSync(path.join(root, 'dist'));
mkdirSync(path.join(root, 'other'));
writeFileSync(path.join(root, 'dist', '0000-app.k8s.yaml'), `${svc('a')}---\n${svc('b')}`);
writeFileSync(
  path.join(root, '.meshproof', 'sourcemap.json'),
  JSON.stringify({ version: 1, objects: { 'dist/0000-app.k8s.yaml#1': { constructPath: 'app/b/service', file: 'apps/app.ts', line: 42 } } }),
);
writeFileSync(path.join(root, 'other', 'x.yaml'), svc('c'));
writeFileSync(path.join(root, 'other', 'construct-metadata.json'), JSON.stringify({ version: '1.0.0', resources: { c: { path: 'app/c/Resource' } } }));

test('GIVEN .meshproof/sourcemap.json above the manifests WHEN loaded THEN objects carry their TypeScript origin', async () => {
  const { files, problems } = await loadInputs([path.join(root, 'dist')]);
  assert.equal(problems, []);
  assert.equal(files[0]!.objects.map((o) => o.source), [null, { constructPath: 'app/b/service', file: 'apps/app.ts', line: 42 }]);
});

test('GIVEN only a cdk8s construct-metadata.json WHEN loaded THEN the construct path is attached', async () => {
  const { files } = await loadInputs([path.join(root, 'other', 'x.yaml')]);
  assert.equal(files[0]!.objects[0]!.source, { constructPath: 'app/c/Resource', file: '', line: 0 });
});

test('GIVEN a broken source map WHEN loaded THEN a warning, and objects load without origins', async () => {
  const bad = path.join(root, 'bad.json');
  writeFileSync(bad, '{"version": 2}');
  const { files, problems } = await loadInputs([path.join(root, 'dist')], { sourceMap: bad });
  assert.equal(problems.map((p) => [p.code, p.severity, p.unusable]), [['input/source-map', 'warning', false]]);
  assert.equal(files[0]!.objects.map((o) => o.source), [null, null]);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
