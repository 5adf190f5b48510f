/**
 * A sidecar's (and a proxyless gRPC client's) HTTP routes for a host end at the VirtualService's first catch-all,
 * as istiod builds them: route.go BuildHTTPRoutesForVirtualService stops at a rule without match or at the first
 * match entry whose Envoy route is a catch-all (IsCatchAllRoute: prefix "/" or regex exactly ".*", no header or
 * query matcher), for every proxy kind (sidecars and grpcgen both go through BuildSidecarOutboundVirtualHosts).
 * Delegates are merged into the root first, so a delegate's catch-all ends the root's later rules too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { route, svc, vs } from '../../mesh/view-fixtures.js';
import { assertRoundTrip } from './_roundtrip.js';
import { selectRoute, targetOf } from './_select.js';

const HOST = 'shop.prod.svc.cluster.local';
const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const cluster = (name: string) => `outbound|9080||${name}.prod.svc.cluster.local`;

/** The Envoy routes of HOST on port 9080 for `proxy` (`path` or `path+header names`), and where a request goes. */
function routesFor(objects: Record<string, unknown>[], opts: { proxyless?: boolean; proxy?: ReturnType<typeof describeProxy> } = {}) {
  const g = graphOf([...['shop', 'web', 'api', 'beta', 'admin'].map((s) => svc(s, 'prod')), ...objects]);
  const view = buildProxyView(g, opts.proxy ?? client);
  const set = translateProxy(view, [], { proxyless: opts.proxyless === true });
  assertRoundTrip(set);
  const rc = set.routes.find((r) => r.virtualHosts.some((v) => v.domains.includes(HOST)) && (opts.proxyless ? r.name === `${HOST}:9080` : r.name === '9080'))!;
  const vhost = rc.virtualHosts.find((v) => v.domains.includes(HOST))!;
  return {
    view,
    paths: vhost.routes.map((r) => {
      const p = r.match!.pathSpecifier;
      const headers = r.match!.headers.map((h) => h.name);
      return `${p.case}:${p.case === 'safeRegex' ? p.value.regex : p.value}${headers.length ? `+${headers.join('+')}` : ''}`;
    }),
    to: (path: string, headers: Record<string, string> = {}) => targetOf(selectRoute(rc, { authority: HOST, path, headers })),
  };
}

const rules = (...http: unknown[]) => [vs('shop', 'prod', { hosts: ['shop'], http })];

test('GIVEN a header rule, a rule without match, then a /api rule WHEN the sidecar is translated THEN the /api rule is not built (istiod stops at the catch-all) and /api reaches the catch-all', () => {
  const r = routesFor(rules(
    { match: [{ headers: { 'x-beta': { exact: '1' } } }], route: [route('beta')] },
    { route: [route('web')] },
    { match: [{ uri: { prefix: '/api' } }], route: [route('api')] },
  ));
  assert.equal(r.paths, ['prefix:/+x-beta', 'prefix:/']);
  assert.is(r.to('/api'), cluster('web'));
  assert.is(r.to('/api', { 'x-beta': '1' }), cluster('beta'));
  assert.equal(r.view.routes.find((h) => h.host === HOST && h.port === 9080)!.http.map((h) => h.origin.path.join('.')), ['spec.http.0', 'spec.http.1']);
});

test('GIVEN a rule whose match entries are /admin, prefix / and /api WHEN the sidecar is translated THEN the entries after prefix / and every later rule are left out', () => {
  const r = routesFor(rules(
    { match: [{ uri: { prefix: '/admin' } }, { uri: { prefix: '/' } }, { uri: { prefix: '/api' } }], route: [route('admin')] },
    { match: [{ uri: { prefix: '/beta' } }], route: [route('beta')] },
  ));
  assert.equal(r.paths, ['prefix:/admin', 'prefix:/']);
  assert.is(r.to('/beta'), cluster('admin'));
});

test('GIVEN regex ".*", then "^.*$", then a method-only entry WHEN the sidecar is translated THEN only ".*" is istiod\'s catch-all: routes after "^.*$" or a :method matcher are built', () => {
  assert.equal(routesFor(rules(
    { match: [{ uri: { regex: '.*' } }], route: [route('web')] },
    { match: [{ uri: { prefix: '/api' } }], route: [route('api')] },
  )).paths, ['safeRegex:.*']);
  assert.equal(routesFor(rules(
    { match: [{ uri: { regex: '^.*$' } }], route: [route('web')] },
    { match: [{ uri: { prefix: '/api' } }], route: [route('api')] },
  )).paths, ['safeRegex:^.*$', 'prefix:/api']);
  assert.equal(routesFor(rules(
    { match: [{ method: { exact: 'GET' } }], route: [route('web')] },
    { match: [{ uri: { prefix: '/api' } }], route: [route('api')] },
  )).paths, ['prefix:/+:method', 'prefix:/api']);
});

test('GIVEN a catch-all entry for sourceLabels app=other WHEN a client with app=client is translated THEN the entry does not apply to it and does not end its routes; a client with app=other stops there', () => {
  const objects = rules(
    { match: [{ sourceLabels: { app: 'other' } }], route: [route('web')] },
    { match: [{ uri: { prefix: '/api' } }], route: [route('api')] },
  );
  assert.equal(routesFor(objects).paths, ['prefix:/api']);
  const other = describeProxy({ name: 'other', namespace: 'prod', labels: { app: 'other' } });
  assert.equal(routesFor(objects, { proxy: other }).paths, ['prefix:/']);
});

test('GIVEN a proxyless gRPC client WHEN translated THEN its route configuration <fqdn>:9080 ends at the catch-all too (grpcgen builds BuildSidecarOutboundVirtualHosts)', () => {
  const r = routesFor(rules(
    { match: [{ uri: { prefix: '/pkg.Shop/Get' } }], route: [route('api')] },
    { route: [route('web')] },
    { match: [{ uri: { prefix: '/pkg.Shop/List' } }], route: [route('beta')] },
  ), { proxyless: true });
  assert.equal(r.paths, ['prefix:/pkg.Shop/Get', 'prefix:/']);
  assert.is(r.to('/pkg.Shop/List'), cluster('web'));
});

test('GIVEN a root whose first rule delegates prefix / to a delegate ending in a rule without match, then a /beta rule WHEN the sidecar is translated THEN the merged catch-all (the root\'s prefix /) ends the routes: /beta is not built', () => {
  const r = routesFor([
    vs('shop', 'prod', { hosts: ['shop'], http: [
      { match: [{ uri: { prefix: '/' } }], delegate: { name: 'shop-paths' } },
      { match: [{ uri: { prefix: '/beta' } }], route: [route('beta')] },
    ] }),
    vs('shop-paths', 'prod', { http: [
      { match: [{ uri: { prefix: '/api' } }], route: [route('api')] },
      { route: [route('web')] },
    ] }),
  ]);
  assert.equal(r.paths, ['prefix:/api', 'prefix:/']);
  assert.is(r.to('/beta'), cluster('web'));
  assert.is(r.to('/api/x'), cluster('api'));
});

test('GIVEN a root delegating /shop to a delegate with a rule without match WHEN the sidecar is translated THEN the merged entry is prefix /shop, not a catch-all, and the root\'s later rules stay', () => {
  const r = routesFor([
    vs('shop', 'prod', { hosts: ['shop'], http: [
      { match: [{ uri: { prefix: '/shop' } }], delegate: { name: 'shop-paths' } },
      { match: [{ uri: { prefix: '/beta' } }], route: [route('beta')] },
      { route: [route('web')] },
      { match: [{ uri: { prefix: '/admin' } }], route: [route('admin')] },
    ] }),
    vs('shop-paths', 'prod', { http: [{ route: [route('api')] }] }),
  ]);
  assert.equal(r.paths, ['prefix:/shop', 'prefix:/beta', 'prefix:/']);
  assert.is(r.to('/admin'), cluster('web'));
});

test.run();
