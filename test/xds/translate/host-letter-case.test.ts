/**
 * Host letter case in translation, as istiod handles it:
 * - hosts keep their case in the registry and in DestinationRule lookup (`serviceentry/conversion.go`,
 *   `ResolveShortnameToFQDN`, `destination_rule.go`: `host.Name` compared as written), so CDS names a
 *   ServiceEntry host written with capitals as written, and a DestinationRule in other case configures nothing;
 * - a gateway binds VirtualService hosts to server hosts case-sensitively (`host.Names.Intersection`), then keys
 *   and names virtual hosts lower-cased (`gateway.go` buildGatewayRoutes);
 * - a sidecar binds HTTP VirtualService hosts to services lower-cased on both sides (`httproute.go`
 *   selectVirtualServices, `BuildSidecarOutboundVirtualHosts`), and its default route for a service is built from a
 *   lower-cased copy of it, so for a capitalised ServiceEntry host it names a cluster CDS does not have.
 * Envoy then matches the Host header against domains case-insensitively (proxy route cases).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy, proxiesOf } from '../../../src/mesh/view/index.js';
import type { RouteConfiguration } from '../../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import type { ResourceSet } from '../../../src/xds/resources.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { compileRouteConfiguration, findVirtualHost } from '../../../src/proxy/route-select.js';
import { graphOf } from '../../mesh/_graph.js';
import { dr, gw, route, svc, vs } from '../../mesh/view-fixtures.js';
import { selectRoute, targetOf } from './_select.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const ingress = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ingress', namespace: 'istio-system' },
  spec: { template: { metadata: { labels: { istio: 'ingressgateway' } }, spec: { containers: [{ name: 'istio-proxy' }] } } },
};
const partner = (host: string) => ({
  apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'partner', namespace: 'prod' },
  spec: { hosts: [host], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS', location: 'MESH_EXTERNAL' },
});
const limits = (host: string) => dr('partner', 'prod', { host, trafficPolicy: { connectionPool: { tcp: { maxConnections: 7 } } } });

function sidecarSet(objects: Record<string, unknown>[]): { set: ResourceSet; problems: readonly { code: string; message: string }[] } {
  const view = buildProxyView(graphOf(objects), client);
  return { set: translateProxy(view, []), problems: view.problems };
}

function gatewaySet(objects: Record<string, unknown>[]): ResourceSet {
  const g = graphOf([ingress, ...objects]);
  return translateProxy(buildProxyView(g, proxiesOf(g).find((p) => p.type === 'router')!), []);
}

const rds = (set: ResourceSet, name: string): RouteConfiguration => set.routes.find((r) => r.name === name)!;
const maxConnections = (set: ResourceSet, cluster: string) => set.clusters.find((c) => c.name === cluster)?.circuitBreakers?.thresholds[0]?.maxConnections;

test('GIVEN a ServiceEntry host written API.Partner.example WHEN translated for a sidecar THEN its cluster keeps the capitals (istiod keeps the host as written)', () => {
  const { set } = sidecarSet([partner('API.Partner.example')]);
  assert.ok(set.clusters.some((c) => c.name === 'outbound|80||API.Partner.example'), set.clusters.map((c) => c.name).join(' '));
  assert.not.ok(set.clusters.some((c) => c.name === 'outbound|80||api.partner.example'));
});

test('GIVEN a DestinationRule whose host differs from the ServiceEntry host only in case WHEN translated THEN it does not configure the cluster; written alike, it does', () => {
  // Istio's default limit (2^32-1), not the rule's 7.
  assert.is(maxConnections(sidecarSet([partner('API.Partner.example'), limits('api.partner.example')]).set, 'outbound|80||API.Partner.example'), 4294967295);
  assert.is(maxConnections(sidecarSet([partner('api.partner.example'), limits('API.Partner.example')]).set, 'outbound|80||api.partner.example'), 4294967295);
  assert.is(maxConnections(sidecarSet([partner('API.Partner.example'), limits('API.Partner.example')]).set, 'outbound|80||API.Partner.example'), 7);
});

test('GIVEN a capitalised ServiceEntry host and no VirtualService WHEN a sidecar routes it THEN the domain is lower case and the default route names the lower-cased cluster, which CDS lacks (istiod: 503 NC), with a view problem', () => {
  const { set, problems } = sidecarSet([partner('API.Partner.example')]);
  const rc = rds(set, '80');
  const vh = rc.virtualHosts.find((v) => v.domains.includes('api.partner.example'));
  assert.ok(vh, JSON.stringify(rc.virtualHosts.map((v) => v.domains)));
  assert.is(vh!.name, 'api.partner.example:80');
  assert.not.ok(rc.virtualHosts.some((v) => v.domains.includes('API.Partner.example')));
  assert.is(targetOf(selectRoute(rc, { authority: 'api.partner.example', path: '/' })), 'BlackHoleCluster');
  const p = problems.find((x) => x.code === 'view/host-letter-case');
  assert.ok(p, JSON.stringify(problems));
  assert.match(p!.message, 'outbound|80||api.partner.example');
  assert.match(p!.message, 'outbound|80||API.Partner.example');
});

test('GIVEN a VirtualService for the capitalised host routing to it as written WHEN a sidecar routes it THEN the route reaches the cluster CDS has', () => {
  const { set, problems } = sidecarSet([partner('API.Partner.example'), vs('partner', 'prod', { hosts: ['API.Partner.example'], http: [{ route: [route('API.Partner.example')] }] })]);
  const rc = rds(set, '80');
  assert.is(targetOf(selectRoute(rc, { authority: 'api.partner.example', path: '/' })), 'outbound|80||API.Partner.example');
  assert.not.ok(problems.some((x) => x.code === 'view/host-letter-case'));
});

test('GIVEN a mesh VirtualService host Reviews.prod.svc.cluster.local WHEN a sidecar routes the Service reviews THEN it applies (istiod lower-cases both sides of the HTTP binding)', () => {
  const { set } = sidecarSet([svc('reviews', 'prod'), svc('ratings', 'prod'), vs('reviews', 'prod', { hosts: ['Reviews.prod.svc.cluster.local'], http: [{ route: [route('ratings')] }] })]);
  const rc = rds(set, '9080');
  assert.is(targetOf(selectRoute(rc, { authority: 'reviews.prod.svc.cluster.local', path: '/' })), 'outbound|9080||ratings.prod.svc.cluster.local');
  assert.ok(rc.virtualHosts.every((v) => v.domains.every((d) => d === d.toLowerCase())), JSON.stringify(rc.virtualHosts.map((v) => v.domains)));
});

const edge = (hosts: string[]) => gw('edge', 'istio-system', [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts }]);

test('GIVEN a Gateway server host Shop.example.com WHEN a VirtualService names shop.example.com THEN it is not bound (case-sensitive, as istiod) and the host gets 404', () => {
  const set = gatewaySet([svc('web', 'prod'), edge(['Shop.example.com']), vs('web', 'prod', { hosts: ['shop.example.com'], gateways: ['istio-system/edge'], http: [{ route: [route('web')] }] })]);
  const rc = set.routes[0]!;
  assert.is(targetOf(selectRoute(rc, { authority: 'shop.example.com', path: '/' })), 'NR');
  assert.not.ok(rc.virtualHosts.some((v) => v.domains.some((d) => d.toLowerCase() === 'shop.example.com')));
});

test('GIVEN a Gateway wildcard *.Example.com WHEN a VirtualService names shop.example.com THEN it is not bound either', () => {
  const set = gatewaySet([svc('web', 'prod'), edge(['*.Example.com']), vs('web', 'prod', { hosts: ['shop.example.com'], gateways: ['istio-system/edge'], http: [{ route: [route('web')] }] })]);
  assert.is(targetOf(selectRoute(set.routes[0]!, { authority: 'shop.example.com', path: '/' })), 'NR');
});

test('GIVEN VirtualServices for Shop.example.com and shop.example.com on one server WHEN translated THEN one lower-case virtual host holds both, in order, and Envoy (our proxy) loads it', () => {
  const set = gatewaySet([
    svc('web', 'prod'), svc('api', 'prod'), edge(['*']),
    vs('api', 'prod', { hosts: ['Shop.example.com'], gateways: ['istio-system/edge'], http: [{ match: [{ uri: { prefix: '/api' } }], route: [route('api')] }] }),
    vs('web', 'prod', { hosts: ['shop.example.com'], gateways: ['istio-system/edge'], http: [{ route: [route('web')] }] }),
  ]);
  const rc = set.routes[0]!;
  const shop = rc.virtualHosts.filter((v) => v.domains.some((d) => d.toLowerCase() === 'shop.example.com'));
  assert.equal(shop.map((v) => [v.name, v.domains]), [['shop.example.com:80', ['shop.example.com']]]);
  const table = compileRouteConfiguration(rc);
  assert.is(findVirtualHost(table, 'SHOP.example.com')?.name, 'shop.example.com:80');
  assert.is(targetOf(selectRoute(rc, { authority: 'shop.example.com', path: '/api/x' })), 'outbound|9080||api.prod.svc.cluster.local');
  assert.is(targetOf(selectRoute(rc, { authority: 'shop.example.com', path: '/' })), 'outbound|9080||web.prod.svc.cluster.local');
});

test('GIVEN ServiceEntries API.Partner.example and api.partner.example WHEN a sidecar is translated THEN two clusters as written, one lower-case virtual host whose default route reaches the lower-case cluster, and a view problem naming both', () => {
  const lower = { ...partner('api.partner.example'), metadata: { name: 'partner-lower', namespace: 'prod' } };
  const { set, problems } = sidecarSet([partner('API.Partner.example'), lower]);
  const clusters = set.clusters.map((c) => c.name).filter((n) => n.startsWith('outbound|80|'));
  assert.equal(clusters, ['outbound|80||API.Partner.example', 'outbound|80||api.partner.example']);
  const rc = rds(set, '80');
  assert.equal(rc.virtualHosts.filter((v) => v.domains.includes('api.partner.example')).map((v) => v.name), ['api.partner.example:80']);
  assert.is(targetOf(selectRoute(rc, { authority: 'api.partner.example', path: '/' })), 'outbound|80||api.partner.example');
  const p = problems.filter((x) => x.code === 'view/host-letter-case');
  assert.is(p.length, 1, JSON.stringify(p));
  assert.match(p[0]!.message, 'differ only in letter case');
  assert.not.match(p[0]!.message, '503 NC');
});

test('GIVEN the Service reviews and a ServiceEntry Reviews.prod.svc.cluster.local WHEN a sidecar routes them THEN every domain is lower case, short names included, and the Service gets the traffic', () => {
  const entry = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'reviews-upper', namespace: 'prod' },
    spec: { hosts: ['Reviews.prod.svc.cluster.local'], ports: [{ number: 9080, name: 'http', protocol: 'HTTP' }], resolution: 'DNS', location: 'MESH_INTERNAL' } };
  const { set } = sidecarSet([svc('reviews', 'prod'), entry]);
  const rc = rds(set, '9080');
  const domains = rc.virtualHosts.flatMap((v) => v.domains);
  assert.ok(domains.every((d) => d === d.toLowerCase()), JSON.stringify(domains));
  assert.ok(domains.includes('reviews.prod') && domains.includes('reviews'), JSON.stringify(domains));
  assert.is(targetOf(selectRoute(rc, { authority: 'reviews.prod', path: '/' })), 'outbound|9080||reviews.prod.svc.cluster.local');
  assert.is(targetOf(selectRoute(rc, { authority: 'reviews', path: '/' })), 'outbound|9080||reviews.prod.svc.cluster.local');
});

test.run();
