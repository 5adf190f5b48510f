/**
 * Route translation as istiod's `pilot/pkg/networking/core/route/route.go` does it, field by field:
 * header operations on `host` / `:authority` and pseudo-headers (`TranslateHeadersOperations`),
 * `withoutHeaders` (`TranslateRouteMatch`), redirects (`ApplyRedirect`), fault percentages
 * (`TranslateFault`), mirror percentages (`MirrorPercent`, `MirrorPercentByPolicy`) and weight-0
 * destinations (`applyHTTPRouteDestination`).
 */
import { test } from 'uvu';
import { FractionalPercent_DenominatorType } from '../../../src/xds/gen/envoy/type/v3/percent_pb.js';
import * as assert from 'uvu/assert';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { buildProxyView, describeProxy, proxiesOf } from '../../../src/mesh/view/index.js';
import { type Route, type RouteAction, type RedirectAction, RedirectAction_RedirectResponseCode } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { HTTPFaultSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/fault/v3/fault_pb.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { dr, gw, route, svc, vs } from '../../mesh/view-fixtures.js';
import { selectRoute } from './_select.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const REVIEWS = 'reviews.prod.svc.cluster.local';
const subsets = dr('reviews', 'prod', { host: 'reviews', subsets: ['v1', 'v2', 'v3'].map((v) => ({ name: v, labels: { version: v } })) });

/** The routes of reviews' virtual host on `port` for `http` (reviews serves `port`). */
function reviewsRoutes(http: Record<string, unknown>[], port = 9080): Route[] {
  const set = translateProxy(buildProxyView(graphOf([svc('reviews', 'prod', [{ port, name: 'http' }]), svc('ratings', 'prod', [{ port, name: 'http' }]), subsets, vs('reviews', 'prod', { hosts: ['reviews'], http })]), client), []);
  const rc = set.routes.find((r) => r.name === String(port))!;
  return rc.virtualHosts.find((v) => v.name === `${REVIEWS}:${port}`)!.routes;
}

const actionOf = (r: Route) => r.action.value as RouteAction;
const adds = (list: Route['requestHeadersToAdd']) => list.map((h) => [h.header?.key, h.header?.value]);

test('GIVEN headers.request setting host, :path and others, adding :authority and removing host and :path WHEN translated THEN set\'s host is the host_rewrite_literal, no pseudo-header or host is added or removed, and the rest is sorted by name as istiod does', () => {
  const [r] = reviewsRoutes([{
    route: [route('reviews')],
    headers: {
      request: { set: { 'x-b': '1', host: 'reviews.internal', ':path': '/x', 'x-a': '2' }, add: { ':authority': 'from-add', 'x-d': '3', 'x-c': '4' }, remove: ['host', ':path', 'x-e'] },
      response: { set: { host: 'ignored', 'x-r': '1' }, remove: [':status', 'server'] },
    },
  }]);
  assert.equal(actionOf(r!).hostRewriteSpecifier, { case: 'hostRewriteLiteral', value: 'reviews.internal' });
  assert.equal(adds(r!.requestHeadersToAdd), [['x-a', '2'], ['x-b', '1'], ['x-c', '4'], ['x-d', '3']]);
  assert.equal(r!.requestHeadersToRemove, ['x-e']);
  assert.equal([adds(r!.responseHeadersToAdd), r!.responseHeadersToRemove], [[['x-r', '1']], ['server']]);
});

test('GIVEN an authority in headers and in rewrite, in add only, and on destinations WHEN translated THEN rewrite.authority wins over headers, add is used without set, a single destination\'s applies when the route sets none, and a weighted destination\'s goes on its cluster weight', () => {
  const [both, addOnly, single, routeWins, split] = reviewsRoutes([
    { name: 'both', match: [{ uri: { prefix: '/a' } }], route: [route('reviews')], rewrite: { authority: 'from-rewrite' }, headers: { request: { set: { ':authority': 'from-headers' } } } },
    { name: 'add', match: [{ uri: { prefix: '/b' } }], route: [route('reviews')], headers: { request: { add: { Host: 'from-add' } } } },
    { name: 'single', match: [{ uri: { prefix: '/c' } }], route: [{ ...route('reviews'), headers: { request: { set: { host: 'from-destination', 'x-d': '1' } } } }] },
    { name: 'route-wins', match: [{ uri: { prefix: '/d' } }], route: [{ ...route('reviews'), headers: { request: { set: { host: 'from-destination' } } } }], headers: { request: { set: { host: 'from-route' } } } },
    { name: 'split', route: [{ ...route('reviews', { subset: 'v1' }), weight: 50, headers: { request: { set: { host: 'v1.internal' } } } }, { ...route('reviews', { subset: 'v2' }), weight: 50 }] },
  ]);
  const literal = (r: Route) => actionOf(r).hostRewriteSpecifier.value;
  assert.equal([literal(both!), literal(addOnly!), literal(single!), literal(routeWins!), literal(split!)], ['from-rewrite', 'from-add', 'from-destination', 'from-route', undefined]);
  assert.equal([adds(addOnly!.requestHeadersToAdd), adds(single!.requestHeadersToAdd)], [[], [['x-d', '1']]]);
  const clusters = (actionOf(split!).clusterSpecifier.value as { clusters: { name: string; hostRewriteSpecifier: { case?: string; value?: string }; requestHeadersToAdd: unknown[] }[] }).clusters;
  assert.equal(clusters.map((c) => [c.name, c.hostRewriteSpecifier.value, c.requestHeadersToAdd.length]), [[`outbound|9080|v1|${REVIEWS}`, 'v1.internal', 0], [`outbound|9080|v2|${REVIEWS}`, undefined, 0]]);
});

test('GIVEN withoutHeaders with a string match and a presence match WHEN translated THEN both are inverted, the string match treats a missing header as empty (so a request without it matches) and the presence match does not; headers and withoutHeaders are sorted by name, then :method', () => {
  const routes = reviewsRoutes([
    { name: 'not-legacy', match: [{ method: { exact: 'GET' }, headers: { 'x-b': { exact: '1' } }, withoutHeaders: { 'x-legacy': { exact: 'yes' }, 'x-a': {} } }], route: [route('reviews', { subset: 'v2' })] },
    { name: 'rest', route: [route('reviews', { subset: 'v1' })] },
  ]);
  const m = routes[0]!.match!;
  assert.equal(m.headers.map((h) => [h.name, h.invertMatch, h.treatMissingHeaderAsEmpty, h.headerMatchSpecifier.case]), [
    ['x-a', true, false, 'presentMatch'], ['x-b', false, false, 'stringMatch'], ['x-legacy', true, true, 'stringMatch'], [':method', false, false, 'stringMatch'],
  ]);
  assert.is(m.caseSensitive, true, 'istiod writes case_sensitive for every match entry');
  const rc = { name: '9080', virtualHosts: [{ name: 'r', domains: [REVIEWS], routes }], ignorePortInHostMatching: false } as unknown as Parameters<typeof selectRoute>[0];
  const table: [Record<string, string>, string][] = [
    [{ 'x-b': '1' }, 'not-legacy'],
    [{ 'x-b': '1', 'x-legacy': 'no' }, 'not-legacy'],
    [{ 'x-b': '1', 'x-legacy': 'yes' }, 'rest'],
    [{ 'x-b': '1', 'x-a': '' }, 'rest'],
  ];
  for (const [headers, name] of table) assert.is(selectRoute(rc, { authority: REVIEWS, path: '/', headers })?.name, name, JSON.stringify(headers));
});

test('GIVEN redirects with derivePort, port, scheme, prefixRewrite and redirect codes WHEN translated for a sidecar on port 9080 THEN the port, path and code are istiod\'s ApplyRedirect', () => {
  const cases: [Record<string, unknown>, Partial<Record<'port' | 'path' | 'prefix' | 'scheme' | 'code', unknown>>][] = [
    [{ authority: 'a', derivePort: 'FROM_REQUEST_PORT' }, { port: 9080, path: '' }],
    [{ authority: 'a', derivePort: 'FROM_PROTOCOL_DEFAULT' }, { port: 0 }],
    [{ authority: 'a', port: 80 }, { port: 0 }],
    [{ authority: 'a', port: 443 }, { port: 443 }],
    [{ scheme: 'https', port: 443 }, { port: 0, scheme: 'https' }],
    [{ scheme: 'https', port: 8443, redirectCode: 302 }, { port: 8443, code: RedirectAction_RedirectResponseCode.FOUND }],
    [{ uri: '/new', redirectCode: 0 }, { path: '/new', code: RedirectAction_RedirectResponseCode.MOVED_PERMANENTLY }],
    [{ prefixRewrite: '/v2' }, { prefix: '/v2' }],
  ];
  const routes = reviewsRoutes(cases.map(([redirect], i) => ({ match: [{ uri: { prefix: `/${i}` } }], redirect })));
  cases.forEach(([redirect, want], i) => {
    const r = routes[i]!;
    assert.is(r.action.case, 'redirect', JSON.stringify(redirect));
    const a = r.action.value as RedirectAction;
    const got = {
      port: a.portRedirect, path: a.pathRewriteSpecifier.case === 'pathRedirect' ? a.pathRewriteSpecifier.value : undefined,
      prefix: a.pathRewriteSpecifier.case === 'prefixRewrite' ? a.pathRewriteSpecifier.value : undefined,
      scheme: a.schemeRewriteSpecifier.value, code: a.responseCode,
    };
    for (const k of Object.keys(want) as (keyof typeof want)[]) assert.equal(got[k], want[k], `${JSON.stringify(redirect)}: ${k}`);
  });
});

test('GIVEN derivePort FROM_REQUEST_PORT on a service port 80 and a redirect code Envoy has no value for (304) WHEN translated THEN no port is written (http\'s default) and the 304 route has no action, as istiod leaves it', () => {
  const [derived, unsupported] = reviewsRoutes([
    { match: [{ uri: { prefix: '/a' } }], redirect: { authority: 'a', derivePort: 'FROM_REQUEST_PORT' } },
    { match: [{ uri: { prefix: '/b' } }], redirect: { authority: 'a', redirectCode: 304 } },
  ], 80);
  assert.is((derived!.action.value as RedirectAction).portRedirect, 0);
  assert.is(unsupported!.action.case, undefined);
});

test('GIVEN faults without percentage, with an empty percentage, and with the deprecated delay percent WHEN translated THEN the omitted and empty ones inject 0 % (istiod TranslateFault) and percent is read as a percentage', () => {
  const routes = reviewsRoutes([
    { match: [{ uri: { prefix: '/a' } }], route: [route('reviews')], fault: { delay: { fixedDelay: '1s' }, abort: { httpStatus: 503 } } },
    { match: [{ uri: { prefix: '/b' } }], route: [route('reviews')], fault: { delay: { fixedDelay: '1s', percentage: {} }, abort: { httpStatus: 503, percentage: {} } } },
    { match: [{ uri: { prefix: '/c' } }], route: [route('reviews')], fault: { delay: { fixedDelay: '1s', percent: 30 } } },
  ]);
  const pct = (r: Route) => {
    const f = anyUnpack(r.typedPerFilterConfig['envoy.filters.http.fault']!, HTTPFaultSchema)!;
    const frac = (p: { numerator: number; denominator: number } | undefined) => (p ? (p.numerator * 100) / [100, 10_000, 1_000_000][p.denominator]! : 0);
    return [frac(f.delay?.percentage), f.abort ? frac(f.abort.percentage) : null];
  };
  assert.equal(routes.map(pct), [[0, 0], [0, 0], [30, null]]);
});

test('GIVEN the same faults WHEN translated THEN the bytes are istiod\'s: an unset or deprecated delay percent over 100, a Percent in millionths, and no percentage on an abort without one', () => {
  const routes = reviewsRoutes([
    { match: [{ uri: { prefix: '/a' } }], route: [route('reviews')], fault: { delay: { fixedDelay: '1s' }, abort: { httpStatus: 503 } } },
    { match: [{ uri: { prefix: '/b' } }], route: [route('reviews')], fault: { delay: { fixedDelay: '1s', percentage: { value: 2.5 } }, abort: { httpStatus: 503, percentage: { value: 1 } } } },
    { match: [{ uri: { prefix: '/c' } }], route: [route('reviews')], fault: { delay: { fixedDelay: '1s', percent: 30 } } },
  ]);
  const { HUNDRED, MILLION } = FractionalPercent_DenominatorType;
  const form = (p: { numerator: number; denominator: number } | undefined) => (p ? [p.numerator, p.denominator] : 'none');
  const forms = routes.map((r) => {
    const f = anyUnpack(r.typedPerFilterConfig['envoy.filters.http.fault']!, HTTPFaultSchema)!;
    return [form(f.delay?.percentage), f.abort ? form(f.abort.percentage) : null];
  });
  assert.equal(forms, [[[0, HUNDRED], 'none'], [[25_000, MILLION], [10_000, MILLION]], [[30, HUNDRED], null]]);
});

test('GIVEN mirrorPercentage 0, an empty mirrorPercentage, the deprecated mirrorPercent, and a mirrors list with a 0 % entry WHEN translated THEN a 0 % mirror has no policy, mirrorPercent and the default are whole percentages over 100 (istiod translateIntegerToFractionalPercent), and each policy leaves trace sampling off as istiod does', () => {
  const routes = reviewsRoutes([
    { match: [{ uri: { prefix: '/a' } }], route: [route('reviews')], mirror: { host: 'ratings' }, mirrorPercentage: { value: 0 } },
    { match: [{ uri: { prefix: '/b' } }], route: [route('reviews')], mirror: { host: 'ratings' }, mirrorPercentage: {} },
    { match: [{ uri: { prefix: '/c' } }], route: [route('reviews')], mirror: { host: 'ratings' }, mirrorPercent: 40 },
    { match: [{ uri: { prefix: '/d' } }], route: [route('reviews')], mirrors: [{ destination: { host: 'ratings' }, percentage: { value: 0 } }, { destination: { host: 'reviews', subset: 'v3' } }] },
  ]);
  const mirrors = routes.map((r) => actionOf(r).requestMirrorPolicies.map((m) => [m.cluster, m.runtimeFraction?.defaultValue?.numerator, m.runtimeFraction?.defaultValue?.denominator, m.traceSampled]));
  const HUNDRED = FractionalPercent_DenominatorType.HUNDRED;
  assert.equal(mirrors, [[], [], [['outbound|9080||ratings.prod.svc.cluster.local', 40, HUNDRED, false]], [[`outbound|9080|v3|${REVIEWS}`, 100, HUNDRED, false]]]);
});

test('GIVEN weighted destinations with a weight-0 one, and a single destination with weight 0 WHEN translated THEN weighted_clusters leaves the weight-0 destination out, and the single one is the route\'s cluster', () => {
  const [split, alone] = reviewsRoutes([
    { match: [{ uri: { prefix: '/a' } }], route: [{ ...route('reviews', { subset: 'v1' }), weight: 100 }, { ...route('reviews', { subset: 'v2' }), weight: 0 }] },
    { route: [{ ...route('reviews', { subset: 'v3' }), weight: 0 }] },
  ]);
  assert.is(actionOf(split!).clusterSpecifier.case, 'weightedClusters');
  const clusters = (actionOf(split!).clusterSpecifier.value as { clusters: { name: string; weight?: number }[] }).clusters;
  assert.equal(clusters.map((c) => [c.name, c.weight]), [[`outbound|9080|v1|${REVIEWS}`, 100]]);
  assert.equal(actionOf(alone!).clusterSpecifier, { case: 'cluster', value: `outbound|9080|v3|${REVIEWS}` });
});

test('GIVEN a Gateway with an HTTP server on 8080 and a TLS-terminating server on 443, and a redirect with derivePort FROM_REQUEST_PORT WHEN translated THEN each server\'s route redirects to its own port, except 443 on the TLS server (https\'s default, istiod IsTLS)', () => {
  const ingress = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ingress', namespace: 'istio-system' },
    spec: { template: { metadata: { labels: { istio: 'ingressgateway' } }, spec: { containers: [{ name: 'istio-proxy' }] } } },
  };
  const g = graphOf([ingress, svc('web', 'prod'), gw('edge', 'istio-system', [
    { port: { number: 8080, name: 'http', protocol: 'HTTP' }, hosts: ['*/shop.example.com'] },
    { port: { number: 443, name: 'https-shop', protocol: 'HTTPS' }, hosts: ['*/shop.example.com'], tls: { mode: 'SIMPLE', credentialName: 'shop-cert' } },
  ]), vs('web', 'prod', { hosts: ['shop.example.com'], gateways: ['istio-system/edge'], http: [{ redirect: { authority: 'www.example.com', derivePort: 'FROM_REQUEST_PORT' } }] })]);
  const set = translateProxy(buildProxyView(g, proxiesOf(g).find((p) => p.type === 'router')!), []);
  const ports = set.routes.map((rc) => [rc.name, (rc.virtualHosts[0]!.routes[0]!.action.value as RedirectAction).portRedirect]);
  assert.equal(ports, [['http.8080', 8080], ['https.443.https-shop.edge.istio-system', 0]]);
});

test.run();
