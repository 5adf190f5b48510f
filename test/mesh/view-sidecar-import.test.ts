/**
 * What a Sidecar's egress listeners import, service by service and port by port, as istiod's
 * SidecarScope does (pilot/pkg/model/sidecar.go `convertIstioListenerToWrapper`, `selectServices`,
 * `collectImportedServices`, `serviceMatchingListenerPort`, `serviceMatchingVirtualServicePorts`,
 * `needsPortMatch`, `appendSidecarServices`): the clusters a sidecar gets are those ports, and a
 * route to any other port has no cluster (503 NC).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy, type ProxyView } from '../../src/mesh/view/index.js';
import { graphOf } from './_graph.js';
import { route, sidecar, svc, vs } from './view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'web', labels: { app: 'client' } });
const ORDERS = 'orders.web.svc.cluster.local';
const LEDGER = 'ledger.ledger.svc.cluster.local';
const REVIEWS = 'reviews.prod.svc.cluster.local';

const ports = (...numbers: number[]) => numbers.map((n) => ({ port: n, name: `http-${n}` }));
const clustersOf = (v: ProxyView) => v.clusters.map((c) => c.name);
const routeKeys = (v: ProxyView) => v.routes.map((r) => `${r.host}:${r.port}`);
const se = (name: string, namespace: string, host: string, numbers: number[]) => ({
  apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace },
  spec: { hosts: [host], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: numbers.map((n) => ({ number: n, name: `http-${n}`, protocol: 'HTTP' })) },
});
/** orders (web) routes /ledger to ledger.ledger `to` (a port number, or none) and the rest to itself on 9080. */
const ordersVs = (to: number | undefined) => vs('orders', 'web', { hosts: ['orders'], http: [
  { match: [{ uri: { prefix: '/ledger' } }], route: [route(LEDGER, to === undefined ? {} : { port: { number: to } })] },
  { route: [route('orders', { port: { number: 9080 } })] },
] });
const view = (egress: unknown[], ...more: Record<string, unknown>[]) => buildProxyView(graphOf([
  svc('orders', 'web', ports(9080, 9090, 9443)), svc('ledger', 'ledger', ports(8080)), svc('reviews', 'prod', ports(9080, 7070)),
  sidecar('default', 'web', { egress }), ...more,
]), client);

test('GIVEN an egress listener on port 9080 importing "./*" and a VirtualService it imports routing to ledger:8080 WHEN the view is built THEN the only cluster is orders:9080 (serviceMatchingListenerPort) and the /ledger route names a cluster that does not exist', () => {
  const v = view([{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, hosts: ['./*'] }], ordersVs(8080));
  assert.equal(clustersOf(v), [`outbound|9080||${ORDERS}`]);
  assert.equal(v.services.map((s) => [s.host, s.ports.map((p) => p.number)]), [[ORDERS, [9080]]]);
  assert.equal(routeKeys(v), [`${ORDERS}:9080`]);
  const ledger = v.routes[0]!.http[0]!.destinations[0]!;
  assert.equal([ledger.cluster, v.clusters.some((c) => c.name === ledger.cluster)], [`outbound|8080||${LEDGER}`, false]);
});

test('GIVEN a port-9080 listener and a VirtualService destination whose service has 9080 among other ports WHEN viewed THEN only that port of it is imported, for CDS only: no route of its own (istiod builds listeners from ilw.services)', () => {
  const g = graphOf([
    svc('orders', 'web', ports(9080)), svc('ledger', 'ledger', ports(8080, 9080)),
    sidecar('default', 'web', { egress: [{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, hosts: ['./*'] }] }), ordersVs(undefined),
  ]);
  const v = buildProxyView(g, client);
  assert.equal(clustersOf(v), [`outbound|9080||${LEDGER}`, `outbound|9080||${ORDERS}`]);
  assert.equal(routeKeys(v), [`${ORDERS}:9080`]);
  assert.equal(v.routes[0]!.http[0]!.destinations[0]!.cluster, `outbound|9080||${LEDGER}`, 'a destination without port takes the listener\'s');
});

test('GIVEN a listener without port WHEN its VirtualService names a destination port, none, or a port the service lacks THEN the destination is imported on the ports named (serviceMatchingVirtualServicePorts), on all without port, not at all when it has none of them', () => {
  const table: [number | undefined, string[]][] = [
    [8080, [`outbound|8080||${LEDGER}`]],
    [undefined, [`outbound|8080||${LEDGER}`, `outbound|8443||${LEDGER}`]],
    [7000, []],
  ];
  for (const [to, want] of table) {
    const v = buildProxyView(graphOf([
      svc('orders', 'web', ports(9080)), svc('ledger', 'ledger', ports(8080, 8443)),
      sidecar('default', 'web', { egress: [{ hosts: ['./*'] }] }), ordersVs(to),
    ]), client);
    assert.equal(clustersOf(v).filter((c) => c.endsWith(LEDGER)), want, `destination port ${String(to)}`);
    assert.equal(routeKeys(v), [`${ORDERS}:9080`], 'ledger gets clusters, not routes');
  }
});

test('GIVEN two port-bound listeners importing one multi-port service WHEN viewed THEN its ports merge (appendSidecarServices): clusters and routes for 9080 and 9090, none for its third port', () => {
  const v = view([
    { port: { number: 9080, protocol: 'HTTP', name: 'http' }, hosts: ['./*'] },
    { port: { number: 9090, protocol: 'HTTP', name: 'http2' }, hosts: ['./*'] },
  ]);
  assert.equal(clustersOf(v), [`outbound|9080||${ORDERS}`, `outbound|9090||${ORDERS}`]);
  assert.equal(routeKeys(v), [`${ORDERS}:9080`, `${ORDERS}:9090`]);
});

test('GIVEN a port-bound listener and a catch-all listener WHEN viewed THEN the catch-all imports its hosts whole for CDS but builds no route on the port the other took (the listener is locked)', () => {
  const v = view([{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, hosts: ['./*'] }, { hosts: ['prod/*'] }], ordersVs(8080));
  assert.equal(clustersOf(v), [`outbound|7070||${REVIEWS}`, `outbound|9080||${ORDERS}`, `outbound|9080||${REVIEWS}`]);
  assert.equal(routeKeys(v), [`${REVIEWS}:7070`, `${ORDERS}:9080`]);
});

test('GIVEN a port-bound listener WHEN its hosts are "*/*", "ns/host", "~/*" beside "*/*", or a service lacks the port THEN it imports exactly the matching services that have the port', () => {
  const l = (hosts: string[]) => [{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, hosts }];
  assert.equal(clustersOf(view(l(['*/*']))), [`outbound|9080||${ORDERS}`, `outbound|9080||${REVIEWS}`], '*/*');
  assert.equal(clustersOf(view(l([`prod/${REVIEWS}`]))), [`outbound|9080||${REVIEWS}`], 'ns/host');
  assert.equal(clustersOf(view(l(['*/*', '~prod/*']))), [`outbound|9080||${ORDERS}`], 'an exclusion');
  assert.equal(clustersOf(view(l(['ledger/*']))), [], 'ledger has no port 9080: not imported');
});

test('GIVEN a ServiceEntry with two ports and a listener on one of them WHEN viewed THEN only that port is imported; HTTP_PROXY listeners match no port (needsPortMatch)', () => {
  const ext = se('api', 'ext', 'api.example.com', [443, 80]);
  const one = view([{ port: { number: 443, protocol: 'HTTP', name: 'https' }, hosts: ['ext/*'] }], ext);
  assert.equal(clustersOf(one), ['outbound|443||api.example.com']);
  const proxy = view([{ port: { number: 3128, protocol: 'HTTP_PROXY', name: 'proxy' }, hosts: ['ext/*'] }], ext);
  assert.equal(clustersOf(proxy), ['outbound|443||api.example.com', 'outbound|80||api.example.com']);
  const wildcard = se('wild', 'ext', '*.example.com', [443]);
  assert.equal(clustersOf(view([{ hosts: ['ext/api.example.com'] }], wildcard)), [], 'a host does not import a wildcard ServiceEntry covering it (SubsetOf)');
  assert.equal(clustersOf(view([{ hosts: ['ext/*.example.com'] }], wildcard)), ['outbound|443||*.example.com']);
});

test('GIVEN a rule with a match naming another sourceNamespace beside one naming none WHEN the Sidecar imports its VirtualService THEN its destination is not imported (virtualServiceDestinationsFilteredBySourceNamespace)', () => {
  const routed = (matches: Record<string, unknown>[]) => clustersOf(view([{ hosts: ['./*'] }], vs('orders', 'web', { hosts: ['orders'], http: [
    { match: matches, route: [route(LEDGER)] }, { route: [route('orders')] },
  ] }))).filter((c) => c.endsWith(LEDGER));
  assert.equal(routed([{ uri: { prefix: '/l' } }]), [`outbound|8080||${LEDGER}`], 'without sourceNamespace');
  assert.equal(routed([{ sourceNamespace: 'web' }]), [`outbound|8080||${LEDGER}`], 'naming the client namespace');
  assert.equal(routed([{ sourceNamespace: 'other' }, { uri: { prefix: '/l' } }]), []);
});

test('GIVEN a Sidecar in the root namespace importing "./*" WHEN a sidecar of another namespace is viewed THEN "." is that namespace (convertIstioListenerToWrapper: currentNamespace → configNamespace)', () => {
  const v = buildProxyView(graphOf([
    svc('orders', 'web', ports(9080)), svc('istiod', 'istio-system', ports(15012)),
    sidecar('default', 'istio-system', { egress: [{ hosts: ['./*'] }] }),
  ]), client);
  assert.equal(clustersOf(v), [`outbound|9080||${ORDERS}`]);
});

/** orders (web) delegates /ledger to the VirtualService `leaf` in namespace `routes`, whose rule is `leaf`; the rest goes to orders. */
const delegating = (egress: unknown[], root: Record<string, unknown>, leaf: Record<string, unknown>) => clustersOf(view(egress,
  vs('orders', 'web', { hosts: ['orders'], http: [
    { match: [{ uri: { prefix: '/ledger' } }], ...root, delegate: { name: 'leaf', namespace: 'routes' } },
    { route: [route('orders', { port: { number: 9080 } })] },
  ] }),
  vs('leaf', 'routes', { http: [leaf] }),
)).filter((c) => c.endsWith(LEDGER));

test('GIVEN an imported VirtualService delegating to a VirtualService that routes to ledger WHEN the Sidecar imports only "./*" THEN ledger is imported from the delegate\'s destination (istiod reads the merged VirtualServices), its short host resolved in the delegate\'s namespace', () => {
  assert.equal(delegating([{ hosts: ['./*'] }], {}, { route: [route(LEDGER, { port: { number: 8080 } })] }), [`outbound|8080||${LEDGER}`]);
  const short = view([{ hosts: ['./*'] }],
    vs('orders', 'web', { hosts: ['orders'], http: [{ delegate: { name: 'leaf', namespace: 'ledger' } }] }),
    vs('leaf', 'ledger', { http: [{ route: [route('ledger')] }] }));
  assert.equal(clustersOf(short).filter((c) => c.endsWith(LEDGER)), [`outbound|8080||${LEDGER}`], '"ledger" in namespace ledger');
});

test('GIVEN a root rule mirroring to ledger WHEN it delegates THEN ledger is imported only through a delegate rule without mirror of its own (mergeHTTPRoute gives it the root\'s mirror; istiod drops the root rule itself)', () => {
  const egress = [{ hosts: ['./*'] }];
  const toOrders = { route: [route(ORDERS)] };
  assert.equal(delegating(egress, { mirror: { host: LEDGER } }, toOrders), [`outbound|8080||${LEDGER}`], 'inherited');
  assert.equal(delegating(egress, { mirror: { host: LEDGER } }, { ...toOrders, mirror: { host: ORDERS } }), [], 'the delegate rule\'s own mirror replaces it');
  assert.equal(delegating(egress, { mirror: { host: LEDGER } }, { ...toOrders, match: [{ uri: { prefix: '/orders' } }] }), [], 'no delegate rule merges: nothing inherits it');
});

test('GIVEN a delegating rule WHEN the merged match names another sourceNamespace, or the root drops the delegate rule for a match conflict THEN the delegate\'s destination is not imported', () => {
  const toLedger = { route: [route(LEDGER)] };
  assert.equal(delegating([{ hosts: ['./*'] }], {}, { ...toLedger, match: [{ uri: { prefix: '/ledger/x' }, sourceNamespace: 'other' }] }), [], 'sourceNamespace other');
  assert.equal(delegating([{ hosts: ['./*'] }], {}, { ...toLedger, match: [{ uri: { prefix: '/ledger/x' }, sourceNamespace: 'web' }] }), [`outbound|8080||${LEDGER}`], 'sourceNamespace web');
  assert.equal(delegating([{ hosts: ['./*'] }], {}, { ...toLedger, match: [{ uri: { prefix: '/orders' } }] }), [], '/orders is not within /ledger: dropped');
});

test('GIVEN egress hosts "./*" and "~ledger/*" WHEN an imported VirtualService, direct or through a delegate, routes to ledger.ledger THEN ledger is still imported: the exclusion applies to selectServices and SelectVirtualServices, not to the destinations collectImportedServices adds', () => {
  const egress = [{ hosts: ['./*', '~ledger/*'] }];
  assert.equal(clustersOf(view(egress, ordersVs(8080))).filter((c) => c.endsWith(LEDGER)), [`outbound|8080||${LEDGER}`], 'direct');
  assert.equal(delegating(egress, {}, { route: [route(LEDGER, { port: { number: 8080 } })] }), [`outbound|8080||${LEDGER}`], 'delegate');
  assert.equal(clustersOf(view([{ hosts: ['./*', '~ledger/*', 'ledger/*'] }])).filter((c) => c.endsWith(LEDGER)), [], 'the exclusion does hold for the hosts themselves');
});

test.run();
