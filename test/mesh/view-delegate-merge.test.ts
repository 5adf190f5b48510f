/**
 * Delegate match entries merged as istiod merges them (pilot/pkg/model/virtualservice.go
 * `mergeHTTPMatchRequests`, `hasConflict`, `stringMatchConflict`, `mergeHTTPMatchRequest`,
 * `mergeHTTPRoute`), seen through the per-proxy view that the xDS translation reads.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy, proxiesOf, type ProxyView } from '../../src/mesh/view/index.js';
import { graphOf } from './_graph.js';
import { deploy, gw, route, svc, vs } from './view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'web', labels: { app: 'client' } });
const REVIEWS = 'reviews.prod.svc.cluster.local';
const httpOf = (v: ProxyView) => v.routes.find((r) => r.host === REVIEWS && r.port === 9080)!.http;
const delegated = (root: Record<string, unknown>, leaf: Record<string, unknown>) => buildProxyView(graphOf([
  svc('reviews', 'prod'), svc('ratings', 'prod'),
  vs('root', 'prod', { hosts: ['reviews'], http: [{ ...root, delegate: { name: 'leaf' } }, { route: [route('reviews')] }] }),
  vs('leaf', 'prod', { http: [{ ...leaf, route: [route('ratings')] }] }),
]), client);

test('GIVEN a root header prefix and a delegate exact value within it WHEN merged THEN the route keeps the delegate\'s exact value (no conflict in istiod)', () => {
  const v = delegated({ match: [{ headers: { 'x-user': { prefix: 'a' } } }] }, { match: [{ headers: { 'x-user': { exact: 'abc' } } }] });
  const http = httpOf(v);
  assert.is(http.length, 2, 'the delegate route is kept, not dropped');
  assert.equal(http[0]!.match.map((m) => m.headers), [{ 'x-user': { exact: 'abc' } }]);
  assert.is(http[0]!.origin.ref.name, 'leaf');
  assert.equal(v.problems, []);
});

test('GIVEN a method prefix at the root and an exact method in the delegate WHEN merged THEN it merges (stringMatchConflict, not equality)', () => {
  const http = httpOf(delegated({ match: [{ method: { prefix: 'P' } }] }, { match: [{ method: { exact: 'POST' } }] }));
  assert.equal(http[0]!.match.map((m) => m.method), [{ exact: 'POST' }]);
});

test('GIVEN the same regex at the root and in the delegate WHEN another root entry admits it THEN only that pair is merged (two regexes conflict)', () => {
  const http = httpOf(delegated(
    { match: [{ uri: { regex: '/v[0-9]+' } }, { headers: { 'x-beta': { exact: '1' } } }] },
    { match: [{ uri: { regex: '/v[0-9]+' } }] },
  ));
  assert.equal(http[0]!.match.map((m) => [m.uri, m.headers]), [[{ regex: '/v[0-9]+' }, { 'x-beta': { exact: '1' } }]]);
  assert.equal(http[0]!.match[0]!.origin.path, ['spec', 'http', 0, 'match', 0], 'the merged entry points at the delegate\'s entry');
});

test('GIVEN two delegate entries and two root entries WHEN merged THEN every compatible pair is an entry, delegate entry first', () => {
  const http = httpOf(delegated(
    { match: [{ uri: { prefix: '/a' } }, { uri: { prefix: '/b' } }] },
    { match: [{ uri: { prefix: '/a/x' } }, { uri: { prefix: '/b/y' } }] },
  ));
  assert.equal(http[0]!.match.map((m) => m.uri), [{ prefix: '/a/x' }, { prefix: '/b/y' }]);
});

test('GIVEN ignoreUriCase on one side only WHEN merged THEN the delegate rule is dropped with a problem (hasConflict)', () => {
  const v = delegated({ match: [{ uri: { prefix: '/a' }, ignoreUriCase: true }] }, { match: [{ uri: { prefix: '/a/x' } }] });
  assert.is(httpOf(v).length, 1, 'only the root\'s catch-all is left');
  assert.equal(v.problems.map((p) => p.code), ['view/delegate-match-conflict']);
});

test('GIVEN named routes and match entries WHEN merged THEN the names join as <root>-<delegate>', () => {
  const http = httpOf(delegated(
    { name: 'api', match: [{ name: 'm', uri: { prefix: '/a' } }] },
    { name: 'v1', match: [{ name: 'n', uri: { prefix: '/a/v1' } }] },
  ));
  assert.is(http[0]!.name, 'api-v1');
  assert.is(http[0]!.match[0]!.name, 'm-n');
  const onlyRoot = httpOf(delegated({ name: 'api', match: [{ uri: { prefix: '/a' } }] }, { match: [{ uri: { prefix: '/a/v1' } }] }));
  assert.is(onlyRoot[0]!.name, 'api');
});

test('GIVEN a root match bound to a short-named Gateway of its own namespace WHEN the delegate lives elsewhere THEN the merged entry binds the root\'s Gateway', () => {
  const g = graphOf([
    svc('reviews', 'prod'), svc('ratings', 'prod'),
    deploy('ingress', 'prod', { istio: 'ingressgateway' }),
    gw('public', 'prod', [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/shop.example.com'] }]),
    gw('public', 'team', [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/shop.example.com'] }], { istio: 'other' }),
    vs('root', 'prod', { hosts: ['shop.example.com'], gateways: ['public'], http: [{ match: [{ gateways: ['public'], uri: { prefix: '/a' } }], delegate: { name: 'leaf', namespace: 'team' } }] }),
    vs('leaf', 'team', { http: [{ match: [{ uri: { prefix: '/a/b' } }], route: [route('ratings.prod.svc.cluster.local')] }] }),
  ]);
  const router = proxiesOf(g).find((p) => p.type === 'router' && p.namespace === 'prod')!;
  const routes = buildProxyView(g, router).gatewayServers[0]!.routes[0]!.http;
  assert.equal(routes.map((h) => h.match.map((m) => m.uri)), [[{ prefix: '/a/b' }]], 'prod/public, not team/public');
});

test('GIVEN delegate fields written null (uri, headers, timeout) WHEN merged THEN they are unset, so the root\'s apply (the API server prunes nulls before istiod sees them)', () => {
  const v = delegated({ match: [{ uri: { prefix: '/api' }, headers: { 'x-env': { exact: 'prod' } } }], timeout: '5s' }, { match: [{ uri: null, headers: null, method: { exact: 'GET' } }], timeout: null });
  const h = httpOf(v)[0]!;
  assert.equal(h.match.map((m) => [m.uri, m.headers, m.method]), [[{ prefix: '/api' }, { 'x-env': { exact: 'prod' } }, { exact: 'GET' }]]);
  assert.is(h.timeoutMs, 5000);
});

test('GIVEN a delegate route with a fault and no timeout or retries WHEN merged THEN it takes the root\'s timeout and retries (mergeHTTPRoute: a fault decides neither)', () => {
  const h = httpOf(delegated({ match: [{ uri: { prefix: '/api' } }], timeout: '5s', retries: { attempts: 4, retryOn: '5xx' } }, { fault: { abort: { httpStatus: 503, percentage: { value: 50 } } } }))[0]!;
  assert.equal([h.fault?.abort?.percentage, h.timeoutMs, h.retries.attempts, h.retries.retryOn, h.retries.source], [50, 5000, 4, '5xx', 'route']);
});

test('GIVEN a root route with a fault and a delegate with its own retries WHEN merged THEN the delegate keeps its retries and takes the root\'s fault and timeout', () => {
  const h = httpOf(delegated({ match: [{ uri: { prefix: '/api' } }], timeout: '5s', fault: { delay: { fixedDelay: '1s' } } }, { retries: { attempts: 1 } }))[0]!;
  assert.equal([h.fault?.delay?.fixedDelayMs, h.timeoutMs, h.retries.attempts], [1000, 5000, 1]);
});

test.run();
