import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateCrdObject } from '../../src/validate/index.js';
import { destinationRule, serviceEntry, virtualService } from './_objects.js';

const vs = (spec: unknown) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'x' }, spec });

test('GIVEN values that are not objects WHEN validated THEN nothing is reported and nothing throws', () => {
  for (const input of [null, undefined, 0, 'VirtualService', [], [virtualService()], true, Symbol('x'), () => 1]) {
    assert.equal(validateCrdObject(input), []);
  }
});

test('GIVEN __proto__, constructor and toString keys WHEN validated THEN they are unknown fields, not prototype tricks', () => {
  const input = JSON.parse('{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"x"},'
    + '"spec":{"__proto__":{"hosts":1},"constructor":1,"http":[{"toString":"x","route":[{"destination":{"host":"a"}}]}]}}');
  const found = validateCrdObject(input);
  assert.equal(found.map((v) => v.path), [['spec', '__proto__'], ['spec', 'constructor'], ['spec', 'http', 0, 'toString']]);
  assert.is(({} as Record<string, unknown>).hosts, undefined);
});

test('GIVEN 100,000 levels of nesting in a field WHEN validated THEN it is a type error and nothing overflows', () => {
  let deep: unknown = 'x';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const found = validateCrdObject(vs({ hosts: deep, http: [{ route: [{ destination: { host: deep } }] }] }));
  assert.equal(found.map((v) => v.path), [['spec', 'hosts', 0], ['spec', 'http', 0, 'route', 0, 'destination', 'host']]);
});

test('GIVEN a cyclic object WHEN validated THEN it is reported, not looped over', () => {
  const spec: Record<string, unknown> = { hosts: ['a'] };
  spec.self = spec;
  const found = validateCrdObject(vs(spec));
  assert.equal(found.map((v) => v.path), [['spec', 'self']]);
});

test('GIVEN an object whose getters throw WHEN validated THEN one root violation explains it', () => {
  const spec = new Proxy({}, { ownKeys() { throw new Error('boom'); } });
  const found = validateCrdObject(vs(spec));
  assert.is(found.length, 1);
  assert.match(found[0]!.message, '<root>: could not be validated: boom');
});

test('GIVEN values of the wrong type where CEL rules sit WHEN validated THEN only schema violations are reported', () => {
  const se = serviceEntry();
  Object.assign(se.spec, { resolution: 'STATIC', endpoints: [{ address: 42, ports: ['https'] }], hosts: [7] });
  const found = validateCrdObject(se);
  assert.ok(found.length > 0);
  assert.ok(found.every((v) => v.kind === 'schema'), JSON.stringify(found));
});

test('GIVEN a 100 kB port name of the shape that makes backtracking regexes explode WHEN validated THEN it finishes fast', () => {
  const se = serviceEntry();
  Object.assign(se.spec, { resolution: 'STATIC', endpoints: [{ address: '10.0.0.1', ports: { [`${'a'.repeat(100_000)}!`]: 80 } }] });
  const started = performance.now();
  const found = validateCrdObject(se);
  // Backtracking on 100-400 kB never finishes; a linear validator takes milliseconds (10 s: a loaded machine).
  assert.ok(performance.now() - started < 10_000, `${(performance.now() - started).toFixed(0)} ms`);
  assert.match(found[0]!.message, 'port name must be valid');
});

test('GIVEN a huge string where a pattern applies WHEN validated THEN RE2 rejects it without hanging', () => {
  const dr = destinationRule();
  const started = performance.now();
  const found = validateCrdObject({ ...dr, metadata: { name: `${'a-'.repeat(200_000)}!` } });
  // Backtracking on 100-400 kB never finishes; a linear validator takes milliseconds (10 s: a loaded machine).
  assert.ok(performance.now() - started < 10_000, `${(performance.now() - started).toFixed(0)} ms`);
  assert.equal(found.map((v) => v.path), [['metadata', 'name'], ['metadata', 'name']]);
});

test('GIVEN numbers that are not finite or too large WHEN validated THEN they are reported without throwing', () => {
  const v = virtualService();
  (v.spec.http[0]!.route[0] as Record<string, unknown>).weight = Number.NaN;
  (v.spec.http[0]!.route[1] as Record<string, unknown>).weight = 1e300;
  (v.spec.http[0]!.retries as Record<string, unknown>).attempts = -0.5;
  assert.ok(validateCrdObject(v).length >= 2);
});

test.run();
