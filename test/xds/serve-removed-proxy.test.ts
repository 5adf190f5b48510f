/**
 * `xds serve` drops the snapshot of a node that is no longer in the input (a workload removed or
 * renamed, a namespace's injection turned off, a sidecar turned gateway), placed or not: before,
 * such a node kept its last config (routes of a mesh that no longer existed) and `/status` listed it.
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

test('GIVEN xds serve on bookinfo WHEN details-v1 is renamed and reviews-v1 (also placed by a stream) removed THEN their node ids (and grpc: ids) are no longer served, the log names them, and the others still are', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-removed-'));
  for (const f of readdirSync(join(ROOT, 'dist'))) if (f.startsWith('bookinfo') && f.endsWith('.k8s.yaml')) copyFileSync(join(ROOT, 'dist', f), join(work, f));
  const logs: string[] = [];
  const h = await startServe({ paths: [work], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, log: (l) => logs.push(l) });
  const placed = 'bookinfo/reviews-v1?inbound=10.244.0.9';
  const stream = openAds(h.port);
  try {
    stream.send({ node: { id: placed }, typeUrl: TYPE_URL.listener, resourceNames: [] });
    assert.ok((await stream.next(30_000)).resources.length > 0);
    for (const id of ['bookinfo/details-v1', 'grpc:bookinfo/details-v1', 'bookinfo/reviews-v1', placed]) assert.ok(h.cache.getSnapshot(id), `${id} served at first`);
    const file = readdirSync(work).map((f) => join(work, f)).find((f) => readFileSync(f, 'utf8').includes('name: details-v1'))!;
    let text = readFileSync(file, 'utf8').replaceAll('name: details-v1', 'name: details-v9');
    writeFileSync(file, text);
    for (const f of readdirSync(work).map((x) => join(work, x))) {
      text = readFileSync(f, 'utf8');
      // Every document naming the reviews-v1 Deployment goes (the Deployment itself).
      const docs = text.split(/^---$/m).filter((d) => !/kind: Deployment[\s\S]*name: reviews-v1\b/.test(d));
      writeFileSync(f, docs.join('---'));
    }
    assert.ok(await h.reload());
    for (const id of ['bookinfo/details-v1', 'grpc:bookinfo/details-v1', 'bookinfo/reviews-v1', 'grpc:bookinfo/reviews-v1', placed]) {
      assert.is(h.cache.getSnapshot(id), undefined, `${id} is no longer served`);
    }
    assert.ok(h.cache.getSnapshot('bookinfo/details-v9') && h.cache.getSnapshot('bookinfo/productpage-v1'), 'the others are');
    assert.ok(logs.some((l) => /nodes? no longer in the input, .* dropped .*bookinfo\/details-v1/.test(l)), logs.join('\n'));
    assert.ok(logs.some((l) => l.includes(`node ${JSON.stringify(placed)}: no workload bookinfo/reviews-v1`) && l.includes('any longer')), logs.join('\n'));
  } finally {
    stream.close();
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
