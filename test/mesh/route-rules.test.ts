import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { routeRulesOf } from '../../src/mesh/route-rules.js';
import { graphOf } from './_graph.js';

const vsOf = (spec: Record<string, unknown>) =>
  graphOf([{ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'v', namespace: 'n' }, spec: { hosts: ['a'], ...spec } }]).objects[0]!;

test('GIVEN http, tls and tcp rules WHEN read THEN they come http, tls, tcp in written order with their paths', () => {
  const vs = vsOf({
    tcp: [{ route: [{ destination: { host: 't' } }] }],
    tls: [{ match: [{ sniHosts: ['a'] }], route: [{ destination: { host: 's' } }] }],
    http: [{ name: 'first', route: [{ destination: { host: 'h1' } }] }, { redirect: { uri: '/x' } }],
  });
  const rules = routeRulesOf(vs);
  assert.equal(rules.map((r) => `${r.section}[${r.index}]`), ['http[0]', 'http[1]', 'tls[0]', 'tcp[0]']);
  assert.equal(rules.map((r) => r.name), ['first', null, null, null]);
  assert.equal(rules[1]!.path, ['spec', 'http', 1]);
  assert.is(rules[1]!.hasRoute, false, 'a redirect rule has no route list');
  assert.equal(rules[1]!.destinations, []);
});

test('GIVEN a lone destination with any weight WHEN read THEN Istio sends it everything: effective weight 100, written weight kept', () => {
  for (const weight of [undefined, 0, 30, 100]) {
    const [rule] = routeRulesOf(vsOf({ http: [{ route: [{ destination: { host: 'a', subset: 'v1' }, ...(weight === undefined ? {} : { weight }) }] }] }));
    assert.is(rule!.destinations[0]!.effectiveWeight, 100, `weight ${String(weight)}`);
    assert.is(rule!.destinations[0]!.weight, weight);
  }
});

test('GIVEN several destinations WHEN read THEN an unset or non-numeric weight counts 0 and entries without a destination mapping are skipped', () => {
  const [rule] = routeRulesOf(vsOf({
    http: [{ route: [
      { destination: { host: 'a', subset: 'v1' }, weight: 90 },
      'not a mapping',
      { weight: 5 },
      { destination: { host: 'a', subset: 'v2' } },
      { destination: { host: 'a', subset: 'v3' }, weight: '10' },
    ] }],
  }));
  assert.equal(rule!.destinations.map((d) => [d.index, d.effectiveWeight]), [[0, 90], [3, 0], [4, 0]]);
  assert.equal(rule!.destinations[2]!.path, ['spec', 'http', 0, 'route', 4]);
  assert.is(rule!.destinations[2]!.weight, '10', 'the written value is kept for rules that report it');
});

test('GIVEN sections that are not lists or rules that are not mappings WHEN read THEN they are skipped, never thrown on', () => {
  assert.equal(routeRulesOf(vsOf({ http: 'oops', tcp: [null, 7, { route: 'x' }] })).map((r) => [r.section, r.index, r.hasRoute]), [['tcp', 2, false]]);
});

test.run();
