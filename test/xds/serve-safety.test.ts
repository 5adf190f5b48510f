/**
 * `xds serve` never pushes an input the check suite rejects: the last good config keeps serving,
 * the rejection and its findings are logged and shown on the status endpoint, and a fixed input is
 * pushed again. File changes are debounced: a burst of writes is one reload.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe, type XdsServeHandle } from '../../src/cli/xds-command.js';
import { TYPE_URL } from '../../src/xds/resources.js';
import { openAds } from './_ads-client.js';

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'meshproof-serve-safety-'));
for (const f of readdirSync(join(ROOT, 'dist'))) if (f.endsWith('.k8s.yaml')) copyFileSync(join(ROOT, 'dist', f), join(work, f));
const bookinfo = join(work, 'bookinfo.k8s.yaml');
const original = readFileSync(bookinfo, 'utf8');
const logs: string[] = [];
let h: XdsServeHandle;

test.before(async () => {
  h = await startServe({ paths: [work], listen: '127.0.0.1:0', status: '127.0.0.1:0', cwd: work, watch: true, debounceMs: 200, log: (l) => logs.push(l) });
});
test.after(async () => {
  await h?.close();
  rmSync(work, { recursive: true, force: true });
});

const status = async () => (await (await fetch(`http://127.0.0.1:${h.statusPort}/status`)).json()) as { publish: { outcome: string; errors: string[]; lastGoodAt?: string; at: string } };
const until = async (cond: () => boolean | Promise<boolean>, ms: number, what: () => string) => {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};
const rejections = () => logs.filter((l) => l.startsWith('xds serve: input rejected by the check suite')).length;

test('GIVEN a served mesh WHEN an edit makes the check suite report an error THEN nothing is pushed, the last good config serves, and stderr and /status show the findings; a fix is pushed', async () => {
  const first = await status();
  assert.is(first.publish.outcome, 'published');
  const s = openAds(h.port);
  try {
    // The gateway's route table for bookinfo: the edit below routes it to an undefined subset.
    s.send({ node: { id: 'istio-ingress/istio-ingressgateway' }, typeUrl: TYPE_URL.listener });
    const lds = await s.next(30_000);
    s.send({ typeUrl: TYPE_URL.listener, versionInfo: lds.versionInfo, responseNonce: lds.nonce });
    const goodVersion = h.cache.getSnapshot('istio-ingress/istio-ingressgateway')!.version;
    const before = rejections();

    writeFileSync(bookinfo, original.replace('subset: v1', 'subset: v9'));
    await until(() => rejections() > before, 10_000, () => logs.slice(-3).join('\n'));
    const logged = logs.findLast((l) => l.startsWith('xds serve: input rejected'))!;
    assert.match(logged, /input rejected by the check suite \(1 error\), keeping the last good config:\n {2}.*bookinfo\.k8s\.yaml:\d+: references\/subset-exists \(IST0101\): Referenced destination subset "v9" is not defined/);
    const rejected = await status();
    assert.is(rejected.publish.outcome, 'rejected');
    assert.is(rejected.publish.errors.length, 1);
    assert.match(rejected.publish.errors[0]!, /bookinfo\.k8s\.yaml:\d+: references\/subset-exists \(IST0101\): /);
    assert.is(rejected.publish.lastGoodAt, first.publish.lastGoodAt, 'the config that serves is still the first one');
    assert.is(h.cache.getSnapshot('istio-ingress/istio-ingressgateway')!.version, goodVersion);
    assert.ok(await s.silentFor(300), 'no push for a rejected input');

    writeFileSync(bookinfo, original.replace(/weight: 75/, 'weight: 70').replace(/weight: 25/, 'weight: 30'));
    await until(async () => (await status()).publish.outcome === 'published', 10_000, () => logs.slice(-3).join('\n'));
    assert.not.equal(h.cache.getSnapshot('bookinfo/productpage-v1')!.version, undefined);
    assert.ok((await status()).publish.lastGoodAt! > first.publish.lastGoodAt!);
  } finally {
    s.close();
    writeFileSync(bookinfo, original);
  }
});

test('GIVEN the watcher WHEN ten writes land at once THEN one reload follows, after the quiet period, reading the last write', async () => {
  await until(async () => (await status()).publish.outcome === 'published', 10_000, () => 'settled');
  // Quiet: no reload for 500 ms (the previous test's restoring write has been handled).
  let count = logs.length;
  await until(async () => { const n = logs.length; await new Promise((r) => setTimeout(r, 500)); const quiet = n === logs.length && n === count; count = n; return quiet; }, 15_000, () => 'quiet');
  const before = rejections();
  const t0 = Date.now();
  for (let i = 0; i < 10; i++) writeFileSync(bookinfo, original.replace('subset: v1', `subset: v9${i}`));
  await until(() => rejections() > before, 10_000, () => 'a reload');
  assert.ok(Date.now() - t0 >= 200, 'not before the 200 ms quiet period');
  await new Promise((r) => setTimeout(r, 800));
  assert.is(rejections() - before, 1, `one reload for the burst, saw ${rejections() - before}`);
  assert.match(logs.findLast((l) => l.startsWith('xds serve: input rejected'))!, /subset "v99"/, 'the reload read the last write');
  writeFileSync(bookinfo, original);
});

test.run();
