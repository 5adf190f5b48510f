import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import { loadInputs } from '../../../src/mesh/load.js';
import { parseManifests } from '../../../src/mesh/parse.js';

const FIX = 'test/fixtures/input';

test('GIVEN a multi-document YAML file WHEN a deep field is located THEN it points at its key', async () => {
  const { files, problems } = await loadInputs([`${FIX}/positions.yaml`]);
  assert.equal(problems, []);
  const vs = files[0]!.objects[1]!;
  assert.is(vs.docIndex, 1);
  assert.equal(vs.location, { file: `${FIX}/positions.yaml`, line: 12, column: 1 });
  assert.equal(vs.locate(['spec', 'http', 0, 'route', 1, 'weight']), { file: `${FIX}/positions.yaml`, line: 27, column: 7 });
  assert.equal(vs.locate(['spec', 'http', 0, 'route', 1, 'destination', 'subset']), { file: `${FIX}/positions.yaml`, line: 26, column: 36 });
  assert.equal(vs.locate(['spec', 'hosts', 0]), { file: `${FIX}/positions.yaml`, line: 19, column: 5 });
});

test('GIVEN a path that does not exist WHEN located THEN the closest existing node is returned', async () => {
  const { files } = await loadInputs([`${FIX}/positions.yaml`]);
  const vs = files[0]!.objects[1]!;
  assert.equal(vs.locate(['spec', 'http', 0, 'timeout']), { file: `${FIX}/positions.yaml`, line: 21, column: 5 });
  assert.equal(vs.locate(['spec', 'tcp', 3]), { file: `${FIX}/positions.yaml`, line: 17, column: 1 });
});

test('GIVEN a JSON List WHEN loaded THEN items are objects located inside the list', async () => {
  const { files, problems } = await loadInputs([`${FIX}/positions.json`]);
  assert.equal(problems, []);
  const [vs, svc] = files[0]!.objects;
  assert.is(files[0]!.format, 'json');
  assert.is(vs!.itemIndex, 0);
  assert.equal(vs!.location, { file: `${FIX}/positions.json`, line: 5, column: 5 });
  assert.equal(vs!.locate(['spec', 'http', 0, 'route', 0, 'weight']), { file: `${FIX}/positions.json`, line: 9, column: 88 });
  assert.equal(svc!.locate(['spec', 'ports', 0, 'port']), { file: `${FIX}/positions.json`, line: 15, column: 29 });
});

test('GIVEN anchors, merge keys and flow collections WHEN located THEN positions are those of the written text', () => {
  const text = 'a: 1\n---\nkind: X\napiVersion: v1\nmetadata: {name: nm, labels: &l {app: x}}\nspec:\n  <<: {extra: 1}\n  list:\n  - x\n  - z: 2\n  copy: *l\n';
  const { file, problems } = parseManifests(text, 'f.yaml', null);
  assert.equal(problems.map((p) => p.code), ['input/missing-field', 'input/unknown-kind']);
  const o = file.objects[0]!;
  assert.equal(o.body.spec, { extra: 1, list: ['x', { z: 2 }], copy: { app: 'x' } });
  assert.equal(o.location, { file: 'f.yaml', line: 3, column: 1 });
  assert.equal(o.locate(['spec', 'list', 1, 'z']), { file: 'f.yaml', line: 10, column: 5 });
  assert.equal(o.locate(['metadata', 'labels', 'app']), { file: 'f.yaml', line: 5, column: 34 });
  assert.equal(o.locate(['spec', 'copy', 'app']), { file: 'f.yaml', line: 11, column: 3 });
});

test('GIVEN stdin as a string WHEN `-` is loaded THEN objects are located in file `-`', async () => {
  const { files, problems } = await loadInputs(['-'], { stdin: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n' });
  assert.equal(problems, []);
  assert.is(files[0]!.file, '-');
  assert.equal(files[0]!.objects[0]!.locate(['metadata', 'name']), { file: '-', line: 4, column: 3 });
});

test('GIVEN stdin as a stream holding JSON WHEN `-` is loaded THEN it is read to the end and parsed by the same reader', async () => {
  const stream = Readable.from([Buffer.from('{"apiVersion":"v1","kind":"Service",'), Buffer.from('"metadata":{"name":"s"}}')]);
  const { files, problems } = await loadInputs(['-'], { stdin: stream });
  assert.equal(problems, []);
  assert.equal([files[0]!.objects[0]!.body.metadata, files[0]!.objects[0]!.locate(['metadata', 'name']).column], [{ name: 's' }, 49]);
});

test.run();
