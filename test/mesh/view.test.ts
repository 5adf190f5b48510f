import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_RETRY_ON } from '../../src/mesh/mesh-config.js';
import { buildProxyView, describeProxy, proxiesOf, OUTLIER_DEFAULTS, UNLIMITED, type ProxyView } from '../../src/mesh/view/index.js';
import { graphOf } from './_graph.js';
import { deploy, dr, gw, ns, route, sidecar, svc, vs } from './view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'web', labels: { app: 'client' } });
const routesOf = (v: ProxyView, host: string, port = 9080) => v.routes.find((r) => r.host === host && r.port === port);
const REVIEWS = 'reviews.prod.svc.cluster.local';

test('GIVEN a service without VirtualService WHEN viewed THEN the default route carries Istio\'s default retries', () => {
  const v = buildProxyView(graphOf([svc('reviews', 'prod')]), client);
  const r = routesOf(v, REVIEWS)!;
  assert.equal(r.virtualServices, []);
  assert.is(r.http.length, 1);
  const h = r.http[0]!;
  assert.equal(h.destinations.map((d) => d.cluster), [`outbound|9080||${REVIEWS}`]);
  assert.equal([h.timeoutMs, h.retries?.attempts, h.retries?.retryOn, h.retries?.perTryTimeoutMs, h.retries?.source], [null, 2, DEFAULT_RETRY_ON, null, 'mesh-default']);
});

test('GIVEN routes with timeouts, retries and faults WHEN viewed THEN perTryTimeout stays unset unless given (istiod route/retry ConvertPolicy; Envoy then limits each try by the route timeout) and a fault keeps both (istiod applyHTTPRouteDestination)', () => {
  const table: [Record<string, unknown>, number | null, number | null | undefined, number | null | undefined][] = [
    [{ timeout: '3s' }, 3000, 2, null],
    [{ timeout: '3s', retries: { attempts: 5 } }, 3000, 5, null],
    [{ timeout: '3s', retries: { attempts: 1, perTryTimeout: '500ms' } }, 3000, 1, 500],
    [{ retries: { attempts: 0 } }, null, 0, null],
    [{ timeout: '3s', fault: { abort: { httpStatus: 503, percentage: { value: 10 } } } }, 3000, 2, null],
    [{ timeout: '3s', retries: { attempts: 4, perTryTimeout: '1s' }, fault: { delay: { fixedDelay: '5s', percentage: { value: 50 } } } }, 3000, 4, 1000],
  ];
  for (const [extra, timeout, attempts, perTry] of table) {
    const g = graphOf([svc('reviews', 'prod'), vs('reviews', 'prod', { hosts: ['reviews'], http: [{ route: [route('reviews')], ...extra }] })]);
    const h = routesOf(buildProxyView(g, client), REVIEWS)!.http[0]!;
    assert.equal([h.timeoutMs, h.retries?.attempts, h.retries?.perTryTimeoutMs], [timeout, attempts, perTry], JSON.stringify(extra));
  }
  // istiod TranslateFault: a delay's deprecated `percent` counts; an abort without percentage injects 0 %.
  const g = graphOf([svc('reviews', 'prod'), vs('reviews', 'prod', { hosts: ['reviews'], http: [{ route: [route('reviews')], fault: { delay: { fixedDelay: '2s', percent: 30 }, abort: { httpStatus: 500 } } }] })]);
  assert.equal(routesOf(buildProxyView(g, client), REVIEWS)!.http[0]!.fault, {
    delay: { fixedDelayMs: 2000, percentage: 30, whole: true }, abort: { httpStatus: 500, percentage: 0, unset: true },
    origin: routesOf(buildProxyView(g, client), REVIEWS)!.http[0]!.fault!.origin,
  });
});

test('GIVEN two mesh VirtualServices for one host WHEN viewed THEN the earliest applies and the other is listed as ignored', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    vs('b-late', 'prod', { hosts: ['reviews'], http: [{ route: [route('reviews', { subset: 'v2' })] }] }, { creationTimestamp: '2024-02-01T00:00:00Z' }),
    vs('a-early', 'prod', { hosts: ['reviews'], http: [{ route: [route('reviews', { subset: 'v1' })] }] }, { creationTimestamp: '2024-01-01T00:00:00Z' }),
  ]);
  const r = routesOf(buildProxyView(g, client), REVIEWS)!;
  assert.equal(r.virtualServices.map((o) => o.ref.name), ['a-early']);
  assert.equal(r.ignoredVirtualServices.map((o) => o.ref.name), ['b-late']);
  assert.equal(r.http[0]!.destinations[0]!.subset, 'v1');
});

test('GIVEN gateway VirtualServices for one host WHEN viewed by the gateway THEN they merge by creation time then name, and the catch-all route moves after the others (istiod SortVHostRoutes)', () => {
  const g = graphOf([
    svc('reviews', 'prod'), svc('ratings', 'prod'),
    deploy('ingress', 'istio-system', { istio: 'ingressgateway' }),
    gw('public', 'istio-system', [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/shop.example.com'] }]),
    vs('z-catch-all', 'prod', { hosts: ['shop.example.com'], gateways: ['istio-system/public'], http: [{ route: [route('reviews')] }] }, { creationTimestamp: '2024-01-01T00:00:00Z' }),
    vs('b-api', 'prod', { hosts: ['shop.example.com'], gateways: ['istio-system/public'], http: [{ match: [{ uri: { prefix: '/api' } }], route: [route('ratings')] }] }, { creationTimestamp: '2024-01-02T00:00:00Z' }),
    vs('a-api', 'prod', { hosts: ['shop.example.com'], gateways: ['istio-system/public'], http: [{ match: [{ uri: { prefix: '/a' } }], route: [route('ratings')] }] }, { creationTimestamp: '2024-01-02T00:00:00Z' }),
  ]);
  const [proxy] = proxiesOf(g).filter((p) => p.type === 'router');
  const v = buildProxyView(g, proxy!);
  assert.is(v.gatewayServers.length, 1);
  const r = v.gatewayServers[0]!.routes[0]!;
  assert.is(r.host, 'shop.example.com');
  assert.equal(r.virtualServices.map((o) => o.ref.name), ['z-catch-all', 'a-api', 'b-api']);
  assert.equal(r.http.map((h) => h.origin.ref.name), ['a-api', 'b-api', 'z-catch-all'], 'the earlier catch-all moves after the later routes, which it does not shadow');
  assert.equal(r.http[1]!.destinations[0]!.cluster, 'outbound|9080||ratings.prod.svc.cluster.local');
});

test('GIVEN match.gateways WHEN a VirtualService binds mesh and a gateway THEN each proxy keeps only its matches', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    deploy('ingress', 'istio-system', { istio: 'ingressgateway' }),
    gw('public', 'istio-system', [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }]),
    vs('both', 'prod', {
      hosts: ['reviews.prod.svc.cluster.local'], gateways: ['mesh', 'istio-system/public'],
      http: [
        { match: [{ gateways: ['istio-system/public'], uri: { prefix: '/edge' } }], route: [route('reviews', { subset: 'edge' })] },
        { match: [{ gateways: ['mesh'] }], route: [route('reviews', { subset: 'inner' })] },
      ],
    }),
  ]);
  const mesh = routesOf(buildProxyView(g, client), REVIEWS)!;
  assert.equal(mesh.http.map((h) => h.destinations[0]!.subset), ['inner']);
  const router = proxiesOf(g).find((p) => p.type === 'router')!;
  const edge = buildProxyView(g, router).gatewayServers[0]!.routes[0]!;
  assert.equal(edge.http.map((h) => h.destinations[0]!.subset), ['edge']);
});

test('GIVEN delegation WHEN resolved THEN the delegate defaults to the root namespace, matches merge, and bad targets are problems', () => {
  const objects = [
    svc('reviews', 'prod'), svc('ratings', 'prod'),
    vs('root', 'prod', { hosts: ['reviews'], http: [
      { match: [{ uri: { prefix: '/api' } }], delegate: { name: 'api' }, timeout: '4s' },
      { match: [{ uri: { prefix: '/bad' } }], delegate: { name: 'has-hosts' } },
      { match: [{ uri: { prefix: '/gone' } }], delegate: { name: 'missing', namespace: 'other' } },
      { match: [{ uri: { prefix: '/chain' } }], delegate: { name: 'chain' } },
    ] }),
    vs('api', 'prod', { http: [
      { match: [{ uri: { prefix: '/api/v1' } }], route: [route('ratings')] },
      { match: [{ uri: { prefix: '/other' } }], route: [route('ratings')] },
      { route: [route('reviews')], timeout: '1s' },
    ] }),
    vs('has-hosts', 'prod', { hosts: ['x.example.com'], http: [{ route: [route('ratings')] }] }),
    vs('chain', 'prod', { http: [{ delegate: { name: 'api' } }] }),
  ];
  const v = buildProxyView(graphOf(objects), client);
  const http = routesOf(v, REVIEWS)!.http;
  assert.equal(http.map((h) => [h.match.map((m) => JSON.stringify(m.uri)), h.timeoutMs, h.origin.ref.name, h.delegatedFrom?.path]), [
    [['{"prefix":"/api/v1"}'], 4000, 'api', ['spec', 'http', 0]],
    [['{"prefix":"/api"}'], 1000, 'api', ['spec', 'http', 0]],
  ], 'the /other route conflicts with /api and is dropped');
  assert.equal(v.problems.map((p) => p.code).sort(), ['view/delegate-chain', 'view/delegate-has-hosts', 'view/delegate-match-conflict', 'view/delegate-not-found']);
  assert.match(v.problems.find((p) => p.code === 'view/delegate-match-conflict')!.message, /prod\/api spec\.http\[1\]\.match\[0\] lies within no match of the root prod\/root spec\.http\[0\] \(uri prefix "\/other" is not within the root's prefix "\/api"\)/);
  assert.match(v.problems.find((p) => p.code === 'view/delegate-has-hosts')!.message, /Fix: remove spec.hosts/);
  assert.match(v.problems.find((p) => p.code === 'view/delegate-not-found')!.message, /other\/missing/);
  const self = buildProxyView(graphOf([svc('reviews', 'prod'), vs('loop', 'prod', { hosts: ['reviews'], http: [{ delegate: { name: 'loop' } }] })]), client);
  assert.match(self.problems[0]!.message, /delegate cycle/);
});

test('GIVEN a delegate rule with two match entries, one within the root\'s match and one not WHEN resolved THEN istiod drops the whole delegate rule (mergeHTTPMatchRequests), not just the entry', () => {
  const objects = [
    svc('reviews', 'prod'), svc('ratings', 'prod'),
    vs('root', 'prod', { hosts: ['reviews'], http: [{ match: [{ uri: { prefix: '/api' } }], delegate: { name: 'api' } }] }),
    vs('api', 'prod', { http: [
      { match: [{ uri: { prefix: '/api/v1' } }, { uri: { prefix: '/admin' } }], route: [route('ratings')] },
      { match: [{ uri: { prefix: '/api/v2' } }], route: [route('reviews')] },
    ] }),
  ];
  const v = buildProxyView(graphOf(objects), client);
  assert.equal(routesOf(v, REVIEWS)!.http.map((h) => h.match.map((m) => JSON.stringify(m.uri))), [['{"prefix":"/api/v2"}']]);
  assert.equal(v.problems.map((p) => p.code), ['view/delegate-match-conflict']);
});

test('GIVEN a route match naming its gateway as ./name WHEN a gateway of the VirtualService\'s namespace is viewed THEN the match applies (istiod resolves ./ to the VirtualService\'s namespace)', () => {
  const objects = [
    svc('reviews', 'prod'),
    deploy('ingress', 'prod', { istio: 'ingressgateway' }),
    gw('public', 'prod', [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['reviews.example.com'] }]),
    vs('edge', 'prod', { hosts: ['reviews.example.com'], gateways: ['./public'], http: [
      { match: [{ gateways: ['./public'], uri: { prefix: '/a' } }], route: [route('reviews')] },
    ] }),
  ];
  const g = graphOf(objects);
  const router = proxiesOf(g).find((p) => p.type === 'router');
  if (!router) return assert.unreachable('a gateway proxy');
  const v = buildProxyView(g, router);
  const http = v.gatewayServers.flatMap((s) => s.routes.flatMap((r) => r.http));
  assert.equal(http.map((h) => h.match.map((m) => JSON.stringify(m.uri))), [['{"prefix":"/a"}']]);
});

test('GIVEN a delegate in another namespace WHEN its exportTo leaves out the root namespace THEN the route is dropped with a problem, as istiod mergeVirtualServices', () => {
  const objects = (exportTo: string[] | undefined) => [
    svc('reviews', 'prod'), svc('ratings', 'team'),
    vs('root', 'prod', { hosts: ['reviews'], http: [{ match: [{ uri: { prefix: '/api' } }], delegate: { name: 'api', namespace: 'team' } }] }),
    vs('api', 'team', { ...(exportTo ? { exportTo } : {}), http: [{ route: [route('ratings.team.svc.cluster.local')] }] }),
  ];
  const routed = (exportTo: string[] | undefined) => {
    const v = buildProxyView(graphOf(objects(exportTo)), client);
    return [routesOf(v, REVIEWS)?.http.map((r) => r.destinations.map((d) => d.host).join()) ?? [], v.problems.map((p) => p.code)] as const;
  };
  for (const ok of [undefined, ['*'], ['prod'], ['prod', 'team']]) assert.equal(routed(ok), [['ratings.team.svc.cluster.local'], []], JSON.stringify(ok));
  // The root keeps no route for the port, so the port keeps Istio's default route to reviews itself (istiod BuildSidecarVirtualHostWrapper).
  for (const bad of [['.'], ['team'], ['~'], ['other']]) assert.equal(routed(bad), [[REVIEWS], ['view/delegate-not-exported']], JSON.stringify(bad));
  const v = buildProxyView(graphOf(objects(['.'])), client);
  assert.match(v.problems[0]!.message, /team\/api is not exported to namespace prod .*add "prod" to the delegate's exportTo/);
});

test('GIVEN a Sidecar with egress hosts WHEN viewed THEN only imported services are visible, plus hosts its VirtualServices route to', () => {
  const g = graphOf([
    svc('reviews', 'prod'), svc('ratings', 'prod'), svc('details', 'prod'), svc('local', 'web'),
    sidecar('default', 'web', { egress: [{ hosts: ['./*', 'prod/reviews.prod.svc.cluster.local', 'nope'] }] }),
    vs('reviews', 'prod', { hosts: ['reviews'], http: [{ route: [route('ratings')] }] }),
  ]);
  const v = buildProxyView(g, client);
  assert.equal(v.services.map((s) => s.host), ['local.web.svc.cluster.local', 'ratings.prod.svc.cluster.local', REVIEWS]);
  assert.equal(v.sidecar?.ref.name, 'default');
  assert.equal(v.problems.map((p) => [p.code, p.origin.path]), [['view/egress-host', ['spec', 'egress', 0, 'hosts', 2]]]);
  const other = buildProxyView(g, describeProxy({ name: 'x', namespace: 'prod' }));
  assert.is(other.services.length, 4, 'no Sidecar in prod: everything exported is visible');
});

test('GIVEN exportTo WHEN a service is private to its namespace THEN other namespaces do not see it', () => {
  const g = graphOf([svc('reviews', 'prod', undefined, { annotations: { 'networking.istio.io/exportTo': '.' } })]);
  assert.is(buildProxyView(g, client).services.length, 0);
  assert.is(buildProxyView(g, describeProxy({ name: 'x', namespace: 'prod' })).services.length, 1);
});

test('GIVEN DestinationRules WHEN clusters are built THEN subset, port-level and Istio defaults apply', () => {
  const g = graphOf([
    ns('prod'), svc('reviews', 'prod', [{ port: 9080, name: 'http' }, { port: 9090, name: 'grpc' }]), deploy('reviews-v1', 'prod', { app: 'reviews', version: 'v1' }),
    dr('reviews', 'prod', { host: 'reviews', trafficPolicy: {
      connectionPool: { http: { http1MaxPendingRequests: 10 } }, outlierDetection: { consecutive5xxErrors: 3 },
      portLevelSettings: [{ port: { number: 9090 }, loadBalancer: { simple: 'ROUND_ROBIN' } }],
    }, subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }] }),
  ]);
  const v = buildProxyView(g, client);
  const c = (name: string) => v.clusters.find((x) => x.name === name)!;
  const base = c(`outbound|9080||${REVIEWS}`).policy;
  assert.equal(base.connectionPool.http1MaxPendingRequests, 10);
  assert.equal(base.connectionPool.maxConnections, UNLIMITED);
  assert.equal(base.connectionPool.connectTimeoutMs, 10_000);
  assert.equal(base.outlierDetection, { ...OUTLIER_DEFAULTS, consecutive5xxErrors: 3, unset: OUTLIER_DEFAULTS.unset.filter((f) => f !== 'consecutive5xxErrors') });
  assert.equal(base.tls, { mode: 'AUTO', source: 'auto-mtls' }, 'auto mTLS chooses per endpoint (transport_socket_matches), as istiod');
  const port = c(`outbound|9090||${REVIEWS}`).policy;
  assert.equal([port.loadBalancer, port.outlierDetection, port.connectionPool.http1MaxPendingRequests], [{ simple: 'ROUND_ROBIN' }, null, UNLIMITED], 'port-level settings do not inherit');
  const subset = c(`outbound|9080|v1|${REVIEWS}`);
  assert.equal([subset.policy.loadBalancer, subset.policy.connectionPool.http1MaxPendingRequests, subset.subsetLabels], [{ simple: 'RANDOM' }, 10, { version: 'v1' }]);
  assert.equal(subset.policy.origins.map((o) => o.path), [['spec', 'trafficPolicy'], ['spec', 'subsets', 0, 'trafficPolicy']]);
  const plain = buildProxyView(graphOf([ns('prod', {}), svc('reviews', 'prod'), deploy('r', 'prod', { app: 'reviews' })]), client);
  assert.equal(plain.clusters[0]!.policy.tls, { mode: 'AUTO', source: 'auto-mtls' }, 'no sidecar behind the service: still AUTO, its endpoints lack tlsMode: istio');
  const unknown = buildProxyView(graphOf([svc('reviews', 'prod'), deploy('r', 'prod', { app: 'reviews' })]), client);
  assert.equal(unknown.clusters[0]!.policy.tls.mode, 'AUTO', 'Namespace absent: membership unknown');
});

test('GIVEN port protocols WHEN routes are built THEN http routes reach HTTP and sniffed ports, tcp routes TCP ports', () => {
  const g = graphOf([
    svc('db', 'prod', [{ port: 5432, name: 'tcp-pg' }, { port: 8080, name: 'web' }, { port: 9080, name: 'http' }]),
    vs('db', 'prod', { hosts: ['db'], http: [{ route: [route('db', { port: { number: 9080 } })] }], tcp: [{ match: [{ port: 5432 }], route: [route('db', { port: { number: 5432 } })] }] }),
  ]);
  const v = buildProxyView(g, client);
  const host = 'db.prod.svc.cluster.local';
  assert.equal([routesOf(v, host, 5432)!.http.length, routesOf(v, host, 5432)!.tcp.length], [0, 1]);
  assert.equal([routesOf(v, host, 8080)!.protocol, routesOf(v, host, 8080)!.http.length, routesOf(v, host, 8080)!.tcp.length], ['UnsupportedProtocol', 1, 0]);
  assert.equal([routesOf(v, host, 9080)!.protocol, routesOf(v, host, 9080)!.http.length], ['HTTP', 1]);
});

test('GIVEN a route WHEN viewed THEN every piece keeps its object, field path and line', () => {
  const g = graphOf([svc('reviews', 'prod'), vs('reviews', 'prod', { hosts: ['reviews'], http: [{ match: [{ uri: { exact: '/x' } }], route: [route('reviews', { subset: 'v1' }), route('reviews')] }] })]);
  const h = routesOf(buildProxyView(g, client), REVIEWS)!.http[0]!;
  assert.equal(h.origin, { ref: { kind: 'VirtualService', namespace: 'prod', name: 'reviews' }, path: ['spec', 'http', 0], location: { file: 'test.yaml', line: 104, column: 1 }, source: null });
  assert.equal(h.match[0]!.origin.path, ['spec', 'http', 0, 'match', 0]);
  assert.equal(h.destinations.map((d) => [d.origin.path, d.weight]), [[['spec', 'http', 0, 'route', 0], 0], [['spec', 'http', 0, 'route', 1], 0]]);
});

test('GIVEN the same graph and proxy WHEN viewed twice THEN the view is equal and plain JSON', () => {
  const g = graphOf([svc('reviews', 'prod'), vs('reviews', 'prod', { hosts: ['reviews'], http: [{ route: [route('reviews')] }] })]);
  const a = buildProxyView(g, client);
  const b = buildProxyView(g, client);
  assert.equal(a, b);
  assert.equal(JSON.parse(JSON.stringify(a)), a);
});

test('GIVEN Gateway API routes WHEN their parent is the gateway or a visible Service THEN the view recognises them', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'mesh-route', namespace: 'prod' }, spec: { parentRefs: [{ kind: 'Service', group: '', name: 'reviews' }] } },
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'edge-route', namespace: 'edge' }, spec: { parentRefs: [{ name: 'public' }] } },
  ]);
  assert.equal(buildProxyView(g, client).gatewayApiRoutes.map((r) => [r.kind, r.parent]), [['HTTPRoute', 'Service prod/reviews']]);
  const router = describeProxy({ type: 'router', name: 'public-istio', namespace: 'edge', labels: { 'gateway.networking.k8s.io/gateway-name': 'public' } });
  assert.equal(buildProxyView(g, router).gatewayApiRoutes.map((r) => r.parent), ['Gateway edge/public']);
});

test('GIVEN a workloadSelector DestinationRule WHEN two sidecars share a namespace THEN each view follows its own labels', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    dr('canary-only', 'web', { host: 'reviews.prod.svc.cluster.local', workloadSelector: { matchLabels: { track: 'canary' } }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }),
  ]);
  const lb = (labels: Record<string, string>) => buildProxyView(g, describeProxy({ name: 'c', namespace: 'web', labels })).clusters.find((c) => c.name === `outbound|9080||${REVIEWS}`)!.policy.loadBalancer;
  assert.equal(lb({ track: 'canary' }), { simple: 'RANDOM' });
  assert.equal(lb({ track: 'stable' }), {});
  assert.equal(lb({ track: 'canary' }), { simple: 'RANDOM' }, 'shared scopes never leak between label sets');
});

test.run();
