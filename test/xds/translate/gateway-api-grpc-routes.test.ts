/**
 * GRPCRoute as istiod converts it (conversion.go `convertGRPCRoute`): the gRPC method becomes a path match on
 * `/<service>/<method>`, headers match as written, a rule without matches matches everything and sorts last, and
 * the routes merge with the HTTPRoutes of the same listener and host (on a Gateway) or Service (in the mesh). A
 * mirror whose backend istiod cannot build fails the whole GRPCRoute.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grpcUriOf } from '../../../src/mesh/gateway-api-grpc-routes.js';
import { buildProxyView, describeProxy, proxiesOf } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { checkSnapshot } from '../../../src/xds/snapshot-check.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import type { RouteConfiguration } from '../../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import { graphOf } from '../../mesh/_graph.js';
import { svc } from '../../mesh/view-fixtures.js';
import { assertRoundTrip } from './_roundtrip.js';
import { selectRoute, targetOf } from './_select.js';

const GW = 'gateway.networking.k8s.io/v1';
const services = [svc('cart-v1', 'shop', [{ port: 9090, name: 'grpc' }]), svc('cart-v2', 'shop', [{ port: 9090, name: 'grpc' }]), svc('web', 'shop')];
const cluster = (name: string, port = 9090) => `outbound|${port}||${name}.shop.svc.cluster.local`;
const grpcRoute = (name: string, parentRefs: unknown[], rules: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: GW, kind: 'GRPCRoute', metadata: { name, namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { parentRefs, rules, ...extra },
});
const to = (name: string) => [{ name, port: 9090 }];
const gateway = { apiVersion: GW, kind: 'Gateway', metadata: { name: 'public', namespace: 'shop' }, spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } };
const reach = (rc: RouteConfiguration, authority: string, path: string, headers: Record<string, string> = {}) => targetOf(selectRoute(rc, { authority, path, method: 'POST', headers }));

test('GIVEN gRPC method matches WHEN converted THEN Exact service+method is a path, service only a prefix, method only or RegularExpression a regex, no method no URI match', () => {
  assert.equal([
    grpcUriOf({ service: 'shop.Cart', method: 'Add' }), grpcUriOf({ service: 'shop.Cart' }), grpcUriOf({ method: 'Add' }),
    grpcUriOf({ type: 'RegularExpression', service: 'shop\\..*', method: 'A.*' }), grpcUriOf({ type: 'RegularExpression', service: 'shop.Cart' }), grpcUriOf(undefined),
  ], [{ exact: '/shop.Cart/Add' }, { prefix: '/shop.Cart/' }, { regex: '/[^/]+/Add' }, { regex: '/shop\\..*/A.*' }, { regex: '/shop.Cart/.+' }, null]);
});

/** The gateway's RDS http.80 for `objects`, checked for consistency. */
function gatewayRoutes(objects: Record<string, unknown>[]): RouteConfiguration {
  const g = graphOf([...services, gateway, ...objects]);
  const set = translateProxy(buildProxyView(g, proxiesOf(g).find((p) => p.type === 'router')!), []);
  assert.equal(checkSnapshot(createSnapshot(set)), []);
  assertRoundTrip(set);
  return set.routes.find((r) => r.name === 'http.80')!;
}
const names = (rc: RouteConfiguration, vh: string) => rc.virtualHosts.find((v) => v.name === vh)!.routes.map((r) => [r.name, r.match?.pathSpecifier.case, r.match?.pathSpecifier.value, r.match?.headers.map((h) => h.name) ?? []]);

test('GIVEN a GRPCRoute on a Gateway listener WHEN the gateway is translated THEN Add reaches v2, other Cart methods v1 (path_separated_prefix /shop.Cart), x-canary v1, and the rule without matches comes last', () => {
  const rc = gatewayRoutes([grpcRoute('cart', [{ name: 'public' }], [
    { backendRefs: [{ name: 'web', port: 9080 }] },
    { matches: [{ method: { service: 'shop.Cart', method: 'Add' } }], backendRefs: to('cart-v2') },
    { matches: [{ method: { service: 'shop.Cart' } }, { headers: [{ name: 'x-canary', value: 'true' }] }], backendRefs: to('cart-v1') },
  ], { hostnames: ['api.example.com'] })]);
  assert.equal(names(rc, 'api.example.com:80'), [
    ['shop.cart.1', 'path', '/shop.Cart/Add', []],
    ['shop.cart.2', 'pathSeparatedPrefix', '/shop.Cart', []],
    ['shop.cart.2', 'prefix', '/', ['x-canary']],
    ['shop.cart.0', 'prefix', '/', []],
  ]);
  assert.is(reach(rc, 'api.example.com', '/shop.Cart/Add'), cluster('cart-v2'));
  assert.is(reach(rc, 'api.example.com', '/shop.Cart/Remove'), cluster('cart-v1'));
  assert.is(reach(rc, 'api.example.com', '/other.Svc/Get', { 'x-canary': 'true' }), cluster('cart-v1'));
  assert.is(reach(rc, 'api.example.com', '/other.Svc/Get'), cluster('web', 9080));
  const origin = rc.virtualHosts[0]!.routes[1]!.metadata?.filterMetadata.meshproof?.match as Record<string, unknown>;
  assert.equal([origin.kind, origin.path], ['GRPCRoute', ['spec', 'rules', 2, 'matches', 0]]);
});

test('GIVEN a GRPCRoute and an HTTPRoute for one host on one listener WHEN merged THEN one virtual host: the HTTPRoute\'s PathPrefix / ranks above a header-only gRPC match, and istiod\'s routes end at that catch-all', () => {
  const rc = gatewayRoutes([
    grpcRoute('cart', [{ name: 'public' }], [
      { matches: [{ method: { service: 'shop.Cart', method: 'Add' } }, { headers: [{ name: 'x-canary', value: 'true' }] }], backendRefs: to('cart-v2') },
    ], { hostnames: ['api.example.com'] }),
    { apiVersion: GW, kind: 'HTTPRoute', metadata: { name: 'web', namespace: 'shop', creationTimestamp: '2026-01-02T00:00:00Z' }, spec: { parentRefs: [{ name: 'public' }], hostnames: ['api.example.com'], rules: [{ backendRefs: [{ name: 'web', port: 9080 }] }] } },
  ]);
  assert.equal(names(rc, 'api.example.com:80'), [['shop.cart.0', 'path', '/shop.Cart/Add', []], ['shop.web.0', 'prefix', '/', []]]);
  assert.is(reach(rc, 'api.example.com', '/x', { 'x-canary': 'true' }), cluster('web', 9080));
});

test('GIVEN a mesh GRPCRoute (parentRef Service cart-v1) WHEN a sidecar in shop is translated THEN the Add method goes to v2 and nothing else matches; a GRPCRoute mirroring to a Service not in the input gives nothing', () => {
  const mesh = (name: string, filters: unknown[] = []) => grpcRoute(name, [{ group: '', kind: 'Service', name: 'cart-v1' }], [
    { matches: [{ method: { service: 'shop.Cart', method: 'Add' } }], backendRefs: to('cart-v2'), filters },
  ]);
  const client = describeProxy({ name: 'client', namespace: 'shop', labels: { app: 'client' } });
  const routesOf = (objects: Record<string, unknown>[]) => {
    const set = translateProxy(buildProxyView(graphOf([...services, ...objects]), client), []);
    return set.routes.find((r) => r.name === '9090')!;
  };
  const rc = routesOf([mesh('cart')]);
  const host = 'cart-v1.shop.svc.cluster.local:9090';
  assert.is(reach(rc, host, '/shop.Cart/Add'), cluster('cart-v2'));
  assert.is(reach(rc, host, '/shop.Cart/List'), 'NR', 'the GRPCRoute replaces the Service\'s default route');
  const mirrored = routesOf([mesh('cart', [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'audit', port: 9090 } } }])]);
  assert.is(reach(mirrored, host, '/shop.Cart/Add'), cluster('cart-v1'), 'istiod fails the GRPCRoute whole: the default route');
});

test.run();
