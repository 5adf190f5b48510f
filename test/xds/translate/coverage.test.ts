/**
 * The rest of #8's coverage list, one decoded-proto check per feature, each with the input that
 * must not produce it: regex rewrite, ignoreUriCase, withoutHeaders, destination header operations,
 * retriable status codes, maglev and query-parameter hashing, slow start, upstream TLS from a
 * credentialName (SIMPLE and MUTUAL), per-port overrides.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { Cluster_LbPolicy } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { Route } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { UpstreamTlsContextSchema } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { assertRoundTrip } from './_roundtrip.js';
import { dr, route, svc, vs } from '../../mesh/view-fixtures.js';
import { selectRoute } from './_select.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const REVIEWS = 'reviews.prod.svc.cluster.local';
const translate = (bodies: Record<string, unknown>[]) => {
  const set = translateProxy(buildProxyView(graphOf(bodies), client), []);
  assertRoundTrip(set);
  return set;
};
const routeNamed = (bodies: Record<string, unknown>[], name: string): Route => {
  const r = translate(bodies).routes.find((rc) => rc.name === '9080')!.virtualHosts.flatMap((v) => v.routes).find((x) => x.name === name);
  assert.ok(r, `no route ${name}`);
  return r;
};
const action = (r: Route) => {
  assert.is(r.action.case, 'route');
  return (r.action as { value: import('../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js').RouteAction }).value;
};

test('GIVEN rewrite.uriRegexRewrite WHEN translated THEN regex_rewrite carries pattern and substitution; a plain uri rewrite gives prefix_rewrite instead', () => {
  const bodies = [svc('reviews', 'prod'), vs('reviews', 'prod', { hosts: ['reviews'], http: [
    { name: 'rx', match: [{ uri: { prefix: '/v1' } }], rewrite: { uriRegexRewrite: { match: '^/v1/(.*)$', rewrite: '/\\1' } }, route: [route('reviews')] },
    { name: 'plain', rewrite: { uri: '/new' }, route: [route('reviews')] },
  ] })];
  const rx = action(routeNamed(bodies, 'rx'));
  assert.equal([rx.regexRewrite?.pattern?.regex, rx.regexRewrite?.substitution, rx.prefixRewrite], ['^/v1/(.*)$', '/\\1', '']);
  const plain = action(routeNamed(bodies, 'plain'));
  assert.equal([plain.regexRewrite, plain.prefixRewrite], [undefined, '/new']);
});

test('GIVEN ignoreUriCase and withoutHeaders WHEN translated THEN case_sensitive is false only where asked (istiod writes true elsewhere), and a withoutHeaders header inverts its matcher', () => {
  const bodies = [svc('reviews', 'prod'), vs('reviews', 'prod', { hosts: ['reviews'], http: [
    { name: 'ci', match: [{ uri: { prefix: '/Admin' }, ignoreUriCase: true }], route: [route('reviews')] },
    { name: 'cs', match: [{ uri: { prefix: '/Api' } }], route: [route('reviews')] },
    { name: 'anon', match: [{ withoutHeaders: { authorization: { prefix: 'Bearer ' } } }], directResponse: { status: 401 } },
  ] })];
  assert.is(routeNamed(bodies, 'ci').match?.caseSensitive, false);
  assert.is(routeNamed(bodies, 'cs').match?.caseSensitive, true);
  const rc = translate(bodies).routes.find((r) => r.name === '9080')!;
  assert.is(selectRoute(rc, { authority: 'reviews', path: '/x' })?.name, 'anon');
  assert.is(selectRoute(rc, { authority: 'reviews', path: '/x', headers: { authorization: 'Bearer t' } }), undefined);
});

test('GIVEN header operations on route destinations WHEN translated THEN a split puts them on each weighted cluster, a single destination on the route after the route-level ones', () => {
  const subsets = dr('reviews', 'prod', { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] });
  const bodies = [svc('reviews', 'prod'), subsets, vs('reviews', 'prod', { hosts: ['reviews'], http: [
    { name: 'split', match: [{ uri: { prefix: '/split' } }], route: [
      { ...route('reviews', { subset: 'v1' }), weight: 50, headers: { request: { set: { 'x-canary': 'no' } } } },
      { ...route('reviews', { subset: 'v2' }), weight: 50, headers: { request: { set: { 'x-canary': 'yes' } }, response: { remove: ['x-internal'] } } },
    ] },
    { name: 'one', headers: { request: { add: { 'x-route': '1' } } }, route: [{ ...route('reviews'), headers: { request: { set: { 'x-dest': 'reviews' } } } }] },
  ] })];
  const split = action(routeNamed(bodies, 'split'));
  const wc = split.clusterSpecifier.case === 'weightedClusters' ? split.clusterSpecifier.value.clusters : [];
  assert.equal(wc.map((c) => [c.name, c.requestHeadersToAdd.map((h) => `${h.header?.key}=${h.header?.value}`), c.responseHeadersToRemove]), [
    [`outbound|9080|v1|${REVIEWS}`, ['x-canary=no'], []], [`outbound|9080|v2|${REVIEWS}`, ['x-canary=yes'], ['x-internal']],
  ]);
  assert.equal(routeNamed(bodies, 'split').requestHeadersToAdd, [], 'destination headers stay on their weighted cluster');
  assert.equal(routeNamed(bodies, 'one').requestHeadersToAdd.map((h) => `${h.header?.key}=${h.header?.value}`), ['x-route=1', 'x-dest=reviews']);
});

test('GIVEN retries.retryOn with HTTP status codes WHEN translated THEN codes go to retriable_status_codes and retry_on gains retriable-status-codes; without codes nothing is added', () => {
  const bodies = [svc('reviews', 'prod'), vs('reviews', 'prod', { hosts: ['reviews'], http: [
    { name: 'codes', match: [{ uri: { prefix: '/a' } }], retries: { attempts: 3, retryOn: 'connect-failure,503,504' }, route: [route('reviews')] },
    { name: 'plain', retries: { attempts: 1, retryOn: 'reset' }, route: [route('reviews')] },
  ] })];
  const codes = action(routeNamed(bodies, 'codes')).retryPolicy!;
  assert.equal([codes.retryOn, codes.retriableStatusCodes, codes.numRetries], ['connect-failure,retriable-status-codes', [503, 504], 3]);
  const plain = action(routeNamed(bodies, 'plain')).retryPolicy!;
  assert.equal([plain.retryOn, plain.retriableStatusCodes], ['reset', []]);
});

test('GIVEN consistentHash maglev with tableSize, a query-parameter hash, and warmupDurationSecs WHEN translated THEN MAGLEV table_size, a query_parameter hash_policy, and slow_start_window', () => {
  const bodies = [svc('reviews', 'prod'), svc('ratings', 'prod'), svc('details', 'prod'),
    dr('reviews', 'prod', { host: 'reviews', trafficPolicy: { loadBalancer: { consistentHash: { httpQueryParameterName: 'user', maglev: { tableSize: 65537 } } } } }),
    dr('ratings', 'prod', { host: 'ratings', trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN', warmupDurationSecs: '30s' } } }),
    dr('details', 'prod', { host: 'details', trafficPolicy: { loadBalancer: { warmupDurationSecs: '5s' } } }),
    vs('reviews', 'prod', { hosts: ['reviews'], http: [{ name: 'r', route: [route('reviews')] }] }),
  ];
  const set = translate(bodies);
  const c = (h: string) => set.clusters.find((x) => x.name === `outbound|9080||${h}.prod.svc.cluster.local`)!;
  const reviews = c('reviews');
  assert.equal([reviews.lbPolicy, reviews.lbConfig.case === 'maglevLbConfig' && reviews.lbConfig.value.tableSize], [Cluster_LbPolicy.MAGLEV, 65537n]);
  assert.equal(action(routeNamed(bodies, 'r')).hashPolicy.map((h) => h.policySpecifier.case === 'queryParameter' && h.policySpecifier.value.name), ['user']);
  const ratings = c('ratings');
  assert.equal([ratings.lbPolicy, ratings.lbConfig.case === 'roundRobinLbConfig' && ratings.lbConfig.value.slowStartConfig?.slowStartWindow?.seconds], [Cluster_LbPolicy.ROUND_ROBIN, 30n]);
  const details = c('details');
  assert.equal([details.lbPolicy, details.lbConfig.case === 'leastRequestLbConfig' && details.lbConfig.value.slowStartConfig?.slowStartWindow?.seconds], [Cluster_LbPolicy.LEAST_REQUEST, 5n]);
  assert.is(action(routeNamed([svc('reviews', 'prod'), vs('reviews', 'prod', { hosts: ['reviews'], http: [{ name: 'r', route: [route('reviews')] }] })], 'r')).hashPolicy.length, 0, 'no consistentHash, no hash_policy');
});

test('GIVEN upstream TLS from a credentialName in a rule selecting the client (sidecars take credentials from no other) WHEN SIMPLE THEN no client certificate and the CA from <name>-cacert; WHEN MUTUAL THEN also the certificate kubernetes://<name>', () => {
  const tlsOf = (mode: string) => {
    const set = translate([svc('reviews', 'prod'), dr('reviews', 'prod', { host: 'reviews', workloadSelector: { matchLabels: { app: 'client' } }, trafficPolicy: { tls: { mode, credentialName: 'upstream', sni: 'reviews.example.com', subjectAltNames: ['reviews.example.com'] } } })]);
    const c = set.clusters.find((x) => x.name === `outbound|9080||${REVIEWS}`)!;
    return anyUnpack(c.transportSocket!.configType.value as never, UpstreamTlsContextSchema)!;
  };
  const simple = tlsOf('SIMPLE');
  const sv = simple.commonTlsContext?.validationContextType;
  assert.equal([simple.sni, simple.commonTlsContext?.tlsCertificateSdsSecretConfigs.length, sv?.case === 'combinedValidationContext' && sv.value.validationContextSdsSecretConfig?.name],
    ['reviews.example.com', 0, 'kubernetes://upstream-cacert']);
  const mutual = tlsOf('MUTUAL');
  assert.equal(mutual.commonTlsContext?.tlsCertificateSdsSecretConfigs.map((s) => s.name), ['kubernetes://upstream']);
});

test('GIVEN portLevelSettings WHEN two ports of one host are translated THEN only the named port gets the override', () => {
  const set = translate([
    svc('reviews', 'prod', [{ port: 9080, name: 'http' }, { port: 9443, name: 'http-admin' }]),
    dr('reviews', 'prod', { host: 'reviews', trafficPolicy: { loadBalancer: { simple: 'RANDOM' }, portLevelSettings: [{ port: { number: 9443 }, loadBalancer: { simple: 'ROUND_ROBIN' }, connectionPool: { tcp: { maxConnections: 7 } } }] } }),
  ]);
  const c = (p: number) => set.clusters.find((x) => x.name === `outbound|${p}||${REVIEWS}`)!;
  assert.equal([c(9080).lbPolicy, c(9443).lbPolicy], [Cluster_LbPolicy.RANDOM, Cluster_LbPolicy.ROUND_ROBIN]);
  assert.equal([c(9080).circuitBreakers?.thresholds[0]?.maxConnections, c(9443).circuitBreakers?.thresholds[0]?.maxConnections], [4294967295, 7]);
});

test.run();
