/**
 * Shared parts (src/xds/translate/_parts.ts): the translation cache's read-only clusters and load
 * assignments share the sub-messages they have alike; uncached ones own theirs, so a caller that
 * edits one resource never changes another.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toBinary } from '@bufbuild/protobuf';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { ClusterSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../../src/xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { translateProxy, type WorkloadInstance } from '../../../src/xds/translate/index.js';
import { meshOf } from '../../../bench/view/mesh.js';
import { manifests } from '../../mesh/_graph.js';

const workloads: WorkloadInstance[] = [0, 1, 2].flatMap((i) => ['v1', 'v2'].map((v) => ({ name: `svc${i}-${v}`, namespace: `ns${i}`, address: `10.0.${i}.${v === 'v1' ? 1 : 2}`, labels: { app: `svc${i}`, version: v }, ports: {} })));

function sidecarView() {
  const graph = MeshGraph.from(manifests(...meshOf(3)));
  return buildProxyView(graph, proxiesOf(graph).find((p) => p.type === 'sidecar' && p.namespace === 'ns0')!);
}

test('GIVEN cached clusters and load assignments WHEN built THEN alike sub-messages are one object and an endpoint is shared by the default and the subset assignment', () => {
  const set = translateProxy(sidecarView(), workloads);
  const byName = new Map(set.clusters.map((c) => [c.name, c]));
  const a = byName.get('outbound|8080|v1|svc0.ns0.svc.cluster.local')!;
  const b = byName.get('outbound|8080|v2|svc1.ns1.svc.cluster.local')!;
  assert.ok(a.circuitBreakers && a.circuitBreakers === b.circuitBreakers, 'circuit breakers shared');
  assert.ok(a.outlierDetection && a.outlierDetection === b.outlierDetection, 'outlier detection shared');
  assert.ok(a.connectTimeout === b.connectTimeout && a.edsClusterConfig!.edsConfig === b.edsClusterConfig!.edsConfig);
  assert.is(a.transportSocketMatches[1], b.transportSocketMatches[1], 'the plaintext socket match is shared');
  assert.is.not(a.transportSocketMatches[0], b.transportSocketMatches[0], 'the mTLS match (SNI, SANs) is each cluster\'s own');
  const cla = new Map(set.endpoints.map((e) => [e.clusterName, e]));
  const all = cla.get('outbound|8080||svc0.ns0.svc.cluster.local')!.endpoints[0]!.lbEndpoints;
  const v1 = cla.get('outbound|8080|v1|svc0.ns0.svc.cluster.local')!.endpoints[0]!.lbEndpoints;
  assert.is(all.length, 2);
  assert.is(v1.length, 1);
  assert.ok(all.includes(v1[0]!), 'the v1 endpoint is the same message in both assignments');
});

test('GIVEN uncached translation WHEN one cluster and one assignment are edited in place THEN no other resource changes (they own their parts), and the bytes equal the cached ones before', () => {
  const view = sidecarView();
  const cached = translateProxy(view, workloads);
  const fresh = translateProxy(view, workloads, { cache: false });
  const bytes = (s: typeof fresh) => [...s.clusters.map((c) => Buffer.from(toBinary(ClusterSchema, c)).toString('hex')), ...s.endpoints.map((e) => Buffer.from(toBinary(ClusterLoadAssignmentSchema, e)).toString('hex'))];
  assert.equal(bytes(fresh), bytes(cached));
  const before = bytes(fresh);
  const [c0, c1] = fresh.clusters.filter((c) => c.circuitBreakers);
  c0!.circuitBreakers!.thresholds[0]!.maxRetries = 7;
  fresh.endpoints[0]!.endpoints[0]!.lbEndpoints[0]!.loadBalancingWeight = 9;
  const after = bytes(fresh);
  assert.is(after.filter((x, i) => x !== before[i]).length, 2, 'exactly the two edited resources changed');
  assert.is(c1!.circuitBreakers!.thresholds[0]!.maxRetries, 4294967295);
  assert.equal(bytes(translateProxy(view, workloads)), bytes(cached), 'the cache is untouched');
});

test.run();
