/**
 * Subset clusters exist only where the proxy's DestinationRule defines the subset, as istiod builds
 * them (cluster_builder applyDestinationRule over the subsets of `SidecarScope.DestinationRule`): a
 * route to a subset the proxy's rule does not define names a cluster it does not have (Envoy 503 NC;
 * here BlackHoleCluster), instead of a cluster holding every pod of the service.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { translateProxy, type WorkloadInstance } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { deploy, dr, ns, route, svc, vs } from '../../mesh/view-fixtures.js';

const REVIEWS = 'reviews.shop.svc.cluster.local';
const V1 = `outbound|9080|v1|${REVIEWS}`;
const workloads: WorkloadInstance[] = [
  { name: 'reviews-v1', namespace: 'shop', address: '10.0.0.1', labels: { app: 'reviews', version: 'v1' }, ports: {} },
  { name: 'reviews-v2', namespace: 'shop', address: '10.0.0.2', labels: { app: 'reviews', version: 'v2' }, ports: {} },
];
const base = [
  ns('shop'), ns('front'),
  svc('reviews', 'shop', [{ port: 9080, name: 'http' }], {}),
  deploy('reviews-v1', 'shop', { app: 'reviews', version: 'v1' }), deploy('reviews-v2', 'shop', { app: 'reviews', version: 'v2' }),
  vs('reviews', 'shop', { hosts: ['reviews'], http: [{ route: [route('reviews', { subset: 'v1' })] }] }),
];
const subsets = { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] };

/** The cluster the client's route for reviews goes to, whether the client has a `V1` cluster, and its endpoints' addresses. */
function seenFrom(objects: Record<string, unknown>[], namespace: string): { routeCluster: string | undefined; hasV1: boolean; v1Endpoints: string[]; problems: string[] } {
  const view = buildProxyView(graphOf(objects), describeProxy({ name: 'client', namespace, labels: { app: 'client' } }));
  const set = translateProxy(view, workloads);
  const vh = set.routes.find((r) => r.name === '9080')?.virtualHosts.find((v) => v.domains.includes(REVIEWS));
  const action = vh?.routes[0]?.action;
  const spec = action?.case === 'route' ? action.value.clusterSpecifier : undefined;
  const cla = set.endpoints.find((e) => e.clusterName === V1);
  return {
    routeCluster: spec?.case === 'cluster' ? spec.value : undefined,
    hasV1: set.clusters.some((c) => c.name === V1),
    v1Endpoints: (cla?.endpoints ?? []).flatMap((l) => l.lbEndpoints.map((e) => (e.hostIdentifier.case === 'endpoint' && e.hostIdentifier.value.address?.address.case === 'socketAddress' ? e.hostIdentifier.value.address.address.value.address : '?'))),
    problems: view.problems.map((p) => p.code),
  };
}

test('GIVEN a DestinationRule exported to its own namespace only WHEN a sidecar of another namespace routes to its subset THEN it has no subset cluster and the route fails, as with istiod', () => {
  const objects = [...base, dr('reviews', 'shop', { ...subsets, exportTo: ['.'] })];
  const front = seenFrom(objects, 'front');
  assert.is(front.hasV1, false, 'no outbound|9080|v1 cluster holding every reviews pod');
  assert.is(front.routeCluster, 'BlackHoleCluster');
  assert.equal(front.problems, ['view/subset-not-found']);
  const shop = seenFrom(objects, 'shop');
  assert.equal([shop.hasV1, shop.routeCluster, shop.v1Endpoints, shop.problems], [true, V1, ['10.0.0.1'], []], 'the rule\'s own namespace keeps the subset');
});

test('GIVEN a DestinationRule of the client\'s namespace for the host without the subset WHEN it shadows the service\'s rule THEN the subset has no cluster there', () => {
  const objects = [...base, dr('reviews', 'shop', subsets), dr('reviews-local', 'front', { host: REVIEWS, trafficPolicy: { connectionPool: { tcp: { maxConnections: 10 } } } })];
  const front = seenFrom(objects, 'front');
  assert.equal([front.hasV1, front.routeCluster], [false, 'BlackHoleCluster']);
  const elsewhere = seenFrom([...objects, ns('other')], 'other');
  assert.equal([elsewhere.hasV1, elsewhere.routeCluster, elsewhere.v1Endpoints], [true, V1, ['10.0.0.1']], 'a namespace without its own rule uses the service\'s');
});

test('GIVEN a route to a subset no DestinationRule defines WHEN translated THEN no cluster for it holds every pod', () => {
  const objects = [...base.slice(0, -1), vs('reviews', 'shop', { hosts: ['reviews'], http: [{ route: [route('reviews', { subset: 'v9' })] }] }), dr('reviews', 'shop', subsets)];
  const view = buildProxyView(graphOf(objects), describeProxy({ name: 'client', namespace: 'front', labels: {} }));
  assert.not.ok(view.clusters.some((c) => c.subset === 'v9'));
  assert.match(view.problems.find((p) => p.code === 'view/subset-not-found')!.message, /subset "v9" of reviews\.shop\.svc\.cluster\.local is not defined by the DestinationRule the client uses for it \(shop\/reviews\).*Fix: define subset "v9"/);
});

test.run();
