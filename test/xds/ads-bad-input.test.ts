/** Bad input on ADS streams: each ends cleanly (or is ignored), is recorded, and leaves other streams working. */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as grpc from '@grpc/grpc-js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TYPE_URL } from '../../src/xds/resources.js';
import { AdsServer } from '../../src/xds/server/ads-server.js';
import { SnapshotCache } from '../../src/xds/snapshot-cache.js';
import { createSnapshot } from '../../src/xds/snapshot.js';
import { ADS_PATH, type AdsTestStream, newAdsClient, openAds } from './_ads-client.js';
import { meshResources, weightedRoute } from './_fixtures.js';

const cache = new SnapshotCache();
const server = new AdsServer({ cache, limits: { maxResourceNames: 10_000 } });
let port = 0;
let healthy: AdsTestStream;
let healthyVersion = 0;
const snap = (i: number) => createSnapshot(meshResources('svc:80', { a: [1000 + i] }, [weightedRoute({ a: 1 })]));

/** The bystander: a stream opened first, which must still receive a push after each bad input. */
async function healthyStillServed(): Promise<void> {
  cache.setSnapshot('healthy', snap(++healthyVersion));
  const r = await healthy.next(30_000);
  assert.is(r.typeUrl, TYPE_URL.endpoint);
  healthy.send({ typeUrl: TYPE_URL.endpoint, resourceNames: ['a'], versionInfo: r.versionInfo, responseNonce: r.nonce });
}
const until = async (cond: () => boolean, ms: number, what: string | (() => string)) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test.before(async () => {
  port = await server.listen('127.0.0.1:0');
  cache.setSnapshot('healthy', snap(0));
  cache.setSnapshot('n1', snap(0));
  healthy = openAds(port);
  healthy.send({ node: { id: 'healthy' }, typeUrl: TYPE_URL.endpoint, resourceNames: ['a'] });
  const r = await healthy.next();
  healthy.send({ typeUrl: TYPE_URL.endpoint, resourceNames: ['a'], versionInfo: r.versionInfo, responseNonce: r.nonce });
});
test.after(async () => { healthy.close(); await server.close(200); });

test('GIVEN bytes that are not a DiscoveryRequest WHEN sent on a stream THEN that stream ends INVALID_ARGUMENT with the decode error, recorded in the status', async () => {
  const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = raw.makeBidiStreamRequest(ADS_PATH, (b: Buffer) => b, (b: Buffer) => b);
  const ended = new Promise<grpc.StatusObject>((r) => call.on('status', r));
  call.on('error', () => {});
  call.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]));
  const status = await ended;
  raw.close();
  assert.is(status.code, grpc.status.INVALID_ARGUMENT);
  assert.match(status.details, /^request is not an envoy.service.discovery.v3.DiscoveryRequest \(7 bytes\): /);
  assert.is(server.streamCount, 1, 'the garbage stream is gone, only the bystander is left');
  const recorded = server.status.report().errors.map((e) => e.message);
  assert.ok(recorded.some((m) => m.startsWith('request is not an envoy.service.discovery.v3.DiscoveryRequest (7 bytes): ')), recorded.join('\n'));
  await healthyStillServed();
});

test('GIVEN an unknown type URL WHEN requested THEN it is ignored and recorded, and the same stream still serves CDS', async () => {
  const s = openAds(port);
  s.send({ node: { id: 'n1' }, typeUrl: 'type.googleapis.com/envoy.service.runtime.v3.Runtime', resourceNames: ['rtds'] });
  await until(() => (server.status.node('n1', false)?.unknownTypeUrls.length ?? 0) > 0, 5000, 'the unknown type to be recorded');
  assert.ok(await s.silentFor(200), 'no response for a type the server does not serve');
  assert.equal(server.status.node('n1').unknownTypeUrls, ['type.googleapis.com/envoy.service.runtime.v3.Runtime']);
  s.send({ typeUrl: TYPE_URL.cluster });
  assert.is((await s.next()).resources.length, 1);
  s.close();
  await healthyStillServed();
});

test('GIVEN 20,000 resource names in one request WHEN sent THEN the stream ends RESOURCE_EXHAUSTED naming the limit', async () => {
  const s = openAds(port);
  s.send({ node: { id: 'n1' }, typeUrl: TYPE_URL.endpoint, resourceNames: Array.from({ length: 20_000 }, (_, i) => `outbound|80||svc-${i}.ns.svc.cluster.local`) });
  const status = await s.ended;
  assert.is(status.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(status.details, 'names 20000 resources; this server accepts at most 10000');
  s.close();
  await healthyStillServed();
});

test('GIVEN a first request without node WHEN sent THEN INVALID_ARGUMENT says node.id is required', async () => {
  const s = openAds(port);
  s.send({ typeUrl: TYPE_URL.cluster });
  const status = await s.ended;
  assert.is(status.code, grpc.status.INVALID_ARGUMENT);
  assert.match(status.details, 'must carry node.id');
  s.close();
  await healthyStillServed();
});

test('GIVEN a stream for node n1 WHEN a later request names another node THEN INVALID_ARGUMENT', async () => {
  const s = openAds(port);
  s.send({ node: { id: 'n1' }, typeUrl: TYPE_URL.cluster });
  await s.next();
  s.send({ node: { id: 'someone-else' }, typeUrl: TYPE_URL.listener });
  const status = await s.ended;
  assert.is(status.code, grpc.status.INVALID_ARGUMENT);
  assert.match(status.details, 'node.id changed on one stream from "n1" to "someone-else"');
  s.close();
  await healthyStillServed();
});

test('GIVEN a client process subscribed WHEN it is killed mid-stream THEN the server drops its stream, watch and status entry', async () => {
  cache.setSnapshot('vanisher', snap(0));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '_vanishing-client.ts'), String(port), 'vanisher'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('READY')) resolve(); });
    child.on('exit', (code) => reject(new Error(`client exited early (${code})`)));
  });
  assert.is(server.streamCount, 2);
  child.kill('SIGKILL');
  await until(() => server.streamCount === 1, 5000, 'the server to notice the vanished client');
  assert.is(cache.watcherCount(), 1);
  assert.is(server.status.node('vanisher', false), undefined);
  await healthyStillServed();
});

test('GIVEN 2,000 streams opened, served and dropped WHEN all are gone THEN streams, watches and status entries are freed and heap is back near baseline', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const clients = Array.from({ length: 4 }, () => newAdsClient(port));
  const heapAfterGc = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
  const round = async (n: number) => {
    const streams = Array.from({ length: n }, (_, i) => {
      const s = openAds(port, clients[i % clients.length]);
      s.send({ node: { id: `churn-${i % 100}` }, typeUrl: TYPE_URL.cluster });
      return s;
    });
    for (let i = 0; i < 100; i++) if (!cache.getSnapshot(`churn-${i}`)) cache.setSnapshot(`churn-${i}`, snap(0));
    await Promise.all(streams.map((s) => s.next(30_000)));
    for (const s of streams) s.cancel();
    await until(() => server.streamCount === 1, 10_000, () => `all churned streams to close (open: ${server.streamCount}, status: ${server.status.report().streams})`);
  };
  await round(200);
  const baseline = heapAfterGc();
  await round(1000);
  await round(1000);
  await new Promise((r) => setTimeout(r, 200));
  const after = heapAfterGc();
  for (const c of clients) c.close();
  assert.is(cache.watcherCount(), 1);
  assert.is(server.status.report().nodes.map((n) => n.nodeId).join(), 'healthy');
  const growthMiB = (after - baseline) / 1024 / 1024;
  assert.ok(growthMiB < 8, `heap grew ${growthMiB.toFixed(1)} MiB after 2,000 streams came and went (limit 8 MiB)`);
  await healthyStillServed();
});

test.run();
