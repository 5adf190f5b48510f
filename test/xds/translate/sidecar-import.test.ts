/**
 * The xDS a sidecar gets under a Sidecar whose egress listener is bound to a port, on the real YAML of
 * the check fixtures 12zr (port-9080 listener only) and 12zs (plus a listener without port importing
 * ledger/*): istiod imports a VirtualService destination through a port-bound listener only on that
 * port (pilot/pkg/model/sidecar.go `serviceMatchingListenerPort`), so without the second listener
 * shop's sidecars have no ledger cluster, no ledger endpoints and no ledger listener, and the /ledger
 * route goes to a cluster that does not exist (Envoy 503 NC; here BlackHoleCluster).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join, resolve } from 'node:path';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { translateProxy, type WorkloadInstance } from '../../../src/xds/translate/index.js';

const CASES = resolve(import.meta.dirname, '../../fixtures/cases/real-world-variants');
const ORDERS = 'orders.shop.svc.cluster.local';
const LEDGER = 'ledger.ledger.svc.cluster.local';
const workloads: WorkloadInstance[] = [
  { name: 'orders', namespace: 'shop', address: '10.0.0.1', labels: { app: 'orders' }, ports: {} },
  { name: 'ledger', namespace: 'ledger', address: '10.0.0.2', labels: { app: 'ledger' }, ports: {} },
];

/** What shop's orders sidecar gets from the fixture `file`. */
async function ordersSidecar(file: string) {
  const loaded = await loadInputs([join(CASES, file)]);
  const graph = MeshGraph.from(loaded.files);
  const proxy = proxiesOf(graph).find((p) => p.type === 'sidecar' && p.namespace === 'shop' && p.labels.app === 'orders');
  if (!proxy) throw new Error(`no orders sidecar in ${file}`);
  const set = translateProxy(buildProxyView(graph, proxy), workloads);
  const vh = set.routes.find((r) => r.name === '9080')?.virtualHosts.find((v) => v.domains.includes(ORDERS));
  const ledgerRoute = vh?.routes.find((r) => r.match?.pathSpecifier.case === 'prefix' && r.match.pathSpecifier.value === '/ledger')?.action;
  const spec = ledgerRoute?.case === 'route' ? ledgerRoute.value.clusterSpecifier : undefined;
  return {
    clusters: set.clusters.map((c) => c.name).filter((n) => n.startsWith('outbound|')),
    assignments: set.endpoints.map((e) => e.clusterName).filter((n) => n.startsWith('outbound|')),
    listeners: set.listeners.map((l) => l.name).filter((n) => /_\d+$/.test(n) && !n.startsWith('virtual')),
    ledgerCluster: spec?.case === 'cluster' ? spec.value : undefined,
  };
}

test('GIVEN 12zr (a Sidecar whose only egress listener is on port 9080, importing a VirtualService that routes /ledger to ledger:8080) WHEN shop\'s sidecar is translated THEN it gets orders:9080 only: no ledger cluster, load assignment or listener, and /ledger goes to BlackHoleCluster', async () => {
  const got = await ordersSidecar('12zr-sidecar-port-listener-skips-vs-destination-other-port.yaml');
  assert.equal(got.clusters, [`outbound|9080||${ORDERS}`]);
  assert.equal(got.assignments, [`outbound|9080||${ORDERS}`]);
  assert.equal(got.listeners, ['0.0.0.0_9080']);
  assert.is(got.ledgerCluster, 'BlackHoleCluster');
});

test('GIVEN 12zs (the same plus a listener without port importing ledger/*) WHEN shop\'s sidecar is translated THEN ledger:8080 has its cluster, load assignment and listener, /ledger goes to it, and the 9080 listener\'s "istio-system/*" imports nothing (edge-gateway has no port 9080)', async () => {
  const got = await ordersSidecar('12zs-sidecar-portless-listener-imports-destination.yaml');
  assert.equal(got.clusters, [`outbound|8080||${LEDGER}`, `outbound|9080||${ORDERS}`]);
  assert.equal(got.assignments, [`outbound|8080||${LEDGER}`, `outbound|9080||${ORDERS}`]);
  assert.equal(got.listeners, ['0.0.0.0_8080', '0.0.0.0_9080']);
  assert.is(got.ledgerCluster, `outbound|8080||${LEDGER}`);
});

test.run();
