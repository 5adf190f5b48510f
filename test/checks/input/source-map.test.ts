import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadInputs } from '../../../src/mesh/load.js';
import { sourceAt } from '../../../src/mesh/types.js';

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

test('GIVEN a source map entry with per-route lines (fields), some malformed WHEN loaded THEN the well-formed ones are kept AND sourceAt gives the deepest named part\'s line, else the object\'s, without the map', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'meshproof-sm-fields-'));
  try {
    mkdirSync(path.join(dir, '.meshproof'));
    writeFileSync(path.join(dir, 'vs.yaml'), 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: web\n');
    const fields = { 'spec.http.1': { file: 'apps/a.ts', line: 15 }, 'spec.http.1.route.0': { file: 'apps/b.ts', line: 3 }, 'spec.http.2': { file: 'apps/a.ts', line: 0 }, 'spec.http.3': 'apps/a.ts:9', 'spec.tcp.0': { line: 4 } };
    writeFileSync(path.join(dir, '.meshproof', 'sourcemap.json'), JSON.stringify({ version: 1, objects: { 'vs.yaml#0': { kind: 'VirtualService', name: 'web', constructPath: 'app/web/Resource', file: 'apps/a.ts', line: 12, fields } } }));
    const { files, problems } = await loadInputs([path.join(dir, 'vs.yaml')]);
    assert.equal(problems, []);
    const source = files[0]!.objects[0]!.source!;
    assert.equal(source.fields, { 'spec.http.1': { file: 'apps/a.ts', line: 15 }, 'spec.http.1.route.0': { file: 'apps/b.ts', line: 3 } });
    const plain = (line: number, file = 'apps/a.ts') => ({ constructPath: 'app/web/Resource', file, line });
    assert.equal(sourceAt(source, ['spec', 'http', 1, 'retries']), plain(15));
    assert.equal(sourceAt(source, ['spec', 'http', 1, 'route', 0, 'destination']), plain(3, 'apps/b.ts'));
    assert.equal(sourceAt(source, ['spec', 'http', 0]), plain(12));
    assert.equal(sourceAt(source, ['spec', 'http', 10]), plain(12), 'http.10 is not http.1');
    assert.equal(sourceAt(source), plain(12));
    assert.is(sourceAt(null, ['spec']), null);
    const bare = { constructPath: 'x', file: 'f.ts', line: 1 };
    assert.is(sourceAt(bare, ['spec']), bare, 'an origin without fields is returned as it is');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
