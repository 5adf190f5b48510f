/**
 * A circuit-breaker burst that must go through a host's routes (verify --runtime, where your
 * processes' routes cannot be pinned) is sized from the route's split, so its largest cluster
 * still gets more requests at once than its limits admit.
 */
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import { burstThroughSplit } from '../../src/verify/runtime/judge-resilience.js';
import { largestRouteShare } from '../../src/verify/static/routing.js';
import { ROOT } from './_dist.js';

test('GIVEN limits admitting 15 at once WHEN the burst is sized for one cluster, or for the 80 % cluster of a split THEN one cluster gets 19, and 28 leave the 80 % cluster over 15 with three standard deviations to spare', () => {
  assert.is(burstThroughSplit(15, 1), 19);
  const n = burstThroughSplit(15, 0.8)!;
  assert.is(n, 28);
  assert.ok(n * 0.8 - 3 * Math.sqrt(n * 0.8 * 0.2) >= 16);
  assert.is(burstThroughSplit(2, 0.9), 6);
  assert.is(burstThroughSplit(28, 0.2), undefined, 'a 20 % cluster would need more than a proof sends');
});

test('GIVEN the committed customers (90/10 split, x-canary: always pinned to v2) WHEN the largest share of the route for a request is asked THEN 0.9 for GET / and 1 for the pinned request', async () => {
  const graph = MeshGraph.from((await loadInputs([path.join(ROOT, 'dist')], { cwd: ROOT })).files);
  const request = { host: 'customers.customers.svc.cluster.local', port: 80, path: '/', method: 'GET', headers: {}, via: { kind: 'mesh' as const, namespace: 'customers' } };
  assert.is(largestRouteShare(graph, request), 0.9);
  assert.is(largestRouteShare(graph, { ...request, headers: { 'x-canary': 'always' } }), 1);
});

test.run();
