/**
 * routing/_helpers.ts: a `method`, `authority` or `scheme` match with regex `.*` takes every request, since
 * Istio translates them to Envoy `:method` / `:authority` / `:scheme` header matchers (route.go
 * translateRouteMatch) and every request carries those pseudo-headers; such an entry is a catch-all and
 * covers any later entry.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isCatchAllMatch, matchCovers } from '../../../src/checks/rules/routing/_helpers.js';

const CATCH_ALL: readonly Record<string, unknown>[] = [
  { method: { regex: '.*' } },
  { authority: { regex: '^.*$' } },
  { scheme: { regex: '.*' }, name: 'any' },
  { method: { regex: '.*' }, uri: { prefix: '/' } },
];
const NOT_CATCH_ALL: readonly Record<string, unknown>[] = [
  { method: { regex: 'GET|POST' } },
  { method: { exact: 'GET' } },
  { authority: { prefix: 'shop' } },
  { method: { regex: '.*' }, uri: { prefix: '/cart' } },
  { headers: { 'x-any': { regex: '.*' } } },
];

for (const m of CATCH_ALL) {
  test(`GIVEN match ${JSON.stringify(m)} WHEN judged THEN it takes every request and covers a later /cart GET`, () => {
    assert.ok(isCatchAllMatch(m));
    assert.ok(matchCovers(m, { uri: { prefix: '/cart' }, method: { exact: 'GET' } }));
  });
}
for (const m of NOT_CATCH_ALL) {
  test(`GIVEN match ${JSON.stringify(m)} WHEN judged THEN it is not a catch-all`, () => {
    assert.not.ok(isCatchAllMatch(m));
  });
}

test.run();
