/**
 * `xds serve` makes a proxyless gRPC node's snapshot (`grpc:<ns>/<workload>`) when the node first
 * connects, and on a reload only while it is connected: most sidecars never have one, and each holds
 * an api_listener per service. Envoy nodes' snapshots are deferred the same way (serve-lazy-*.test.ts),
 * unless `eager`, which still defers proxyless ones.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe } from '../../src/cli/xds-command.js';
import { TYPE_URL } from '../../src/xds/resources.js';
import { openAds } from './_ads-client.js';

const ROOT = resolve(import.meta.dirname, '../..');

test('GIVEN xds serve on bookinfo, eager WHEN nothing is connected THEN grpc: snapshots are deferred; WHEN a proxyless node connects THEN it gets its api_listeners, and a reload remakes its snapshot while the others stay deferred', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-lazy-'));
  for (const f of readdirSync(join(ROOT, 'dist'))) if (f.startsWith('bookinfo') && f.endsWith('.k8s.yaml')) copyFileSync(join(ROOT, 'dist', f), join(work, f));
  const h = await startServe({ paths: [work], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, eager: true, log: () => {} });
  const grpc = 'grpc:bookinfo/productpage-v1';
  const stream = openAds(h.port);
  try {
    assert.match(h.cache.versionOf('bookinfo/productpage-v1') ?? '', /^[0-9a-f]{16}$/, 'eager: Envoy nodes are made at once');
    assert.is(h.cache.versionOf(grpc), 'deferred');
    assert.is(h.cache.versionOf('grpc:bookinfo/details-v1'), 'deferred');
    stream.send({ node: { id: grpc }, typeUrl: TYPE_URL.listener, resourceNames: [] });
    const r = await stream.next(30_000);
    assert.ok(r.resources.length > 0, 'the proxyless node gets its api_listeners');
    assert.match(h.cache.versionOf(grpc) ?? '', /^[0-9a-f]{16}$/);
    const file = readdirSync(work).map((f) => join(work, f)).find((f) => /timeout: \S+/.test(readFileSync(f, 'utf8')));
    if (file) writeFileSync(file, readFileSync(file, 'utf8').replace(/timeout: \S+/, 'timeout: 9s'));
    assert.ok(await h.reload());
    assert.match(h.cache.versionOf(grpc) ?? '', /^[0-9a-f]{16}$/, 'a connected proxyless node is remade on reload');
    assert.is(h.cache.versionOf('grpc:bookinfo/details-v1'), 'deferred', 'an unconnected one stays deferred');
  } finally {
    stream.close();
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
