/**
 * MeshConfig `connectTimeout` is the connect_timeout of every cluster no DestinationRule shapes, as
 * istiod sets it (`applyDefaultConnectionPool`, `buildBlackHoleCluster`,
 * `buildDefaultPassthroughCluster`): outbound, BlackHoleCluster, PassthroughCluster, inbound clusters
 * and InboundPassthroughCluster; a DestinationRule's `connectionPool.tcp.connectTimeout` still wins
 * on its host's clusters.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_MESH_CONTEXT, meshConfigFrom } from '../../../src/mesh/mesh-config.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { deploy, ns, svc } from '../../mesh/view-fixtures.js';

function timeouts(meshConfig?: Record<string, unknown>, withRule = false): Map<string, string> {
  const objects: unknown[] = [ns('prod'), deploy('web', 'prod', { app: 'web' }), svc('web', 'prod', [{ port: 8080, name: 'http' }]), deploy('db', 'prod', { app: 'db' }), svc('db', 'prod', [{ port: 5432, name: 'tcp' }])];
  if (withRule) objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'db', namespace: 'prod' }, spec: { host: 'db', trafficPolicy: { connectionPool: { tcp: { connectTimeout: '250ms' } } } } });
  const context = meshConfig ? { ...DEFAULT_MESH_CONTEXT, meshConfig: meshConfigFrom(meshConfig) } : undefined;
  const graph = graphOf(objects as never, context ? { context } : undefined);
  const proxy = proxiesOf(graph).find((p) => p.name === 'web')!;
  const set = translateProxy(buildProxyView(graph, proxy), []);
  const out = new Map<string, string>();
  for (const c of set.clusters) out.set(c.name, `${Number(c.connectTimeout?.seconds ?? 0n)}s${c.connectTimeout?.nanos ? `+${c.connectTimeout.nanos / 1e6}ms` : ''}`);
  return out;
}

const EXPECTED = ['BlackHoleCluster', 'PassthroughCluster', 'InboundPassthroughCluster', 'inbound|8080||', 'outbound|8080||web.prod.svc.cluster.local', 'outbound|5432||db.prod.svc.cluster.local'];

test('GIVEN the default MeshConfig WHEN a sidecar is translated THEN every cluster connects within 10 s', () => {
  const t = timeouts();
  for (const name of EXPECTED) assert.is(t.get(name), '10s', name);
});

test('GIVEN MeshConfig connectTimeout 3s WHEN a sidecar is translated THEN BlackHole, Passthrough, inbound and outbound clusters all take 3 s', () => {
  const t = timeouts({ connectTimeout: '3s' });
  for (const name of EXPECTED) assert.is(t.get(name), '3s', name);
});

test('GIVEN MeshConfig connectTimeout 3s and a DestinationRule connectTimeout 250ms on db WHEN translated THEN db\'s cluster takes the rule\'s, the rest the mesh\'s', () => {
  const t = timeouts({ connectTimeout: '3s' }, true);
  assert.is(t.get('outbound|5432||db.prod.svc.cluster.local'), '0s+250ms');
  assert.is(t.get('BlackHoleCluster'), '3s');
  assert.is(t.get('inbound|8080||'), '3s');
});

test.run();
