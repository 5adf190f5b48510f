/**
 * Two questions about a VirtualService match entry, one predicate each:
 * - istiod's IsCatchAllRoute (route.go): is the Envoy route it builds a catch-all (path prefix "/" or regex ".*",
 *   no header or query matcher)? It decides where istiod puts the route. The per-proxy view asks it of typed matches
 *   (isCatchAllMatchView), gateway/merged-route-shadowed of raw ones (isCatchAllRoute), through the same function.
 * - does the entry take every request (routing/_helpers.ts isCatchAllMatch)? It decides what later rules can reach.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isCatchAllRoute } from '../../../src/checks/rules/gateway/_route-match.js';
import { isCatchAllMatch } from '../../../src/checks/rules/routing/_helpers.js';
import { isCatchAllMatchView } from '../../../src/mesh/view/catch-all-route.js';
import { httpMatch } from '../../../src/mesh/view/matches.js';
import { graphOfYaml } from './_harness.js';

/** A match entry, istiod's IsCatchAllRoute of its Envoy route, and whether it takes every request. */
const CASES: [entry: Record<string, unknown>, istiodCatchAll: boolean, everyRequest: boolean][] = [
  [{}, true, true],
  [{ uri: { prefix: '/' } }, true, true],
  [{ uri: { regex: '.*' } }, true, true],
  [{ uri: {} }, true, true], // istiod keeps its default path match, prefix "/"
  [{ uri: { prefix: '/' }, ignoreUriCase: true, name: 'all' }, true, true],
  [{ uri: { prefix: '' } }, false, true],
  [{ uri: { regex: '^.*$' } }, false, true],
  [{ uri: { prefix: '/api' } }, false, false],
  [{ method: { regex: '.*' } }, false, true], // a :method header matcher for istiod
  [{ headers: {} }, true, true],
  [{ headers: { 'x-canary': { exact: '1' } } }, false, false],
  [{ queryParams: { v: { exact: '2' } } }, false, false],
  [{ withoutHeaders: { 'x-internal': { exact: '1' } } }, false, false],
  [{ sourceLabels: { app: 'web' } }, true, false], // chooses the clients, adds no Envoy matcher
  [{ port: 8080 }, true, false],
];

test('GIVEN match entries WHEN the gateway rule and the view ask IsCatchAllRoute THEN both give istiod\'s answer', async () => {
  const graph = await graphOfYaml('apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r, namespace: shop}\nspec: {hosts: [r], http: [{route: [{destination: {host: r}}]}]}\n');
  const vs = graph.ofKind('VirtualService')[0]!;
  for (const [entry, istiod] of CASES) {
    assert.is(isCatchAllRoute(entry), istiod, `rule: ${JSON.stringify(entry)}`);
    assert.is(isCatchAllMatchView(httpMatch(entry, vs, ['spec', 'http', 0, 'match', 0])), istiod, `view: ${JSON.stringify(entry)}`);
  }
});

test('GIVEN the same entries WHEN asked whether they take every request THEN the routing predicate answers that, not IsCatchAllRoute', () => {
  for (const [entry, , every] of CASES) assert.is(isCatchAllMatch(entry), every, JSON.stringify(entry));
  assert.is(isCatchAllMatch({ port: 8080 }, new Set([8080])), true, 'the one port the routes serve');
  assert.is(isCatchAllMatch({ method: {} }), true, 'an empty StringMatch on :method is a present match, which every request meets');
});

test.run();
