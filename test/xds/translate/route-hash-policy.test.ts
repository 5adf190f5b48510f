/**
 * Route `hash_policy` as istiod builds it (`route.go` `processDestination` /
 * `processWeightedDestination` with `HashForHTTPDestination`, `hashForService` for a default route):
 * one policy per (non-zero-weight) destination, in order, not deduplicated; per destination the
 * subset's port-level hash, the subset's, the top-level port-level one (only when the destination
 * writes its port), then the top-level one.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import type { RouteAction, Route } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { dr, route, svc, vs } from '../../mesh/view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const REVIEWS = 'reviews.prod.svc.cluster.local';
const HEADER = { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } };
const COOKIE = { loadBalancer: { consistentHash: { httpCookie: { name: 'sticky', path: '/', ttl: '60s', attributes: [{ name: 'SameSite', value: 'Strict' }] } } } };
const SOURCE_IP = { loadBalancer: { consistentHash: { useSourceIp: true } } };

function routesOf(bodies: Record<string, unknown>[], port = 9080): Route[] {
  const set = translateProxy(buildProxyView(graphOf(bodies), client), []);
  return set.routes.find((r) => r.name === String(port))!.virtualHosts.find((v) => v.name === `${REVIEWS}:${port}`)!.routes;
}

/** Each route's hash policies as `[kind, key]`. */
function hashes(routes: Route[]): [string, string][][] {
  return routes.map((r) => (r.action.value as RouteAction).hashPolicy.map((h) => {
    const s = h.policySpecifier;
    return [s.case!, s.case === 'header' ? s.value.headerName : s.case === 'cookie' ? s.value.name : s.case === 'queryParameter' ? s.value.name : s.case === 'connectionProperties' ? String(s.value.sourceIp) : ''];
  }));
}

const subsetsDr = (subsets: Record<string, unknown>[], trafficPolicy?: Record<string, unknown>) =>
  dr('reviews', 'prod', { host: 'reviews', ...(trafficPolicy ? { trafficPolicy } : {}), subsets });

test('GIVEN a 3-way split whose subsets hash on a header, a cookie and nothing WHEN translated THEN the route carries both hash policies, in destination order', () => {
  const routes = routesOf([svc('reviews', 'prod'), subsetsDr([
    { name: 'v1', labels: { version: 'v1' }, trafficPolicy: HEADER },
    { name: 'v2', labels: { version: 'v2' } },
    { name: 'v3', labels: { version: 'v3' }, trafficPolicy: COOKIE },
  ]), vs('reviews', 'prod', { hosts: ['reviews'], http: [{ route: [route('reviews', { subset: 'v1' }), route('reviews', { subset: 'v2' }), route('reviews', { subset: 'v3' })].map((r, i) => ({ ...r, weight: [50, 25, 25][i] })) }] })]);
  assert.equal(hashes(routes), [[['header', 'x-user'], ['cookie', 'sticky']]]);
  const cookie = (routes[0]!.action.value as RouteAction).hashPolicy[1]!.policySpecifier.value as { ttl?: { seconds: bigint }; path: string; attributes: { name: string; value: string }[] };
  assert.equal([cookie.ttl?.seconds, cookie.path, cookie.attributes.map((a) => [a.name, a.value])], [60n, '/', [['SameSite', 'Strict']]], 'cookie TTL, path and attributes as istiod copies them');
});

test('GIVEN a split whose two subsets inherit one top-level hash WHEN translated THEN the policy appears twice (istiod does not deduplicate); a weight-0 destination adds none', () => {
  const routes = routesOf([svc('reviews', 'prod'), subsetsDr([{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }, { name: 'v3', labels: { version: 'v3' } }], HEADER),
    vs('reviews', 'prod', { hosts: ['reviews'], http: [{ route: [{ ...route('reviews', { subset: 'v1' }), weight: 60 }, { ...route('reviews', { subset: 'v2' }), weight: 40 }, { ...route('reviews', { subset: 'v3' }), weight: 0 }] }] })]);
  assert.equal(hashes(routes), [[['header', 'x-user'], ['header', 'x-user']]]);
});

test('GIVEN a top-level hash and a subset with loadBalancer.simple WHEN a route targets the subset THEN the route still hashes on the top-level key (the subset sets no hash)', () => {
  const routes = routesOf([svc('reviews', 'prod'), subsetsDr([{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } }], SOURCE_IP),
    vs('reviews', 'prod', { hosts: ['reviews'], http: [{ route: [route('reviews', { subset: 'v1' })] }] })]);
  assert.equal(hashes(routes), [[['connectionProperties', 'true']]]);
});

test('GIVEN port-level hashes WHEN the destination writes its port THEN the subset port-level hash wins, then the top-level port-level one; without a written port they are ignored', () => {
  const portLevel = (key: string) => ({ portLevelSettings: [{ port: { number: 9080 }, loadBalancer: { consistentHash: { httpHeaderName: key } } }] });
  const rule = subsetsDr([
    { name: 'v1', labels: { version: 'v1' }, trafficPolicy: { ...HEADER, ...portLevel('x-subset-port') } },
    { name: 'v2', labels: { version: 'v2' } },
  ], { loadBalancer: { consistentHash: { httpHeaderName: 'x-top' } }, ...portLevel('x-top-port') });
  const http = [
    { match: [{ uri: { prefix: '/a' } }], route: [route('reviews', { subset: 'v1', port: { number: 9080 } })] },
    { match: [{ uri: { prefix: '/b' } }], route: [route('reviews', { subset: 'v1' })] },
    { match: [{ uri: { prefix: '/c' } }], route: [route('reviews', { subset: 'v2', port: { number: 9080 } })] },
    { route: [route('reviews', { subset: 'v2' })] },
  ];
  assert.equal(hashes(routesOf([svc('reviews', 'prod'), rule, vs('reviews', 'prod', { hosts: ['reviews'], http })])),
    [[['header', 'x-subset-port']], [['header', 'x-user']], [['header', 'x-top-port']], [['header', 'x-top']]]);
});

test('GIVEN no VirtualService and a port-level hash WHEN the default route is built THEN it hashes on the port-level key (istiod hashForService)', () => {
  const rule = dr('reviews', 'prod', { host: 'reviews', trafficPolicy: { ...HEADER, portLevelSettings: [{ port: { number: 9080 }, loadBalancer: { consistentHash: { httpQueryParameterName: 'u' } } }] } });
  assert.equal(hashes(routesOf([svc('reviews', 'prod'), rule])), [[['queryParameter', 'u']]]);
});

test('GIVEN useSourceIp: false WHEN translated THEN istiod still emits connection_properties, with source_ip false (no key)', () => {
  const routes = routesOf([svc('reviews', 'prod'), dr('reviews', 'prod', { host: 'reviews', trafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: false } } } })]);
  assert.equal(hashes(routes), [[['connectionProperties', 'false']]]);
});

test.run();
