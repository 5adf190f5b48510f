import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CanaryRelease } from '../../src/constructs/canary-release.js';
import { Duration } from '../../src/constructs/duration.js';
import { HeaderSplit } from '../../src/constructs/header-split.js';
import type { HttpRouteOptions } from '../../src/constructs/http-route.js';
import { MutualTlsGateway } from '../../src/constructs/mutual-tls-gateway.js';
import { RouteTable } from '../../src/constructs/route-table.js';
import { StringMatch } from '../../src/constructs/string-match.js';
import { synth, throwsProp } from '../_synth.js';

const reviews = { host: 'reviews.default.svc.cluster.local', namespace: 'default', subsetNames: ['v1', 'v2', 'v3'], portNumbers: [9080] };
const toV1: HttpRouteOptions = { match: [{ uri: '/ok' }], route: [{ destination: reviews, subset: 'v1' }] };

/** Builds a RouteTable `test/reviews` and adds `routes` to it in order. */
function table(...routes: HttpRouteOptions[]): () => unknown {
  return () => synth((chart) => {
    new RouteTable(chart, 'reviews', { hosts: [reviews] }).addRoutes(...routes);
  });
}

test('GIVEN a route weight of 12.5 WHEN added THEN MP_INVALID_WEIGHT names the weight', () => {
  throwsProp(table({ route: [{ destination: reviews, subset: 'v1', weight: 87.5 }, { destination: reviews, subset: 'v2', weight: 12.5 }] }),
    { code: 'MP_INVALID_WEIGHT', field: 'routes[0].route[0].weight', path: 'test/reviews', value: 87.5 });
});

test('GIVEN a canaryWeight of 12.5 WHEN constructed THEN MP_INVALID_WEIGHT names canaryWeight', () => {
  throwsProp(() => synth((chart) => new CanaryRelease(chart, 'reviews-canary', { service: reviews, stable: 'v1', canary: 'v2', canaryWeight: 12.5 })),
    { code: 'MP_INVALID_WEIGHT', field: 'canaryWeight', path: 'test/reviews-canary', value: 12.5 });
});

test('GIVEN a weight over 100 WHEN added THEN MP_INVALID_WEIGHT names the weight', () => {
  throwsProp(table({ route: [{ destination: reviews, subset: 'v1', weight: 101 }] }),
    { code: 'MP_INVALID_WEIGHT', field: 'routes[0].route[0].weight', path: 'test/reviews', value: 101 });
});

test('GIVEN a canaryWeight of 150 WHEN constructed THEN MP_INVALID_WEIGHT names canaryWeight', () => {
  throwsProp(() => synth((chart) => new CanaryRelease(chart, 'reviews-canary', { service: reviews, stable: 'v1', canary: 'v2', canaryWeight: 150 })),
    { code: 'MP_INVALID_WEIGHT', field: 'canaryWeight', path: 'test/reviews-canary', value: 150 });
});

test('GIVEN weights totalling 90 on the second route WHEN added THEN MP_WEIGHT_TOTAL names that route', () => {
  throwsProp(table(toV1, { route: [{ destination: reviews, subset: 'v1', weight: 60 }, { destination: reviews, subset: 'v2', weight: 30 }] }),
    { code: 'MP_WEIGHT_TOTAL', field: 'routes[1].route', path: 'test/reviews', value: [60, 30] });
});

test('GIVEN a timeout of "2 seconds" WHEN added THEN MP_INVALID_DURATION names the timeout', () => {
  throwsProp(table({ ...toV1, timeout: '2 seconds' }),
    { code: 'MP_INVALID_DURATION', field: 'routes[0].timeout', path: 'test/reviews', value: '2 seconds' });
});

test('GIVEN a perTryTimeout of "0.5ms" WHEN added THEN MP_INVALID_DURATION names it (Istio needs at least 1ms)', () => {
  throwsProp(table({ ...toV1, retries: { attempts: 2, perTryTimeout: '0.5ms' } }),
    { code: 'MP_INVALID_DURATION', field: 'routes[0].retries.perTryTimeout', path: 'test/reviews', value: '0.5ms' });
});

test('GIVEN a canary timeout of "0.5ms" WHEN constructed THEN MP_INVALID_DURATION names timeout', () => {
  throwsProp(() => synth((chart) => new CanaryRelease(chart, 'c', { service: reviews, stable: 'v1', canary: 'v2', canaryWeight: 5, timeout: '0.5ms' })),
    { code: 'MP_INVALID_DURATION', field: 'timeout', path: 'test/c', value: '0.5ms' });
});

test('GIVEN a timeout of Duration.hours(100000000) WHEN added THEN MP_INVALID_DURATION names the timeout and the longest duration the API server accepts', () => {
  const err = throwsProp(table({ ...toV1, timeout: Duration.hours(100_000_000) }),
    { code: 'MP_INVALID_DURATION', field: 'routes[0].timeout', path: 'test/reviews' });
  assert.match(err.message, 'routes[0].timeout is Duration.hours(100000000); expected at most 2562047h47m16.854s');
});

test('GIVEN the longest duration the API server accepts and one millisecond more WHEN used as a timeout THEN the first is rendered and the second refused', () => {
  const longest = Duration.parse('2562047h47m16.854s');
  assert.is(longest.toIstio(), '9223372036854ms');
  const catchAll: HttpRouteOptions = { route: [{ destination: reviews, subset: 'v1' }] };
  assert.not.throws(table({ ...catchAll, timeout: longest }));
  throwsProp(table({ ...catchAll, timeout: Duration.millis(longest.milliseconds + 1) }),
    { code: 'MP_INVALID_DURATION', field: 'routes[0].timeout', path: 'test/reviews' });
});

test('GIVEN an upper-case header name in a match WHEN added THEN MP_INVALID_HEADER_NAME names the header', () => {
  throwsProp(table({ ...toV1, match: [{ headers: { 'End-User': 'jason' } }] }),
    { code: 'MP_INVALID_HEADER_NAME', field: 'routes[0].match[0].headers.End-User', path: 'test/reviews', value: 'End-User' });
});

test('GIVEN an upper-case pin header WHEN a canary is constructed THEN MP_INVALID_HEADER_NAME names pinCanary.header', () => {
  throwsProp(() => synth((chart) => new CanaryRelease(chart, 'c', {
    service: reviews, stable: 'v1', canary: 'v2', canaryWeight: 5, pinCanary: { header: 'X-Canary', value: '1' },
  })), { code: 'MP_INVALID_HEADER_NAME', field: 'pinCanary.header', path: 'test/c', value: 'X-Canary' });
});

test('GIVEN a regex with look-ahead (?=x) WHEN added THEN MP_INVALID_REGEX names the uri regex', () => {
  throwsProp(table({ ...toV1, match: [{ uri: StringMatch.regex('/a(?=x)') }] }),
    { code: 'MP_INVALID_REGEX', field: 'routes[0].match[0].uri.regex', path: 'test/reviews', value: '/a(?=x)' });
});

test('GIVEN a regex with a back-reference (a)\\1 WHEN a header split is constructed THEN MP_INVALID_REGEX names the header regex', () => {
  throwsProp(() => synth((chart) => new HeaderSplit(chart, 'split', {
    service: reviews, rules: [{ match: { headers: { 'x-user': StringMatch.regex('(a)\\1') } }, subset: 'v2' }], defaultSubset: 'v1',
  })), { code: 'MP_INVALID_REGEX', field: 'rules[0].match[0].headers.x-user.regex', path: 'test/split', value: '(a)\\1' });
});

test('GIVEN a subset named V1_beta in a route WHEN added THEN MP_INVALID_NAME names the subset', () => {
  throwsProp(table({ route: [{ destination: { host: 'reviews.default.svc.cluster.local', subset: 'V1_beta' } }] }),
    { code: 'MP_INVALID_NAME', field: 'routes[0].route[0].destination.subset', path: 'test/reviews', value: 'V1_beta' });
});

test('GIVEN a canary subset named V1_beta WHEN constructed THEN MP_INVALID_NAME names canary', () => {
  throwsProp(() => synth((chart) => new CanaryRelease(chart, 'c', { service: reviews, stable: 'v1', canary: 'V1_beta', canaryWeight: 5 })),
    { code: 'MP_INVALID_NAME', field: 'canary', path: 'test/c', value: 'V1_beta' });
});

test('GIVEN a canary without a stable version WHEN constructed THEN MP_MISSING_VERSION names stable', () => {
  throwsProp(() => synth((chart) => new CanaryRelease(chart, 'c', { service: reviews, canary: 'v2', canaryWeight: 5 } as never)),
    { code: 'MP_MISSING_VERSION', field: 'stable', path: 'test/c' });
});

test('GIVEN a canary whose stable version is not a subset of the service WHEN constructed THEN MP_MISSING_VERSION names stable', () => {
  throwsProp(() => synth((chart) => new CanaryRelease(chart, 'c', { service: reviews, stable: 'v0', canary: 'v2', canaryWeight: 5 })),
    { code: 'MP_MISSING_VERSION', field: 'stable', path: 'test/c', value: 'v0' });
});

test('GIVEN a gateway host "bad host!" WHEN constructed THEN MP_INVALID_HOST names the host', () => {
  throwsProp(() => synth((chart) => new MutualTlsGateway(chart, 'gw', { hosts: ['bad host!'], credentialName: 'cert' })),
    { code: 'MP_INVALID_HOST', field: 'hosts[0]', path: 'test/gw', value: 'bad host!' });
});

test('GIVEN a gateway host "*foo.com" (wildcard not a whole label) WHEN constructed THEN MP_INVALID_HOST names the host', () => {
  throwsProp(() => synth((chart) => new MutualTlsGateway(chart, 'gw', { hosts: ['*.example.com', '*foo.com'], credentialName: 'cert' })),
    { code: 'MP_INVALID_HOST', field: 'hosts[1]', path: 'test/gw', value: '*foo.com' });
});


test('GIVEN a route whose match list holds an empty entry WHEN added to a RouteTable THEN MP_INVALID_PROP names that entry (a catch-all leaves out match)', () => {
  throwsProp(table(toV1, { match: [{ port: 9080 }, {}], route: [{ destination: reviews, subset: 'v2' }] }, { route: [{ destination: reviews, subset: 'v1' }] }),
    { code: 'MP_INVALID_PROP', field: 'routes[1].match[1]', path: 'test/reviews', value: {} });
});

test('GIVEN routes whose matches each have one condition WHEN added to a RouteTable THEN they are accepted', () => {
  // Two HTTP ports, so the catch-all still serves 9443 after the route for 9080.
  const twoPorts = { ...reviews, portNumbers: [9080, 9443] };
  synth((chart) => new RouteTable(chart, 'reviews', { hosts: [twoPorts] }).addRoutes(
    { match: [{ port: 9080 }], route: [{ destination: twoPorts, subset: 'v2', port: 9080 }] },
    { match: [{ gateways: ['mesh'] }], route: [{ destination: twoPorts, subset: 'v3', port: 9080 }] },
    { route: [{ destination: twoPorts, subset: 'v1', port: 9080 }] }));
});

test.run();
