/**
 * GAMMA: an HTTPRoute whose parentRef is a Service becomes, as istiod converts it (pilot/pkg/config/kube/gateway
 * conversion.go convertHTTPRoute, route_collections.go HTTPRouteCollection + mergeHTTPRoutes), a mesh
 * VirtualService for the Service's host; the client sidecar's outbound RouteConfiguration for the port carries
 * its routes, sorted by the Gateway API precedence, with gateway semantics (path_separated_prefix, 500 for a
 * missing backend), each route's metadata naming the HTTPRoute and `spec.rules[i]`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Route } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { stringify } from 'yaml';
import { MeshGraph, type GraphOptions } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { ns, route, svc, vs } from '../../mesh/view-fixtures.js';
import { selectRoute, targetOf } from './_select.js';

type Obj = Record<string, unknown>;
const HOST = 'reviews.prod.svc.cluster.local';
const httpRoute = (name: string, namespace: string, spec: Obj, meta: Obj = {}): Obj =>
  ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, namespace, ...meta }, spec });
const toReviews = (extra: Obj = {}): Obj => ({ group: '', kind: 'Service', name: 'reviews', namespace: 'prod', ...extra });
const backend = (name: string, extra: Obj = {}): Obj => ({ name, port: 9080, ...extra });
const services = ['reviews', 'reviews-v1', 'reviews-v2', 'reviews-v3', 'mirror'].map((s) => svc(s, 'prod'));
const client = describeProxy({ name: 'client', namespace: 'web', labels: { app: 'client' } });

/** The client's routes for `host` on port 9080, and the RouteConfiguration they sit in. */
function routesFor(objects: Obj[], proxy = client, host = HOST, port = '9080') {
  const g = graphOf([ns('prod'), ns('web'), ...services, ...objects]);
  const view = buildProxyView(g, proxy);
  const rc = translateProxy(view, []).routes.find((r) => r.name === port)!;
  const vh = rc.virtualHosts.find((v) => v.domains.includes(host))!;
  return { view, rc, routes: vh.routes };
}

/** A route as the assertions read it: name, match, where it sends traffic, origin (object and field path). */
function describe(r: Route) {
  const m = r.match!;
  const md = r.metadata!.filterMetadata.meshproof as unknown as { origin: { kind: string; name: string; path: unknown[] }; match?: { path: unknown[] } };
  return {
    name: r.name,
    path: `${m.pathSpecifier.case}:${m.pathSpecifier.case === 'safeRegex' ? m.pathSpecifier.value.regex : String(m.pathSpecifier.value)}`,
    headers: m.headers.map((h) => `${h.name}=${h.headerMatchSpecifier.case === 'stringMatch' ? JSON.stringify(h.headerMatchSpecifier.value.matchPattern.value) : 'present'}`),
    query: m.queryParameters.map((q) => `${q.name}=${q.queryParameterMatchSpecifier.case === 'stringMatch' ? JSON.stringify(q.queryParameterMatchSpecifier.value.matchPattern.value) : 'present'}`),
    target: targetOf(r),
    origin: `${md.origin.kind} ${md.origin.name} ${md.origin.path.join('.')}`,
    match: md.match?.path.join('.'),
  };
}

const mainRoute = httpRoute('reviews', 'prod', {
  parentRefs: [toReviews()],
  rules: [
    {
      matches: [{ path: { type: 'PathPrefix', value: '/api/' }, headers: [{ name: 'X-User', value: 'jason' }] }, { path: { type: 'Exact', value: '/login' }, method: 'POST' }],
      filters: [
        { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Set', value: 'a' }], add: [{ name: 'X-Add', value: 'b' }], remove: ['x-gone'] } },
        { type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'X-Served', value: 'gamma' }] } },
        { type: 'RequestMirror', requestMirror: { backendRef: backend('mirror'), fraction: { numerator: 1, denominator: 4 } } },
      ],
      backendRefs: [backend('reviews-v1', { weight: 90 }), backend('reviews-v2', { weight: 10 }), backend('reviews-v3', { weight: 0 })],
      timeouts: { request: '5s', backendRequest: '1s' },
      retry: { attempts: 3, codes: [503] },
    },
    { matches: [{ path: { type: 'RegularExpression', value: '/v[0-9]+/.*' }, queryParams: [{ name: 'debug', value: '1' }] }], backendRefs: [backend('reviews-v3')] },
    { name: 'fallback', backendRefs: [backend('reviews')] },
  ],
});

test('GIVEN an HTTPRoute with parentRef Service reviews WHEN the client sidecar is translated THEN port 9080 of reviews carries one route per match, Exact before PathPrefix (the API default / of a rule without matches included) before RegularExpression, as istiod sorts them, each naming the HTTPRoute rule; the RegularExpression rule sorted after the catch-all / is not built (BuildHTTPRoutesForVirtualService stops there)', () => {
  const { routes, view } = routesFor([mainRoute]);
  assert.equal(routes.map(describe), [
    { name: 'prod.reviews.0', path: 'path:/login', headers: [':method="POST"'], query: [], target: 'outbound|9080||reviews-v1.prod.svc.cluster.local=90,outbound|9080||reviews-v2.prod.svc.cluster.local=10', origin: 'HTTPRoute reviews spec.rules.0', match: 'spec.rules.0.matches.1' },
    { name: 'prod.reviews.0', path: 'pathSeparatedPrefix:/api', headers: ['x-user="jason"'], query: [], target: 'outbound|9080||reviews-v1.prod.svc.cluster.local=90,outbound|9080||reviews-v2.prod.svc.cluster.local=10', origin: 'HTTPRoute reviews spec.rules.0', match: 'spec.rules.0.matches.0' },
    { name: 'fallback', path: 'prefix:/', headers: [], query: [], target: 'outbound|9080||reviews.prod.svc.cluster.local', origin: 'HTTPRoute reviews spec.rules.2', match: 'spec.rules.2' },
  ]);
  const host = view.routes.find((r) => r.host === HOST && r.port === 9080)!;
  assert.equal(host.virtualServices.map((o) => `${o.ref.kind} ${o.ref.namespace}/${o.ref.name}`), ['HTTPRoute prod/reviews']);
  assert.equal(host.http[0]!.destinations.map((d) => d.origin.path.join('.')), ['spec.rules.0.backendRefs.0', 'spec.rules.0.backendRefs.1']);
});

test('GIVEN the rule\'s filters, timeouts and retry WHEN translated THEN header operations, the 25 % mirror, the 5 s timeout, 3 retries on 503 with a 1 s per-try timeout and cluster_not_found 500 are on the route', () => {
  const r = routesFor([mainRoute]).routes[0]!;
  assert.equal(r.requestHeadersToAdd.map((h) => [h.header!.key, h.header!.value, h.appendAction]), [['x-set', 'a', 2], ['x-add', 'b', 0]]);
  assert.equal(r.requestHeadersToRemove, ['x-gone']);
  assert.equal(r.responseHeadersToAdd.map((h) => [h.header!.key, h.header!.value]), [['x-served', 'gamma']]);
  assert.is(r.action.case, 'route');
  const a = r.action.value as Extract<Route['action'], { case: 'route' }>['value'];
  assert.equal(a.requestMirrorPolicies.map((m) => [m.cluster, m.runtimeFraction!.defaultValue!.numerator]), [['outbound|9080||mirror.prod.svc.cluster.local', 250_000]]);
  assert.equal([a.timeout!.seconds, a.retryPolicy!.numRetries, a.retryPolicy!.retryOn, [...a.retryPolicy!.retriableStatusCodes], a.retryPolicy!.perTryTimeout!.seconds], [5n, 3, 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', [503], 1n]);
  assert.is(a.clusterNotFoundResponseCode, 2);
});

test('GIVEN a PathPrefix /api WHEN requests are routed THEN /api and /api/x reach it and /apix does not (path_separated_prefix); a POST /login reaches the split; /v2/x?debug=1 meets the catch-all before the regex rule', () => {
  const { rc } = routesFor([mainRoute]);
  const at = (path: string, extra: Obj = {}) => targetOf(selectRoute(rc, { authority: 'reviews.prod:9080', path, headers: { 'x-user': 'jason' }, ...extra }));
  const split = 'outbound|9080||reviews-v1.prod.svc.cluster.local=90,outbound|9080||reviews-v2.prod.svc.cluster.local=10';
  assert.equal([at('/api'), at('/api/x'), at('/apix'), at('/login', { method: 'POST' }), at('/v2/x?debug=1')], [split, split, 'outbound|9080||reviews.prod.svc.cluster.local', split, 'outbound|9080||reviews.prod.svc.cluster.local']);
});

test('GIVEN RequestRedirect and URLRewrite rules WHEN translated THEN the redirect defaults to 302 on the request port, ReplacePrefixMatch / strips the prefix by regex and ReplaceFullPath rewrites the whole path', () => {
  const { routes } = routesFor([httpRoute('moves', 'prod', {
    parentRefs: [toReviews()],
    rules: [
      { matches: [{ path: { value: '/old' } }], filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'new.example.com', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' } } }] },
      { matches: [{ path: { value: '/strip' } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' }, hostname: 'inner' } }], backendRefs: [backend('reviews')] },
      { matches: [{ path: { type: 'Exact', value: '/full' } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/index.html' } } }], backendRefs: [backend('reviews')] },
    ],
  })]);
  const [full, strip, old] = routes;
  assert.is(old!.action.case, 'redirect');
  const red = old!.action.value as Extract<Route['action'], { case: 'redirect' }>['value'];
  assert.equal([red.hostRedirect, red.portRedirect, red.responseCode, red.pathRewriteSpecifier.case, red.pathRewriteSpecifier.value], ['new.example.com', 9080, 1, 'prefixRewrite', '/new']);
  const s = strip!.action.value as Extract<Route['action'], { case: 'route' }>['value'];
  assert.equal([s.regexRewrite!.pattern!.regex, s.regexRewrite!.substitution, s.hostRewriteSpecifier.value], ['^/strip(/?)(.*)', '/\\2', 'inner']);
  const f = full!.action.value as Extract<Route['action'], { case: 'route' }>['value'];
  assert.equal([f.regexRewrite!.pattern!.regex, f.regexRewrite!.substitution], ['/.*', '/index.html']);
});

test('GIVEN a CORS filter WHEN translated THEN the route carries the CORS policy istiod converts: * as any origin, a trailing * as prefix, an inner * as regex, maxAge 5 s by default, unmatched preflights answered at the proxy (IGNORE)', () => {
  const g = graphOf([ns('prod'), ns('web'), ...services, httpRoute('cors', 'prod', {
    parentRefs: [toReviews()],
    rules: [{ filters: [{ type: 'CORS', cors: { allowOrigins: ['*', 'https://a.example.com', 'https://b.*', 'https://*.c.example.com'], allowMethods: ['GET'], allowCredentials: true } }], backendRefs: [backend('reviews')] }],
  })]);
  const c = buildProxyView(g, client).routes.find((r) => r.host === HOST)!.http[0]!.corsPolicy!;
  assert.equal([c.allowOrigins, c.allowMethods, c.maxAgeMs, c.allowCredentials, c.ignoreUnmatchedPreflights, c.origin.path.join('.')], [
    [{ regex: '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/\\s?#]+$' }, { exact: 'https://a.example.com' }, { prefix: 'https://b.' }, { regex: '^https://.*\\.c\\.example\\.com$' }],
    ['GET'], 5000, true, true, 'spec.rules.0.filters.0',
  ]);
});

test('GIVEN a rule whose backend weights sum to 0 and one whose only backend Service does not exist WHEN translated THEN both answer 500 directly (istiod: direct response 500; cluster_not_found 500)', () => {
  const { routes } = routesFor([httpRoute('broken', 'prod', {
    parentRefs: [toReviews()],
    rules: [
      { matches: [{ path: { value: '/zero' } }], backendRefs: [backend('reviews-v1', { weight: 0 })] },
      { matches: [{ path: { value: '/gone' } }], backendRefs: [backend('nowhere')] },
    ],
  })]);
  assert.equal(routes.map((r) => [describe(r).path, targetOf(r)]), [['pathSeparatedPrefix:/zero', 'direct:500'], ['pathSeparatedPrefix:/gone', 'direct:500']]);
});

test('GIVEN RequestMirror filters istiod cannot build (a Service not in the input, no port, a host name as Service name) WHEN translated THEN each rule keeps its route to reviews-v1 (longest prefix first) and loses only the mirror (createMirrorFilter: mirrorBackendErr); a buildable mirror stays', () => {
  const mirrored = (path: string, backendRef: Obj) => ({
    matches: [{ path: { value: path } }],
    filters: [{ type: 'RequestMirror', requestMirror: { backendRef } }],
    backendRefs: [backend('reviews-v1')],
  });
  const { routes } = routesFor([httpRoute('mirrors', 'prod', {
    parentRefs: [toReviews()],
    rules: [
      mirrored('/missing', backend('nowhere')),
      mirrored('/portless', { name: 'mirror' }),
      mirrored('/dotted', backend('mirror.prod.svc.cluster.local')),
      mirrored('/fine', backend('mirror')),
    ],
  })]);
  const action = (r: Route) => (r.action.case === 'route' ? r.action.value : undefined);
  assert.equal(routes.map((r) => [describe(r).path, targetOf(r), action(r)?.requestMirrorPolicies.map((m) => m.cluster) ?? []]), [
    ['pathSeparatedPrefix:/portless', 'outbound|9080||reviews-v1.prod.svc.cluster.local', []],
    ['pathSeparatedPrefix:/missing', 'outbound|9080||reviews-v1.prod.svc.cluster.local', []],
    ['pathSeparatedPrefix:/dotted', 'outbound|9080||reviews-v1.prod.svc.cluster.local', []],
    ['pathSeparatedPrefix:/fine', 'outbound|9080||reviews-v1.prod.svc.cluster.local', ['outbound|9080||mirror.prod.svc.cluster.local']],
  ]);
});

test('GIVEN a parentRef with port 9080 on a two-port Service WHEN translated THEN the routes are on 9080 only and port 9090 keeps the default route', () => {
  const twoPorts = svc('reviews', 'prod', [{ port: 9080, name: 'http' }, { port: 9090, name: 'http-admin' }]);
  const objects = [twoPorts, httpRoute('pinned', 'prod', { parentRefs: [toReviews({ port: 9080 })], rules: [{ backendRefs: [backend('reviews-v2')] }] })];
  const g = graphOf([ns('prod'), ns('web'), ...services.slice(1), ...objects]);
  const view = buildProxyView(g, client);
  const http = (port: number) => view.routes.find((r) => r.host === HOST && r.port === port)!.http.map((r) => [r.name, r.match.map((m) => m.port), r.destinations.map((d) => d.cluster)]);
  assert.equal(http(9080), [['prod.pinned.0', [9080], ['outbound|9080||reviews-v2.prod.svc.cluster.local']]]);
  assert.equal(http(9090), [['default', [], ['outbound|9090||reviews.prod.svc.cluster.local']]]);
});

test('GIVEN two HTTPRoutes for one Service WHEN merged THEN the older route\'s rules come first among equal precedence and both HTTPRoutes are listed', () => {
  const older = httpRoute('b-older', 'prod', { parentRefs: [toReviews()], rules: [{ matches: [{ path: { value: '/x' } }], backendRefs: [backend('reviews-v1')] }] }, { creationTimestamp: '2024-01-01T00:00:00Z' });
  const newer = httpRoute('a-newer', 'prod', { parentRefs: [toReviews()], rules: [{ matches: [{ path: { value: '/y' } }, { path: { value: '/longer' } }], backendRefs: [backend('reviews-v2')] }] }, { creationTimestamp: '2024-02-01T00:00:00Z' });
  const { routes, view } = routesFor([newer, older]);
  assert.equal(routes.map((r) => [r.name, describe(r).path]), [['prod.a-newer.0', 'pathSeparatedPrefix:/longer'], ['prod.b-older.0', 'pathSeparatedPrefix:/x'], ['prod.a-newer.0', 'pathSeparatedPrefix:/y']]);
  assert.equal(view.routes.find((r) => r.host === HOST && r.port === 9080)!.virtualServices.map((o) => o.ref.name), ['b-older', 'a-newer']);
});

const olderVs = vs('reviews', 'prod', { hosts: ['reviews'], http: [{ route: [route('reviews-v3')] }] }, { creationTimestamp: '2024-01-01T00:00:00Z' });
const gammaIn = (namespace: string) => httpRoute('gamma', namespace, { parentRefs: [toReviews()], rules: [{ backendRefs: [backend('reviews-v1', { namespace: 'prod' })] }] }, { creationTimestamp: '2024-02-01T00:00:00Z' });

test('GIVEN an older VirtualService and a newer producer HTTPRoute for reviews WHEN a client in web is translated THEN the older VirtualService applies (creation order within the exportTo tier) and the HTTPRoute is listed as ignored', () => {
  const { routes, view } = routesFor([olderVs, gammaIn('prod')]);
  assert.equal(routes.map(targetOf), ['outbound|9080||reviews-v3.prod.svc.cluster.local']);
  const host = view.routes.find((r) => r.host === HOST && r.port === 9080)!;
  assert.equal([host.virtualServices.map((o) => o.ref.kind), host.ignoredVirtualServices.map((o) => o.ref.kind)], [['VirtualService'], ['HTTPRoute']]);
});

test('GIVEN the same VirtualService and a consumer HTTPRoute in the client\'s namespace WHEN translated THEN the consumer route wins for clients in web only', () => {
  assert.equal(routesFor([olderVs, gammaIn('web')]).routes.map(targetOf), ['outbound|9080||reviews-v1.prod.svc.cluster.local']);
  const other = describeProxy({ name: 'other', namespace: 'prod', labels: { app: 'other' } });
  assert.equal(routesFor([olderVs, gammaIn('web')], other).routes.map(targetOf), ['outbound|9080||reviews-v3.prod.svc.cluster.local']);
});

test('GIVEN HTTPRoutes that do not apply to the client (a consumer route of another namespace, a parentRef Service that does not exist, a parentRef Gateway that does not exist, an unsupported filter) WHEN translated THEN reviews keeps its default route', () => {
  const objects = [
    gammaIn('ops'),
    httpRoute('ghost', 'prod', { parentRefs: [{ group: '', kind: 'Service', name: 'ghost' }], rules: [{ backendRefs: [backend('reviews-v1')] }] }),
    httpRoute('edge', 'prod', { parentRefs: [{ name: 'no-such-gateway' }], hostnames: [HOST], rules: [{ backendRefs: [backend('reviews-v1')] }] }),
    httpRoute('odd', 'prod', { parentRefs: [toReviews()], rules: [{ filters: [{ type: 'ExtensionRef', extensionRef: { group: 'x', kind: 'y', name: 'z' } }], backendRefs: [backend('reviews-v1')] }] }),
  ];
  const { routes } = routesFor(objects);
  assert.equal(routes.map((r) => [r.name, targetOf(r)]), [['default', 'outbound|9080||reviews.prod.svc.cluster.local']]);
  // The same consumer route applies in its own namespace: the case above is left out for the namespace only.
  const ops = describeProxy({ name: 'ops', namespace: 'ops', labels: { app: 'ops' } });
  assert.equal(routesFor(objects, ops).routes.map(targetOf), ['outbound|9080||reviews-v1.prod.svc.cluster.local']);
});

test('GIVEN a Sidecar whose egress imports only reviews WHEN a mesh HTTPRoute for reviews sends to reviews-v2 THEN reviews-v2 port 9080 is imported (its cluster exists) as a VirtualService destination would be', () => {
  const egress = { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace: 'web' }, spec: { egress: [{ hosts: ['prod/reviews.prod.svc.cluster.local'] }] } };
  const { view, routes } = routesFor([egress, httpRoute('pinned', 'prod', { parentRefs: [toReviews()], rules: [{ backendRefs: [backend('reviews-v2')] }] })]);
  assert.equal(routes.map(targetOf), ['outbound|9080||reviews-v2.prod.svc.cluster.local']);
  assert.equal(view.services.map((s) => s.host), ['reviews-v2.prod.svc.cluster.local', HOST]);
});

test('GIVEN an HTTPRoute whose parentRef is a ServiceEntry WHEN translated THEN the ServiceEntry host\'s routes on port 80 are the HTTPRoute\'s, a Hostname backendRef naming the host itself', () => {
  const se = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'api', namespace: 'ext' }, spec: { hosts: ['api.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS', location: 'MESH_EXTERNAL' } };
  const hr = httpRoute('api', 'ext', {
    parentRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'api' }],
    rules: [{ filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'X-Via', value: 'gamma' }] } }], backendRefs: [{ group: 'networking.istio.io', kind: 'Hostname', name: 'api.example.com', port: 80 }] }],
  });
  const { routes } = routesFor([se, hr], client, 'api.example.com', '80');
  assert.equal(routes.map((r) => [describe(r).origin, targetOf(r), r.requestHeadersToAdd.map((h) => h.header!.key)]), [['HTTPRoute api spec.rules.0', 'outbound|80||api.example.com', ['x-via']]]);
});

test('GIVEN a graph built on its predecessor WHEN only an HTTPRoute changed (another backend) THEN the client\'s routes follow the new HTTPRoute, as from scratch', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-gamma-'));
  try {
    const pinned = (to: string) => httpRoute('pinned', 'prod', { parentRefs: [toReviews()], rules: [{ backendRefs: [backend(to)] }] });
    const load = async (to: string, opts: GraphOptions) => {
      writeFileSync(join(dir, 'mesh.yaml'), [ns('prod'), ns('web'), ...services, pinned(to)].map((o) => stringify(o)).join('---\n'));
      return MeshGraph.from((await loadInputs(['mesh.yaml'], { cwd: dir })).files, opts);
    };
    const target = (g: MeshGraph) => buildProxyView(g, client).routes.find((r) => r.host === HOST)!.http.map((r) => r.destinations.map((d) => d.cluster));
    const before = await load('reviews-v1', { carryOver: true });
    assert.equal(target(before), [['outbound|9080||reviews-v1.prod.svc.cluster.local']]);
    const after = await load('reviews-v2', { previous: before });
    assert.ok(after.carried!.kept > 0, 'the unchanged objects are the predecessor\'s');
    assert.equal(target(after), [['outbound|9080||reviews-v2.prod.svc.cluster.local']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN one graph with a VirtualService for reviews in web (older) and a producer HTTPRoute in prod WHEN the sidecars of web, then prod, are translated from it THEN prod applies its own namespace\'s HTTPRoute first, web the older VirtualService (prod does not reuse web\'s routes)', () => {
  const g = graphOf([ns('prod'), ns('web'), ...services,
    vs('reviews', 'web', { hosts: [HOST], http: [{ route: [route('reviews-v2.prod.svc.cluster.local')] }] }, { creationTimestamp: '2025-01-01T00:00:00Z' }),
    httpRoute('reviews', 'prod', { parentRefs: [toReviews()], rules: [{ backendRefs: [backend('reviews-v1')] }] }, { creationTimestamp: '2026-01-01T00:00:00Z' })]);
  const target = (namespace: string) => {
    const rc = translateProxy(buildProxyView(g, describeProxy({ name: 'c', namespace, labels: { app: 'c' } })), []).routes.find((r) => r.name === '9080')!;
    return targetOf(selectRoute(rc, { authority: HOST, path: '/' }));
  };
  assert.equal(['web', 'prod', 'web'].map(target), ['outbound|9080||reviews-v2.prod.svc.cluster.local', 'outbound|9080||reviews-v1.prod.svc.cluster.local', 'outbound|9080||reviews-v2.prod.svc.cluster.local']);
});

test.run();
