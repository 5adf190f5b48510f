import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServe, type XdsServeHandle } from '../../../src/cli/xds-command.js';
import { TYPE_URL } from '../../../src/xds/resources.js';
import { openAds } from '../_ads-client.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const work = mkdtempSync(join(tmpdir(), 'meshproof-xds-serve-'));
const input = join(work, 'httpbin.k8s.yaml');
const workloads = join(work, 'workloads.json');
copyFileSync(join(ROOT, 'dist/httpbin.k8s.yaml'), input);
copyFileSync(join(ROOT, 'test/golden/xds/workloads.json'), workloads);
const logs: string[] = [];
let h: XdsServeHandle;

test.before(async () => {
  // One app's file alone is not a whole mesh (no mesh-wide PeerAuthentication): the check suite is
  // test/xds/serve-safety.test.ts's subject; this test is about translation and the watcher.
  h = await startServe({ paths: [input], workloads, listen: '127.0.0.1:0', cwd: work, watch: true, debounceMs: 50, check: false, log: (l) => logs.push(l) });
});
test.after(async () => {
  await h.close();
  rmSync(work, { recursive: true, force: true });
});

test('GIVEN xds serve on an app WHEN a sidecar node subscribes to CDS THEN it receives the translated clusters; an edited input is pushed, an unusable one is not', async () => {
  const s = openAds(h.port);
  s.send({ node: { id: 'httpbin/httpbin-v1' }, typeUrl: TYPE_URL.cluster });
  const first = await s.next(30_000);
  assert.ok(first.resources.length > 2, `only ${first.resources.length} clusters`);
  assert.ok(h.cache.getSnapshot('grpc:httpbin/httpbin-v1'), 'proxyless node id published too');
  s.send({ typeUrl: TYPE_URL.cluster, versionInfo: first.versionInfo, responseNonce: first.nonce });

  const good = h.cache.getSnapshot('httpbin/httpbin-v1')!.version;
  writeFileSync(input, 'kind: [unclosed\n');
  assert.is(await h.reload(), false);
  assert.ok(logs.some((l) => l.includes('input unusable, keeping the last good config')), logs.join('\n'));
  assert.is(h.cache.getSnapshot('httpbin/httpbin-v1')!.version, good, 'the last good snapshot keeps serving');

  const original = readFileSync(join(ROOT, 'dist/httpbin.k8s.yaml'), 'utf8');
  writeFileSync(input, original.replace(/connectTimeout: \S+|maxConnections: \d+/, (m) => (m.startsWith('max') ? 'maxConnections: 7' : 'connectTimeout: 7s')));
  const pushed = await s.next(30_000);
  assert.not.equal(pushed.versionInfo, first.versionInfo, 'the watcher re-translated the edited input and pushed it');
  s.close();
});

test.run();
