/** The balancer factory the core calls: per-cluster state kept across EDS updates, connection hash keys for TCP stand-ins. */
import { create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClusterSchema, Cluster_LbPolicy } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { Exchange, UpstreamHost } from '../../../src/proxy/http/pipeline.js';
import { CONNECTION_HASH, ClusterPolicies } from '../../../src/proxy/policy/wiring/cluster-state.js';
import { xxHash64 } from '../../../src/proxy/policy/lb/xxhash.js';
import { seeded } from './_helpers.js';

const up = (i: number): UpstreamHost => ({ key: `10.0.0.${i}:80`, address: `10.0.0.${i}`, port: 80, weight: 1, hostname: '', locality: 'r/z/', healthy: true, active: 0 });
const standIn = (state: Map<symbol, unknown>) => ({ state, decision: undefined }) as unknown as Exchange;

test('GIVEN a RING_HASH cluster and a TCP stand-in with a connection hash THEN the same source IP always reaches the same host; without one the picks vary', () => {
  const cps = new ClusterPolicies(() => 0, false);
  const lb = cps.factory(create(ClusterSchema, { name: 'tcp', lbPolicy: Cluster_LbPolicy.RING_HASH }), [up(1), up(2), up(3), up(4)], seeded(1));
  const key = new Map<symbol, unknown>([[CONNECTION_HASH, xxHash64('192.168.1.7')]]);
  assert.is(new Set(Array.from({ length: 20 }, () => lb.choose(standIn(key))!.key)).size, 1);
  assert.ok(new Set(Array.from({ length: 40 }, () => lb.choose(standIn(new Map()))!.key)).size > 1);
});

test('GIVEN an ejected host WHEN EDS sends the hosts again (same objects) THEN it stays ejected; a new cluster config resets the state', () => {
  const cps = new ClusterPolicies(() => 0, false);
  const cluster = create(ClusterSchema, { name: 'c', outlierDetection: { consecutive5xx: 1, maxEjectionPercent: 100 } });
  const hosts = [up(1), up(2)];
  cps.factory(cluster, hosts, seeded(1));
  const cp = cps.get('c')!;
  cp.outlier!.putHttpStatus(cp.byUpstream.get(hosts[0]!)!, 500);
  const lb = cps.factory(cluster, [...hosts, up(3)], seeded(1));
  assert.ok(cps.get('c')!.byUpstream.get(hosts[0]!)!.ejected);
  assert.ok(Array.from({ length: 10 }, () => lb.choose(undefined as never)!.key).every((k) => k !== '10.0.0.1:80'));
  cps.factory(create(ClusterSchema, { name: 'c', outlierDetection: { consecutive5xx: 2, maxEjectionPercent: 100 } }), hosts, seeded(1));
  assert.not.ok(cps.get('c')!.byUpstream.get(hosts[0]!)!.ejected);
});

test.run();
