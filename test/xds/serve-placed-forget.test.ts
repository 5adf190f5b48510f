/**
 * `xds serve` keeps a placed proxy's placement and snapshot (`<ns>/<workload>?inbound=<pod ip>`) only
 * while it has a stream, plus `forgetPlacedAfterMs`: pods that come and go with new IPs do not grow
 * the server's memory without bound. A proxy that reconnects in time keeps its snapshot; one that
 * comes back later gets a fresh one.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe, type XdsServeHandle } from '../../src/cli/xds-command.js';
import { TYPE_URL } from '../../src/xds/resources.js';
import { openAds } from './_ads-client.js';

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'meshproof-forget-'));
for (const f of readdirSync(join(ROOT, 'dist'))) if (f.startsWith('bookinfo') && f.endsWith('.k8s.yaml')) copyFileSync(join(ROOT, 'dist', f), join(work, f));
/** Long enough that a reconnect lands within it on a loaded machine; the forgetting itself is waited for, not slept for. */
const FORGET_MS = 1000;
let h: XdsServeHandle;
const log: string[] = [];

test.before(async () => {
  h = await startServe({ paths: [work], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, forgetPlacedAfterMs: FORGET_MS, log: (l) => log.push(l) });
});
test.after(async () => {
  await h?.close();
  rmSync(work, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (cond: () => boolean, ms: number, what: string) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
};

/** Opens a stream as `id`, reads its listeners, and returns the stream. */
async function connect(id: string) {
  const s = openAds(h.port);
  s.send({ node: { id }, typeUrl: TYPE_URL.listener, resourceNames: [] });
  const r = await s.next(30_000);
  assert.is(r.typeUrl, TYPE_URL.listener);
  assert.ok(r.resources.length > 0, 'the placed proxy gets its listeners');
  return s;
}

test('GIVEN a placed proxy WHEN its last stream closes THEN its snapshot is dropped after forgetPlacedAfterMs, and served again when it reconnects', async () => {
  const id = 'bookinfo/reviews-v1?inbound=10.244.0.7';
  const s = await connect(id);
  assert.ok(h.cache.getSnapshot(id));
  const closedAt = performance.now();
  s.close();
  await until(() => h.cache.getSnapshot(id) === undefined, 30_000, `${id} to be forgotten`);
  assert.ok(performance.now() - closedAt >= FORGET_MS - 5, `forgotten ${(performance.now() - closedAt).toFixed(0)} ms after its stream closed`);
  assert.ok(log.some((l) => l.includes(`${id}: no stream for ${FORGET_MS} ms`)), log.join('\n'));
  const again = await connect(id);
  assert.ok(h.cache.getSnapshot(id), 'placed again on reconnect');
  again.close();
});

test('GIVEN a placed proxy WHEN it reconnects within forgetPlacedAfterMs THEN nothing is dropped', async () => {
  const id = 'bookinfo/ratings-v1?inbound=10.244.0.8';
  const first = await connect(id);
  first.close();
  const second = await connect(id);
  await sleep(FORGET_MS * 1.5);
  assert.ok(h.cache.getSnapshot(id), 'kept while a stream is open');
  assert.not.ok(log.some((l) => l.startsWith(`xds serve: ${id}: no stream`)));
  second.close();
});

test('GIVEN a plain (not placed) node WHEN its stream closes THEN its snapshot stays: it comes from the inputs, not from the connection', async () => {
  const id = 'bookinfo/productpage-v1';
  const s = await connect(id);
  s.close();
  await sleep(FORGET_MS * 1.5);
  assert.ok(h.cache.getSnapshot(id));
});

test.run();
