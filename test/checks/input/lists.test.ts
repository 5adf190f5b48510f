import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseManifests } from '../../../src/mesh/parse.js';

const names = (text: string) => {
  const r = parseManifests(text, 'l.yaml', null);
  return { objects: r.file.objects.map((o) => `${o.body.kind as string} ${(o.body.metadata as { name: string }).name}`), problems: r.problems, file: r.file };
};

test('GIVEN a List inside a List WHEN read THEN both are flattened as kubectl does, each object located inside', () => {
  const text = 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: inner}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: outer}\n';
  const { objects, problems, file } = names(text);
  assert.equal(problems, []);
  assert.equal(objects, ['Service outer', 'Service inner']);
  assert.equal(file.objects.map((o) => [o.itemIndex, o.location.line]), [[0, 10], [1, 7]]);
  assert.is(file.objects[1]!.locate(['metadata', 'name']).line, 9);
});

test('GIVEN a ServiceList whose items carry no kind WHEN read THEN items are Services of the list apiVersion', () => {
  const { objects, problems, file } = names('apiVersion: v1\nkind: ServiceList\nitems:\n- metadata: {name: a}\n- metadata: {name: b}\n');
  assert.equal(problems, []);
  assert.equal(objects, ['Service a', 'Service b']);
  assert.is(file.objects[0]!.body.apiVersion, 'v1');
});

test('GIVEN a list whose kind is not spelled List (kind: list) WHEN read THEN it is still expanded, since Kubernetes decodes any object with items as a list', () => {
  const { objects, problems } = names('apiVersion: v1\nkind: list\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n');
  assert.equal(problems, []);
  assert.equal(objects, ['Service a']);
});

test('GIVEN a List whose items is a mapping WHEN read THEN refused as input/bad-list at items, nothing skipped silently', () => {
  const { objects, problems } = names('apiVersion: v1\nkind: List\nitems:\n  a: {apiVersion: v1, kind: Service, metadata: {name: a}}\n');
  assert.equal(objects, []);
  assert.equal(problems.map((p) => [p.code, p.location.line, p.unusable]), [['input/bad-list', 3, true]]);
  assert.match(problems[0]!.message, /items is a mapping; make items a sequence of objects/);
});

test('GIVEN an object with items but no kind, and a List item that is a scalar WHEN read THEN each is refused with its place', () => {
  const a = names('apiVersion: v1\nitems: []\n');
  assert.equal(a.problems.map((p) => [p.code, p.location.line]), [['input/missing-field', 2]]);
  const b = names('apiVersion: v1\nkind: List\nitems:\n- just text\n');
  assert.equal(b.problems.map((p) => [p.code, p.location.line]), [['input/not-an-object', 4]]);
  assert.match(b.problems[0]!.message, /document 0 items\[0\] is a string/);
});

test.run();
