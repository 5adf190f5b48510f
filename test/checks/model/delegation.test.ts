/**
 * Delegation merge as istiod does it (pilot/pkg/model/virtualservice.go hasConflict /
 * mergeHTTPMatchRequests): a delegate match entry must lie within some root match entry, or the whole
 * delegate rule is dropped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { droppedDelegateRule, matchConflict } from '../../../src/mesh/delegation.js';

type M = Record<string, unknown>;
const TABLE: readonly [what: string, root: M, leaf: M, conflict: boolean][] = [
  ['prefix under prefix', { uri: { prefix: '/a' } }, { uri: { prefix: '/a/b' } }, false],
  ['prefix outside prefix', { uri: { prefix: '/a/b' } }, { uri: { prefix: '/a' } }, true],
  ['exact under prefix', { uri: { prefix: '/a' } }, { uri: { exact: '/a/x' } }, false],
  ['exact outside prefix', { uri: { prefix: '/a' } }, { uri: { exact: '/b' } }, true],
  ['prefix under exact', { uri: { exact: '/a' } }, { uri: { prefix: '/a' } }, true],
  ['same exact', { uri: { exact: '/a' } }, { uri: { exact: '/a' } }, false],
  ['anything under a root regex', { uri: { regex: '/a.*' } }, { uri: { regex: '/a.*' } }, true],
  ['a delegate regex where the root sets the field', { uri: { prefix: '/a' } }, { uri: { regex: '/a/[0-9]+' } }, true],
  ['a delegate regex where the root leaves the field open', { headers: { x: { exact: '1' } } }, { uri: { regex: '/a/[0-9]+' } }, false],
  ['a field only the root sets', { uri: { prefix: '/a' } }, { headers: { x: { exact: '1' } } }, false],
  ['header exact differs', { headers: { x: { exact: '1' } } }, { headers: { x: { exact: '2' } } }, true],
  ['query prefix under prefix', { queryParams: { v: { prefix: 'b' } } }, { queryParams: { v: { prefix: 'beta' } } }, false],
  ['ignoreUriCase only on the root', { uri: { prefix: '/a' }, ignoreUriCase: true }, { uri: { prefix: '/a/b' } }, true],
  ['same port', { port: 80 }, { port: 80 }, false],
  ['other port', { port: 80 }, { port: 8080 }, true],
  ['root sourceNamespace not repeated', { sourceNamespace: 'shop' }, { uri: { prefix: '/a' } }, true],
  ['root sourceNamespace repeated', { sourceNamespace: 'shop' }, { sourceNamespace: 'shop' }, false],
  ['sourceLabels value differs', { sourceLabels: { app: 'a' } }, { sourceLabels: { app: 'b' } }, true],
  ['sourceLabels add a key', { sourceLabels: { app: 'a' } }, { sourceLabels: { app: 'a', v: '2' } }, false],
  ['gateways subset, "./" and short name resolved per VirtualService', { gateways: ['istio-system/gw', 'mesh'] }, { gateways: ['gw'] }, false],
  ['gateways outside the root', { gateways: ['istio-system/gw'] }, { gateways: ['istio-system/other'] }, true],
];

for (const [what, root, leaf, conflict] of TABLE) {
  test(`GIVEN root ${JSON.stringify(root)} and delegate ${JSON.stringify(leaf)} (${what}) WHEN merged THEN ${conflict ? 'they conflict, with a reason' : 'they merge'}`, () => {
    // The delegate lives in istio-system here, so its short gateway name "gw" means istio-system/gw.
    const why = matchConflict(root, 'shop', leaf, 'istio-system');
    if (conflict) assert.type(why, 'string', 'expected a conflict');
    else assert.is(why, null);
  });
}

test('GIVEN a delegate rule with one entry inside the root prefix and one outside WHEN merged THEN the whole rule is dropped, naming the outside entry', () => {
  const dropped = droppedDelegateRule({ match: [{ uri: { prefix: '/catalog' } }] }, 'shop', { match: [{ uri: { prefix: '/catalog/v2' } }, { uri: { prefix: '/orders' } }] }, 'shop');
  assert.equal(dropped, { match: 1, reasons: ['uri prefix "/orders" is not within the root\'s prefix "/catalog"'] });
});

test('GIVEN a root or a delegate rule without match WHEN merged THEN nothing is dropped', () => {
  assert.is(droppedDelegateRule({}, 'shop', { match: [{ uri: { prefix: '/x' } }] }, 'shop'), null);
  assert.is(droppedDelegateRule({ match: [{ uri: { prefix: '/a' } }] }, 'shop', {}, 'shop'), null);
});

test('GIVEN two root entries WHEN a delegate entry fits the second THEN it merges', () => {
  assert.is(droppedDelegateRule({ match: [{ uri: { prefix: '/a' } }, { uri: { prefix: '/b' } }] }, 'shop', { match: [{ uri: { exact: '/b/1' } }] }, 'shop'), null);
});

test.run();
