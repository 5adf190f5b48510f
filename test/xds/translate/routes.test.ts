import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { RedirectAction_RedirectResponseCode } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { CorsPolicySchema } from '../../../src/xds/gen/envoy/extensions/filters/http/cors/v3/cors_pb.js';
import { HTTPFaultSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/fault/v3/fault_pb.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { dr, route, svc, vs } from '../../mesh/view-fixtures.js';
import { selectRoute, targetOf } from './_select.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const REVIEWS = 'reviews.prod.svc.cluster.local';
const RATINGS = 'ratings.prod.svc.cluster.local';
const subsets = dr('reviews', 'prod', { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] });

function routesFor(bodies: Record<string, unknown>[], port = 9080) {
  const set = translateProxy(buildProxyView(graphOf(bodies), client), []);
  const rc = set.routes.find((r) => r.name === String(port));
  assert.ok(rc, `no RouteConfiguration "${port}" in ${set.routes.map((r) => r.name).join(', ')}`);
  return rc;
}

test('GIVEN matches on uri, headers, query, method and authority WHEN a request is sent THEN it reaches the route and cluster Istio would pick, named as istiod names it (<route>.<match name>)', () => {
  const rc = routesFor([svc('reviews', 'prod'), svc('ratings', 'prod'), subsets, vs('reviews', 'prod', {
    hosts: ['reviews'],
    http: [
      { name: 'jason', match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [route('reviews', { subset: 'v2' })] },
      { name: 'api', match: [{ uri: { prefix: '/api' }, method: { exact: 'POST' } }], route: [route('ratings')] },
      { name: 'exact', match: [{ name: 'health', uri: { exact: '/health' } }, { queryParams: { debug: { exact: '1' } } }], directResponse: { status: 204 } },
      { name: 'regex', match: [{ uri: { regex: '/items/[0-9]+' }, authority: { prefix: 'reviews' } }], route: [route('reviews', { subset: 'v1' })] },
      { name: 'split', route: [route('reviews', { subset: 'v1' }, ), route('reviews', { subset: 'v2' })].map((r, i) => ({ ...r, weight: [90, 10][i] })) },
    ],
  })]);
  const table: [Parameters<typeof selectRoute>[1], string, string][] = [
    [{ authority: 'reviews:9080', path: '/', headers: { 'end-user': 'jason' } }, 'jason', `outbound|9080|v2|${REVIEWS}`],
    [{ authority: REVIEWS, path: '/api/x', method: 'POST' }, 'api', `outbound|9080||${RATINGS}`],
    [{ authority: REVIEWS, path: '/api/x', method: 'GET' }, 'split', `outbound|9080|v1|${REVIEWS}=90,outbound|9080|v2|${REVIEWS}=10`],
    [{ authority: 'reviews.prod', path: '/health' }, 'exact.health', 'direct:204'],
    [{ authority: 'reviews.prod', path: '/healthz' }, 'split', `outbound|9080|v1|${REVIEWS}=90,outbound|9080|v2|${REVIEWS}=10`],
    [{ authority: 'reviews.prod:9080', path: '/x?debug=1' }, 'exact', 'direct:204'],
    [{ authority: 'reviews', path: '/items/42' }, 'regex', `outbound|9080|v1|${REVIEWS}`],
    [{ authority: 'reviews', path: '/items/abc' }, 'split', `outbound|9080|v1|${REVIEWS}=90,outbound|9080|v2|${REVIEWS}=10`],
    [{ authority: 'unknown.example.com', path: '/' }, 'allow_any', 'PassthroughCluster'],
  ];
  for (const [req, name, target] of table) {
    const r = selectRoute(rc, req);
    assert.equal([r?.name, targetOf(r)], [name, target], JSON.stringify(req));
  }
});

test('GIVEN header, withoutHeaders and query matches written as an empty StringMatch ({}) WHEN translated THEN each is Envoy present_match, as istiod builds it (canBeConvertedToPresentMatch), and requests route by presence', () => {
  const rc = routesFor([svc('reviews', 'prod'), subsets, vs('reviews', 'prod', {
    hosts: ['reviews'],
    http: [
      { name: 'canary', match: [{ headers: { 'x-canary': {} }, withoutHeaders: { 'x-legacy': {} } }], route: [route('reviews', { subset: 'v2' })] },
      { name: 'preview', match: [{ queryParams: { preview: {} }, method: {} }], route: [route('reviews', { subset: 'v2' })] },
      { name: 'stable', route: [route('reviews', { subset: 'v1' })] },
    ],
  })]);
  const canary = rc.virtualHosts[0]!.routes.find((r) => r.name === 'canary')!;
  assert.equal(canary.match!.headers.map((h) => [h.name, h.headerMatchSpecifier.case, h.headerMatchSpecifier.value, h.invertMatch]), [['x-canary', 'presentMatch', true, false], ['x-legacy', 'presentMatch', true, true]]);
  const preview = rc.virtualHosts[0]!.routes.find((r) => r.name === 'preview')!;
  assert.equal(preview.match!.queryParameters.map((q) => [q.name, q.queryParameterMatchSpecifier.case]), [['preview', 'presentMatch']]);
  assert.equal(preview.match!.headers.map((h) => [h.name, h.headerMatchSpecifier.case]), [[':method', 'presentMatch']]);
  const table: [Parameters<typeof selectRoute>[1], string][] = [
    [{ authority: REVIEWS, path: '/', headers: { 'x-canary': 'anything' } }, 'canary'],
    [{ authority: REVIEWS, path: '/', headers: { 'x-canary': '' } }, 'canary'],
    [{ authority: REVIEWS, path: '/', headers: { 'x-canary': '1', 'x-legacy': '1' } }, 'stable'],
    [{ authority: REVIEWS, path: '/' }, 'stable'],
    [{ authority: REVIEWS, path: '/?preview' }, 'preview'],
  ];
  for (const [req, name] of table) assert.is(selectRoute(rc, req)?.name, name, JSON.stringify(req));
});

test('GIVEN a route WHEN translated THEN its metadata names the VirtualService, field path and manifest file it came from, and no line (a line moves with every edit above it)', () => {
  const rc = routesFor([svc('reviews', 'prod'), vs('reviews', 'prod', { hosts: ['reviews'], http: [{ match: [{ uri: { prefix: '/a' } }], route: [route('reviews')] }] })]);
  const md = rc.virtualHosts[0]!.routes[0]!.metadata!.filterMetadata.meshproof as Record<string, unknown>;
  assert.equal(md.origin, { kind: 'VirtualService', namespace: 'prod', name: 'reviews', path: ['spec', 'http', 0], file: 'test.yaml' });
  assert.equal((md.match as { path: unknown }).path, ['spec', 'http', 0, 'match', 0]);
});

test('GIVEN a fault, a timeout with retries, a mirror, a rewrite, headers and CORS WHEN translated THEN each maps to its Envoy field', () => {
  const rc = routesFor([svc('reviews', 'prod'), svc('ratings', 'prod'), subsets, vs('reviews', 'prod', {
    hosts: ['reviews'],
    http: [
      { name: 'fault', match: [{ uri: { prefix: '/f' } }], route: [route('reviews')], timeout: '3s', fault: { abort: { httpStatus: 503, percentage: { value: 12.5 } }, delay: { fixedDelay: '1.5s', percentage: { value: 50 } } } },
      {
        name: 'rich', route: [route('reviews', { subset: 'v1' })], timeout: '3s', retries: { attempts: 4, perTryTimeout: '500ms', retryOn: '5xx' },
        mirror: { host: 'reviews', subset: 'v2' }, mirrorPercentage: { value: 25 },
        rewrite: { uri: '/v2', authority: 'internal' },
        headers: { request: { set: { 'x-a': '1' }, add: { 'x-b': '2' }, remove: ['x-c'] }, response: { remove: ['server'] } },
        corsPolicy: { allowOrigins: [{ exact: 'https://a.example' }], allowMethods: ['GET', 'POST'], maxAge: '60s', allowCredentials: true },
      },
    ],
  })]);
  const [fault, rich] = rc.virtualHosts.find((v) => v.name === `${REVIEWS}:9080`)!.routes;
  assert.is(fault!.action.case, 'route');
  const fa = fault!.action.value as { timeout?: { seconds: bigint }; retryPolicy?: { numRetries: number } };
  assert.equal([fa.timeout?.seconds, fa.retryPolicy?.numRetries], [3n, 2], 'a fault keeps the timeout and the default retries (istiod applyHTTPRouteDestination)');
  const hf = anyUnpack(fault!.typedPerFilterConfig['envoy.filters.http.fault']!, HTTPFaultSchema)!;
  assert.equal([hf.abort?.errorType, hf.abort?.percentage?.numerator, hf.abort?.percentage?.denominator], [{ case: 'httpStatus', value: 503 }, 125_000, 2]);
  assert.equal([hf.delay?.faultDelaySecifier.value, hf.delay?.percentage?.numerator], [{ $typeName: 'google.protobuf.Duration', seconds: 1n, nanos: 500_000_000 }, 500_000]);

  const ra = rich!.action.value as import('../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js').RouteAction;
  assert.equal([ra.timeout?.seconds, ra.retryPolicy?.numRetries, ra.retryPolicy?.retryOn, ra.retryPolicy?.perTryTimeout?.nanos], [3n, 4, '5xx', 500_000_000]);
  assert.equal(ra.requestMirrorPolicies.map((m) => [m.cluster, m.runtimeFraction?.defaultValue?.numerator]), [[`outbound|9080|v2|${REVIEWS}`, 250_000]]);
  assert.equal([ra.prefixRewrite, ra.hostRewriteSpecifier], ['/v2', { case: 'hostRewriteLiteral', value: 'internal' }]);
  assert.equal(rich!.requestHeadersToAdd.map((h) => [h.header?.key, h.header?.value, h.appendAction]), [['x-a', '1', 2], ['x-b', '2', 0]]);
  assert.equal([rich!.requestHeadersToRemove, rich!.responseHeadersToRemove], [['x-c'], ['server']]);
  // Envoy's CORS filter reads its own CorsPolicy (the extension type), not the route's legacy one.
  assert.is(rich!.typedPerFilterConfig['envoy.filters.http.cors']!.typeUrl, 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy');
  const cors = anyUnpack(rich!.typedPerFilterConfig['envoy.filters.http.cors']!, CorsPolicySchema)!;
  assert.equal([cors.allowOriginStringMatch[0]?.matchPattern, cors.allowMethods, cors.maxAge, cors.allowCredentials], [{ case: 'exact', value: 'https://a.example' }, 'GET,POST', '60', true]);
  assert.is(cors.forwardNotMatchingPreflights, true, 'istiod always writes forward_not_matching_preflights: true without unmatchedPreflights: IGNORE');
});

test('GIVEN corsPolicy.unmatchedPreflights IGNORE, FORWARD or unset WHEN translated THEN forward_not_matching_preflights is false, true, true (istiod writes it always; Envoy would otherwise default per version)', () => {
  const http = ['IGNORE', 'FORWARD', undefined].map((u, i) => ({
    name: `r${i}`, match: [{ uri: { prefix: `/${i}` } }], route: [route('reviews')],
    corsPolicy: { allowOrigins: [{ exact: 'https://a.example' }], ...(u ? { unmatchedPreflights: u } : {}) },
  }));
  const rc = routesFor([svc('reviews', 'prod'), vs('reviews', 'prod', { hosts: ['reviews'], http })]);
  const routes = rc.virtualHosts.find((v) => v.name === `${REVIEWS}:9080`)!.routes;
  assert.equal(routes.map((r) => anyUnpack(r.typedPerFilterConfig['envoy.filters.http.cors']!, CorsPolicySchema)!.forwardNotMatchingPreflights), [false, true, true]);
});

test('GIVEN a redirect and a route to an unknown host WHEN translated THEN the redirect keeps its code and the unknown host goes to BlackHoleCluster', () => {
  const rc = routesFor([svc('reviews', 'prod'), vs('reviews', 'prod', {
    hosts: ['reviews'],
    http: [
      { match: [{ uri: { prefix: '/old' } }], redirect: { uri: '/new', authority: 'b.example', redirectCode: 308 } },
      { route: [route('nowhere.example.com', { port: { number: 80 } })] },
    ],
  })]);
  const [red, lost] = rc.virtualHosts[0]!.routes;
  assert.is(red!.action.case, 'redirect');
  const ra = red!.action.value as { hostRedirect: string; responseCode: number; pathRewriteSpecifier: unknown };
  assert.equal([ra.hostRedirect, ra.responseCode, ra.pathRewriteSpecifier], ['b.example', RedirectAction_RedirectResponseCode.PERMANENT_REDIRECT, { case: 'pathRedirect', value: '/new' }]);
  assert.is(targetOf(lost), 'BlackHoleCluster');
});

test('GIVEN consistent hash in the DestinationRule WHEN a route targets that cluster THEN the route says what to hash (header, cookie, source IP), other routes hash nothing', () => {
  const rc = routesFor([svc('reviews', 'prod'), dr('reviews', 'prod', {
    host: 'reviews',
    subsets: [
      { name: 'v1', labels: { version: 'v1' } },
      { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } } },
      { name: 'v3', labels: { version: 'v3' }, trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: 'sticky', path: '/', ttl: '60s' } } } } },
      { name: 'v4', labels: { version: 'v4' }, trafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: true } } } },
    ],
  }), vs('reviews', 'prod', { hosts: ['reviews'], http: ['v1', 'v2', 'v3', 'v4'].map((v) => ({ name: v, match: [{ uri: { prefix: `/${v}` } }], route: [route('reviews', { subset: v })] })) })]);
  const hashes = rc.virtualHosts.find((v) => v.name === `${REVIEWS}:9080`)!.routes.map((r) => {
    const a = r.action.value as import('../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js').RouteAction;
    return [r.name, a.hashPolicy.map((h) => h.policySpecifier.case === 'cookie' ? ['cookie', h.policySpecifier.value.name, h.policySpecifier.value.ttl?.seconds] : h.policySpecifier.case === 'header' ? ['header', h.policySpecifier.value.headerName] : [h.policySpecifier.case])];
  });
  assert.equal(hashes, [['v1', []], ['v2', [['header', 'x-user']]], ['v3', [['cookie', 'sticky', 60n]]], ['v4', [['connectionProperties']]]]);
});

test.run();
