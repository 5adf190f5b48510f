/**
 * Default outbound clusters as istiod's CDS builds them (`cluster.go buildOutboundClusters`): every
 * non-UDP port of every service the proxy sees, plus one per DestinationRule subset, whether or not a
 * route names them; sidecars and gateways alike. `BlackHoleCluster` for both, `PassthroughCluster`
 * for sidecars only, whatever `outboundTrafficPolicy` says (the route tables decide between them).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { deploy, dr, gw, ns, route, sidecar, svc, vs } from '../../mesh/view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const gateway = describeProxy({ type: 'router', name: 'ingress', namespace: 'istio-system', labels: { istio: 'ingressgateway' } });

const se = (name: string, namespace: string, spec: Record<string, unknown>) =>
  ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace }, spec });

const MESH = [
  ns('prod'),
  // A VirtualService sends every HTTP request of reviews to subset v1; its TCP port and the other subset are named by nothing.
  svc('reviews', 'prod', [{ port: 9080, name: 'http' }, { port: 5432, name: 'tcp-db' }, { port: 53, name: 'dns', protocol: 'UDP' }]),
  deploy('reviews-v1', 'prod', { app: 'reviews', version: 'v1' }),
  dr('reviews', 'prod', { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] }),
  vs('reviews', 'prod', { hosts: ['reviews'], http: [{ route: [route('reviews', { subset: 'v1' })] }] }),
  // No VirtualService mentions ratings.
  svc('ratings', 'prod', [{ port: 9080, name: 'http' }, { port: 9443, name: 'https' }]),
  se('external', 'prod', { hosts: ['api.example.com', 'auth.example.com'], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 443, name: 'tls', protocol: 'TLS' }, { number: 80, name: 'http', protocol: 'HTTP' }] }),
  // Exported to its own namespace only: invisible from prod.
  svc('private', 'secret', [{ port: 8080, name: 'http' }], { annotations: { 'networking.istio.io/exportTo': '.' } }),
];

const R = 'reviews.prod.svc.cluster.local';
const RATINGS = 'ratings.prod.svc.cluster.local';
const WANT = [
  `outbound|5432||${R}`, `outbound|5432|v1|${R}`, `outbound|5432|v2|${R}`,
  `outbound|9080||${R}`, `outbound|9080|v1|${R}`, `outbound|9080|v2|${R}`,
  `outbound|9080||${RATINGS}`, `outbound|9443||${RATINGS}`,
  'outbound|443||api.example.com', 'outbound|80||api.example.com',
  'outbound|443||auth.example.com', 'outbound|80||auth.example.com',
].sort();

const outbound = (names: readonly string[]) => names.filter((n) => n.startsWith('outbound|')).sort();

test('GIVEN services, ports and subsets no route names WHEN a sidecar is translated THEN every non-UDP port of every visible service has its cluster and each subset one, with a load assignment', () => {
  const set = translateProxy(buildProxyView(graphOf(MESH), client), []);
  const names = set.clusters.map((c) => c.name);
  assert.equal(outbound(names), WANT);
  assert.not.ok(names.some((n) => n.includes('|53|')), 'UDP ports get no cluster (istiod skips them)');
  assert.not.ok(names.some((n) => n.includes('private.secret')), 'a service exported elsewhere is not visible');
  const eds = set.clusters.filter((c) => c.edsClusterConfig).map((c) => c.name).sort();
  assert.equal(set.endpoints.map((e) => e.clusterName).sort(), eds, 'each EDS cluster has its ClusterLoadAssignment');
  assert.ok(names.includes('BlackHoleCluster') && names.includes('PassthroughCluster'));
});

test('GIVEN the same mesh WHEN the gateway is translated THEN it holds the same default clusters (no Gateway server routes to them) and BlackHoleCluster but no PassthroughCluster', () => {
  const g = graphOf([...MESH, deploy('ingress', 'istio-system', { istio: 'ingressgateway' }), gw('edge', 'istio-system', [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/shop.example.com'] }])]);
  const names = translateProxy(buildProxyView(g, gateway), []).clusters.map((c) => c.name);
  assert.equal(outbound(names), WANT);
  assert.ok(names.includes('BlackHoleCluster'));
  assert.not.ok(names.includes('PassthroughCluster'));
});

test('GIVEN a Sidecar that imports only ./ratings.prod.svc.cluster.local WHEN translated THEN only ratings (and what its routes reach) has clusters', () => {
  const g = graphOf([...MESH, sidecar('default', 'prod', { egress: [{ hosts: [`./${RATINGS}`] }] })]);
  const names = translateProxy(buildProxyView(g, client), []).clusters.map((c) => c.name);
  assert.equal(outbound(names), [`outbound|9080||${RATINGS}`, `outbound|9443||${RATINGS}`]);
});

test('GIVEN outboundTrafficPolicy ALLOW_ANY or REGISTRY_ONLY WHEN a sidecar is translated THEN both keep PassthroughCluster and BlackHoleCluster, and the catch-all virtual host passes through or answers 502', () => {
  for (const [mode, vhost] of [['ALLOW_ANY', 'allow_any:9080'], ['REGISTRY_ONLY', 'block_all:9080']] as const) {
    const g = graphOf([...MESH, sidecar('default', 'prod', { outboundTrafficPolicy: { mode } })]);
    const set = translateProxy(buildProxyView(g, client), []);
    const names = set.clusters.map((c) => c.name);
    assert.ok(names.includes('PassthroughCluster') && names.includes('BlackHoleCluster'), mode);
    const last = set.routes.find((r) => r.name === '9080')!.virtualHosts.at(-1)!;
    assert.is(last.name, vhost, mode);
    assert.equal(last.domains, ['*']);
  }
});

test('GIVEN a VirtualService routing to a port its service does not have WHEN a sidecar is translated THEN no cluster is made for that port (istiod builds clusters from the service ports only) and the route goes to BlackHoleCluster, as it would to istiod\'s missing cluster (503 NC)', () => {
  const g = graphOf([...MESH.filter((o) => !(o.kind === 'VirtualService')),
    vs('ratings', 'prod', { hosts: ['ratings'], http: [{ route: [route('ratings', { port: { number: 9999 } })] }] })]);
  const set = translateProxy(buildProxyView(g, client), []);
  const names = set.clusters.map((c) => c.name);
  assert.not.ok(names.some((n) => n.includes('|9999|')), names.filter((n) => n.includes('ratings')).join(', '));
  const vh = set.routes.find((r) => r.name === '9080')!.virtualHosts.find((v) => v.name === `${RATINGS}:9080`)!;
  const action = vh.routes[0]!.action;
  assert.is(action.case === 'route' && action.value.clusterSpecifier.case === 'cluster' ? action.value.clusterSpecifier.value : undefined, 'BlackHoleCluster');
});

test.run();
