/**
 * A gateway virtual host merges every VirtualService bound to it for the host, and istiod then moves the
 * catch-all routes (prefix `/` or regex `.*`, no header or query matcher) after the others (gateway.go
 * buildGatewayHTTPRouteConfig → route.go SortVHostRoutes), after cutting each VirtualService's routes at its
 * first catch-all (BuildHTTPRoutesForVirtualService). So an older VirtualService's catch-all does not take
 * the requests a newer one routes by path; sidecars keep the written order.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { gw, route, svc, vs } from '../../mesh/view-fixtures.js';
import { selectRoute, targetOf, type TestRequest } from './_select.js';

const HOST = 'shop.example.com';
const ingress = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ingress', namespace: 'istio-system' },
  spec: { template: { metadata: { labels: { istio: 'ingressgateway' } }, spec: { containers: [{ name: 'istio-proxy' }] } } },
};
const at = (month: number) => ({ creationTimestamp: `2024-0${month}-01T00:00:00Z` });
const cluster = (name: string) => `outbound|9080||${name}.shop.svc.cluster.local`;

/** The gateway's `http.80` route table for VirtualServices `specs` (oldest first) bound to `istio-system/edge` for HOST. */
function gatewayRoutes(http: unknown[][], gateways: string[] = ['istio-system/edge']) {
  const g = graphOf([
    ingress,
    gw('edge', 'istio-system', [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [HOST] }]),
    ...['web', 'api', 'beta'].map((s) => svc(s, 'shop')),
    ...http.map((rules, i) => vs(`vs${i}`, 'shop', { hosts: [HOST], gateways, http: rules }, at(i + 1))),
  ]);
  const view = buildProxyView(g, proxiesOf(g).find((p) => p.type === 'router')!);
  const rc = translateProxy(view, []).routes.find((r) => r.name === 'http.80')!;
  return {
    paths: rc.virtualHosts.find((v) => v.domains.includes(HOST))!.routes.map((r) => {
      const p = r.match!.pathSpecifier;
      return `${p.case}:${p.case === 'safeRegex' ? p.value.regex : p.value}${r.match!.headers.length ? `+${r.match!.headers.map((h) => h.name).join('+')}` : ''}`;
    }),
    to: (req: Omit<TestRequest, 'authority'>) => targetOf(selectRoute(rc, { authority: HOST, ...req })),
  };
}

test('GIVEN an older VirtualService whose only rule is a catch-all and a newer one routing /api WHEN the gateway is translated THEN /api comes first and reaches the newer one\'s destination; other paths the older one\'s', () => {
  const r = gatewayRoutes([[{ route: [route('web')] }], [{ match: [{ uri: { prefix: '/api' } }], route: [route('api')] }]]);
  assert.equal(r.paths, ['prefix:/api', 'prefix:/']);
  assert.is(r.to({ path: '/api/orders' }), cluster('api'));
  assert.is(r.to({ path: '/' }), cluster('web'));
});

test('GIVEN an older catch-all written as uri prefix / and as regex .* WHEN the gateway is translated THEN both move after the newer /api route, the older first', () => {
  const r = gatewayRoutes([
    [{ match: [{ uri: { prefix: '/' } }], route: [route('web')] }],
    [{ match: [{ uri: { regex: '.*' } }], route: [route('beta')] }],
    [{ match: [{ uri: { prefix: '/api' } }], route: [route('api')] }],
  ]);
  assert.equal(r.paths, ['prefix:/api', 'prefix:/', 'safeRegex:.*']);
  assert.is(r.to({ path: '/api' }), cluster('api'));
  assert.is(r.to({ path: '/x' }), cluster('web'));
});

test('GIVEN an older rule matching a header OR any path WHEN the gateway is translated THEN its header route keeps its place and only its catch-all entry moves to the end', () => {
  const r = gatewayRoutes([
    [{ match: [{ headers: { 'x-beta': { exact: '1' } } }, { uri: { prefix: '/' } }], route: [route('beta')] }],
    [{ match: [{ uri: { prefix: '/api' } }], route: [route('api')] }],
  ]);
  assert.equal(r.paths, ['prefix:/+x-beta', 'prefix:/api', 'prefix:/']);
  assert.is(r.to({ path: '/api', headers: { 'x-beta': '1' } }), cluster('beta'));
  assert.is(r.to({ path: '/api' }), cluster('api'));
  assert.is(r.to({ path: '/home' }), cluster('beta'));
});

test('GIVEN a catch-all that matches a method, a header absence or a query parameter WHEN the gateway is translated THEN it is not a catch-all (Envoy header / query matchers) and keeps its place before the newer /api route', () => {
  for (const match of [{ method: { exact: 'GET' } }, { withoutHeaders: { 'x-debug': { exact: '1' } } }, { queryParams: { v: { exact: '2' } } }]) {
    const r = gatewayRoutes([[{ match: [match], route: [route('web')] }], [{ match: [{ uri: { prefix: '/api' } }], route: [route('api')] }]]);
    assert.is(r.paths[1], 'prefix:/api', JSON.stringify(match));
  }
});

test('GIVEN one VirtualService with a catch-all rule before an /api rule WHEN the gateway is translated THEN the /api rule is never built (istiod stops at the catch-all) and /api reaches the catch-all\'s destination', () => {
  const r = gatewayRoutes([[{ route: [route('web')] }, { match: [{ uri: { prefix: '/api' } }], route: [route('api')] }]]);
  assert.equal(r.paths, ['prefix:/']);
  assert.is(r.to({ path: '/api' }), cluster('web'));
});

test('GIVEN the same two VirtualServices on the sidecars (gateways: [mesh]) WHEN a sidecar is translated THEN the first VirtualService alone serves the host, in written order (no sorting)', () => {
  const g = graphOf([
    ...['web', 'api'].map((s) => svc(s, 'shop')),
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'client', namespace: 'shop' }, spec: { template: { metadata: { labels: { app: 'client' } }, spec: { containers: [{ name: 'app' }] } } } },
    vs('web', 'shop', { hosts: ['web'], http: [{ route: [route('web')] }, { match: [{ uri: { prefix: '/api' } }], route: [route('api')] }] }),
  ]);
  const view = buildProxyView(g, proxiesOf(g).find((p) => p.type === 'sidecar' && p.name.startsWith('client'))!);
  const rc = translateProxy(view, []).routes.find((r) => r.name === '9080')!;
  assert.is(targetOf(selectRoute(rc, { authority: 'web.shop.svc.cluster.local', path: '/api' })), cluster('web'));
});

test.run();
