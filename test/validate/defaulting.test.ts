import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { normalize } from '../../src/validate/normalize.js';
import type { StructuralSchema } from '../../src/validate/types.js';

/**
 * Schema defaults as the API server applies them before validating
 * (k8s.io/apiextensions-apiserver pkg/apiserver/schema/defaulting, algorithm_test.go's cases).
 */
const defaulted = (json: string, schema: StructuralSchema): unknown => JSON.parse(JSON.stringify(normalize(JSON.parse(json), schema)));
const withDefault = (value: unknown, extra: Partial<StructuralSchema> = {}): StructuralSchema => ({ default: value, ...extra });
const object = (properties: Record<string, StructuralSchema>, extra: Partial<StructuralSchema> = {}): StructuralSchema =>
  ({ type: 'object', properties, ...extra });

test('GIVEN a scalar, or an array of scalars, whose schema has a default WHEN defaulted THEN it is unchanged', () => {
  assert.equal(defaulted('4', withDefault('foo')), 4);
  assert.equal(defaulted('[1,2]', { type: 'array', items: withDefault('foo') }), [1, 2]);
});

test('GIVEN array items missing fields that have defaults WHEN defaulted THEN each item gets the defaults of the fields it lacks', () => {
  const schema: StructuralSchema = { type: 'array', items: object({ a: withDefault('A'), b: withDefault('B'), c: withDefault('C') }) };
  assert.equal(defaulted('[{"a":1},{"b":1},{"c":1}]', schema),
    [{ a: 1, b: 'B', c: 'C' }, { a: 'A', b: 1, c: 'C' }, { a: 'A', b: 'B', c: 1 }]);
});

test('GIVEN defaults in array items, a nested object, map values and the root WHEN defaulted THEN each applies where its object exists', () => {
  const ab = (a: string, b: string) => object({ a: withDefault(a), b: withDefault(b) });
  const schema = object({
    array: { type: 'array', items: ab('A', 'B') },
    object: ab('N', 'O'),
    additionalProperties: { type: 'object', additionalProperties: ab('alpha', 'beta') },
    foo: withDefault('bar'),
  });
  assert.equal(defaulted('{"array":[{"a":1},{"b":2}],"object":{"a":1},"additionalProperties":{"x":{"a":1},"y":{"b":2}}}', schema), {
    array: [{ a: 1, b: 'B' }, { a: 'A', b: 2 }], object: { a: 1, b: 'O' },
    additionalProperties: { x: { a: 1, b: 'beta' }, y: { a: 'alpha', b: 2 } }, foo: 'bar',
  });
});

test('GIVEN empty and zero values WHEN defaulted THEN only missing fields and non-nullable nulls take the default', () => {
  const schema: StructuralSchema = { type: 'array', items: object({ a: withDefault('A') }) };
  assert.equal(defaulted('[{},{"a":1},{"a":0},{"a":""},{"a":null},{"a":[]},{"a":{}}]', schema),
    [{ a: 'A' }, { a: 1 }, { a: 0 }, { a: '' }, { a: 'A' }, { a: [] }, { a: {} }]);
});

test('GIVEN nulls WHEN defaulted THEN a nullable null stays, a non-nullable one takes the default or, without one, is dropped', () => {
  assert.equal(defaulted('{"a":null}', object({ a: withDefault('A', { nullable: true }) })), { a: null });
  assert.equal(defaulted('{"a":null}', object({ a: withDefault('A') })), { a: 'A' });
  assert.equal(defaulted('{"a":null}', object({ a: { type: 'string' } })), {});
  assert.equal(defaulted('{"a":null}', { type: 'object', additionalProperties: withDefault('A', { nullable: true }) }), { a: null });
  assert.equal(defaulted('{"a":null}', { type: 'object', additionalProperties: withDefault('A') }), { a: 'A' });
  assert.equal(defaulted('{"a":null}', { type: 'object', additionalProperties: true }), { a: null });
});

test('GIVEN null array items WHEN defaulted THEN they take the items\' default, and stay null without one or when nullable', () => {
  assert.equal(defaulted('[null]', { type: 'array', items: withDefault('A') }), ['A']);
  assert.equal(defaulted('[null]', { type: 'array', nullable: true, items: object({ a: withDefault('A') }) }), [null]);
  assert.equal(defaulted('[null]', { type: 'array', items: withDefault('A', { nullable: true }) }), [null]);
});

test('GIVEN a default inside an object that is absent WHEN defaulted THEN the parent is not created', () => {
  const schema = object({ tls: object({ mode: withDefault('Terminate') }), port: { type: 'integer' } });
  assert.equal(defaulted('{"port":443}', schema), { port: 443 });
  assert.equal(defaulted('{"port":443,"tls":{}}', schema), { port: 443, tls: { mode: 'Terminate' } });
});

test('GIVEN an object default whose schema has defaults of its own WHEN defaulted THEN the nested defaults apply to it too', () => {
  const match = object({ path: object({ type: withDefault('PathPrefix'), value: withDefault('/') }), method: { type: 'string' } });
  const schema = object({ matches: { type: 'array', default: [{ path: { value: '/' } }], items: match } });
  assert.equal(defaulted('{}', schema), { matches: [{ path: { type: 'PathPrefix', value: '/' } }] });
});

test('GIVEN a default of null WHEN defaulted THEN it is no default, as the API server reads it', () => {
  assert.equal(defaulted('{}', object({ a: withDefault(null, { nullable: true }) })), {});
});

test('GIVEN an object WHEN it is defaulted twice THEN the input and the schema\'s default are never changed', () => {
  const schema = object({ backendRef: object({ kind: withDefault('Service') }), list: withDefault([{ x: 1 }]) });
  const input = { backendRef: {} };
  const first = normalize(input, schema) as { list: { x: number }[] };
  first.list[0]!.x = 2;
  assert.equal(input, { backendRef: {} });
  assert.equal(JSON.parse(JSON.stringify(normalize(input, schema))), { backendRef: { kind: 'Service' }, list: [{ x: 1 }] });
});

test.run();
