/**
 * A node's snapshot deferred by `xds serve` (made when the node connects) is exactly the one the
 * eager build (every Envoy node made on every reload, `eager: true`) gives it: the same versions and
 * byte-equal resources, for every node of a small mesh, after reloads that edit a VirtualService and
 * a Deployment, change only the workload list, and change nothing. Both servers share one set of
 * workload certificates, so their SDS secrets are comparable too.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe, type XdsServeHandle } from '../../src/cli/xds-command.js';
import { createCa } from '../../src/pki/index.js';
import { PUSH_ORDER, TYPE_URL } from '../../src/xds/resources.js';
import { WorkloadCertificates } from '../../src/xds/sds/workload-certificates.js';
import type { Snapshot } from '../../src/xds/snapshot.js';
import { openAds } from './_ads-client.js';
import { BASE, baseWorkloads } from './translate/_carry.js';

/** Every version and every resource (name, type URL, bytes) of a snapshot, one line each. */
function linesOf(s: Snapshot): string[] {
  const out = [`version ${s.version}`];
  for (const kind of PUSH_ORDER) {
    out.push(`${kind} version ${s.types[kind].version}`);
    for (const [name, any] of s.types[kind].resources) out.push(`${kind} ${name} ${any.typeUrl} ${Buffer.from(any.value).toString('hex')}`);
  }
  return out;
}

/** Asserts that every node of `eager` is served by `lazy` with an equal snapshot; returns how many nodes were compared. */
function assertSameSnapshots(eager: XdsServeHandle, lazy: XdsServeHandle, what: string): number {
  const ids = eager.cache.nodeIds();
  assert.equal(lazy.cache.nodeIds(), ids, `${what}: the same nodes are served`);
  for (const id of ids) {
    const e = eager.cache.getSnapshot(id);
    const l = lazy.cache.getSnapshot(id);
    assert.ok(e && l, `${what}: ${id} has a snapshot in both`);
    assert.equal(linesOf(l!), linesOf(e!), `${what}: ${id}`);
  }
  return ids.length;
}

test('GIVEN an eager and a lazy xds serve on one mesh WHEN reloads edit a VirtualService and a Deployment, then only the workloads, then nothing THEN each node connecting later gets byte-equal resources and equal versions', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-lazy-equal-'));
  const writeWorkloads = (list: unknown[]) => writeFileSync(join(work, 'workloads.json'), JSON.stringify({ workloads: list }));
  writeFileSync(join(work, 'mesh.yaml'), BASE);
  writeWorkloads(baseWorkloads());
  const certificates = new WorkloadCertificates(await createCa({ trustDomain: 'cluster.local' }));
  const common = { paths: ['mesh.yaml'], workloads: 'workloads.json', listen: '127.0.0.1:0', cwd: work, watch: false, check: false, certificates, log: () => {} };
  const eager = await startServe({ ...common, eager: true });
  const lazy = await startServe(common);
  const connected = 'shop/reviews-v1';
  const stream = openAds(lazy.port);
  try {
    assert.is(lazy.cache.versionOf('front/ratings'), 'deferred', 'nothing connected: deferred');
    assert.match(eager.cache.versionOf('front/ratings') ?? '', /^[0-9a-f]{16}$/, 'eager: made at once');
    // Subscribed to ratings' load assignment, which the edit moves to another address.
    const ratings = ['outbound|8080||ratings.front.svc.cluster.local'];
    stream.send({ node: { id: connected }, typeUrl: TYPE_URL.endpoint, resourceNames: ratings });
    const first = await stream.next(30_000);
    assert.is(first.resources.length, 1);
    stream.send({ typeUrl: TYPE_URL.endpoint, resourceNames: ratings, versionInfo: first.versionInfo, responseNonce: first.nonce });

    writeFileSync(join(work, 'mesh.yaml'), BASE.replace('weight: 80 }', 'weight: 30 }').replace('weight: 20 }', 'weight: 70 }')
      .replace('metadata: { name: ratings, namespace: front }\nspec:\n  template:\n    metadata: { labels: { app: ratings } }', 'metadata: { name: ratings, namespace: front }\nspec:\n  template:\n    metadata: { labels: { app: ratings, team: a } }'));
    const moved = baseWorkloads().map((w) => (w.name === 'ratings' ? { ...w, address: '10.0.1.9', labels: { ...w.labels, team: 'a' } } : w));
    writeWorkloads(moved);
    assert.ok(await eager.reload());
    assert.ok(await lazy.reload());
    const after = lazy.publish();
    assert.equal([after.made, after.published], [1, 1], `only the connected node is made: ${JSON.stringify(after)}`);
    assert.ok((after.deferred ?? 0) > 5, 'the others are deferred');
    const pushed = await stream.next(30_000);
    assert.is(pushed.typeUrl, TYPE_URL.endpoint);
    assert.not.equal(pushed.versionInfo, first.versionInfo, 'the connected node got the change');
    for (const id of lazy.cache.nodeIds()) if (id !== connected) assert.is(lazy.cache.versionOf(id), 'deferred', `${id} waits for its node`);
    const compared = assertSameSnapshots(eager, lazy, 'after the edit');
    assert.is(compared, 9, `compared ${compared} nodes (5 workloads, 4 of them sidecars with a grpc: node)`);

    // Only the workload list changes: the graph is kept, every node's snapshot is deferred anew.
    writeWorkloads([...moved, { name: 'reviews-v2', namespace: 'shop', address: '10.0.0.3', labels: { app: 'reviews', version: 'v2', 'security.istio.io/tlsMode': 'istio' }, ports: {} }]);
    assert.ok(await eager.reload());
    assert.ok(await lazy.reload());
    assert.is(lazy.publish().made, 1);
    assert.is(lazy.cache.versionOf('front/productpage'), 'deferred');
    assertSameSnapshots(eager, lazy, 'after a workloads change');

    // Nothing changes: nothing is made, every node left as it is.
    assert.ok(await eager.reload());
    assert.ok(await lazy.reload());
    const same = lazy.publish();
    assert.equal([same.made, same.deferred, same.untouched], [0, 0, lazy.cache.nodeIds().length], JSON.stringify(same));
    assertSameSnapshots(eager, lazy, 'after an unchanged reload');
  } finally {
    stream.close();
    await eager.close();
    await lazy.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
