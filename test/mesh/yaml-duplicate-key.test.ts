/**
 * A key written twice in one mapping is reported at the repeat, naming the key, the mapping's path
 * and the line where the key came first, in YAML block and flow style and in JSON.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseManifests } from '../../src/mesh/parse.js';

const dupes = (text: string, file = 'dup.yaml') => parseManifests(text, file, null).problems
  .filter((p) => p.code === 'input/duplicate-key').map((p) => [p.location.line, p.message]);

test('GIVEN a label written twice under metadata.labels WHEN parsed THEN the repeat names the key, the path and the first line', () => {
  const text = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: reviews\n  labels:\n    app: reviews\n    app: other\nspec: {}\n';
  assert.equal(dupes(text), [[7, 'duplicate key "app" in metadata.labels (first at line 6): Map keys must be unique, and tools disagree on which value wins; keep one']]);
});

test('GIVEN repeats at the top level, inside a list item and in a flow mapping WHEN parsed THEN each is placed by its own path', () => {
  const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: d}\nitems:\n  - x: 1\n    x: 2\ndata: {a: 1, b: 2, a: 3}\nkind: Secret\n';
  assert.equal(dupes(text).map(([line, m]) => [line, (m as string).split(':')[0]]), [
    [6, 'duplicate key "x" in items[0] (first at line 5)'],
    [7, 'duplicate key "a" in data (first at line 7)'],
    [8, 'duplicate key "kind" at the top level (first at line 2)'],
  ]);
});

test('GIVEN a JSON object with a name twice WHEN parsed THEN the same message', () => {
  const text = '{"apiVersion":"v1","kind":"Service",\n"metadata":{"name":"a","name":"b"}}';
  assert.equal(dupes(text, 'dup.json'), [[2, 'duplicate key "name" in metadata (first at line 2): Map keys must be unique, and tools disagree on which value wins; keep one']]);
});

test.run();
