/**
 * Backpressure on ADS streams, with a raw HTTP/2 client that stops reading (a stuck or slow proxy):
 * the server waits for `drain` instead of buffering every push, keeps one pending response per type,
 * closes a stream that never drains, and a slow reader that resumes gets the latest version. Other
 * streams are served throughout.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as http2 from 'node:http2';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type DiscoveryResponse, DiscoveryRequestSchema, DiscoveryResponseSchema } from '../../src/xds/gen/envoy/service/discovery/v3/discovery_pb.js';
import { SECRET_TYPE_URL, TYPE_URL } from '../../src/xds/resources.js';
import { buildValidationContextSecret } from '../../src/xds/sds/secrets.js';
import { AdsServer } from '../../src/xds/server/ads-server.js';
import { SnapshotCache } from '../../src/xds/snapshot-cache.js';
import { createSnapshot } from '../../src/xds/snapshot.js';
import { ADS_PATH, openAds } from './_ads-client.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/**
 * A full GC after which `process.memoryUsage().arrayBuffers` is exact: V8 frees dead ArrayBuffers'
 * memory on a background thread after the GC returns (concurrent array-buffer sweeping), and on a
 * loaded machine that thread runs late, so 40 dropped pushes could still be counted seconds later.
 */
function fullGc(): void {
  v8.setFlagsFromString('--no-concurrent-array-buffer-sweeping');
  try { gc(); } finally { v8.setFlagsFromString('--concurrent-array-buffer-sweeping'); }
}

/**
 * How long a stream may read nothing while responses are pending. 4 s, not 1.5 s: the memory bound is
 * measured while the stuck stream is still open, after 40 pushes, and a 2-core machine running two
 * test files (npm test's two workers) under other load once took longer than 1.5 s to get there.
 */
const DRAIN_TIMEOUT_MS = 4000;
const cache = new SnapshotCache();
const server = new AdsServer({ cache, limits: { drainTimeoutMs: DRAIN_TIMEOUT_MS } });
let port = 0;
/** A snapshot whose one Secret is ~`kib` KiB: big enough that a few responses fill the HTTP/2 window and socket buffers. */
const bigSnapshot = (version: number, kib = 512) => createSnapshot({ clusters: [], endpoints: [], listeners: [], routes: [], secrets: [buildValidationContextSecret('big', `${version}:${'x'.repeat(kib * 1024)}`)] });

test.before(async () => { port = await server.listen('127.0.0.1:0'); });
test.after(async () => { await server.close(200); });

/** A gRPC call over a raw HTTP/2 stream whose reading the test controls (grpc-js clients always read). */
function rawAds(nodeId: string) {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  const stream = session.request({ ':method': 'POST', ':path': ADS_PATH, 'content-type': 'application/grpc', te: 'trailers' });
  stream.on('error', () => {});
  const frame = (bytes: Uint8Array) => { const b = Buffer.alloc(5 + bytes.length); b.writeUInt32BE(bytes.length, 1); b.set(bytes, 5); return b; };
  stream.write(frame(toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { node: { id: nodeId }, typeUrl: SECRET_TYPE_URL, resourceNames: ['big'] }))));
  const responses: DiscoveryResponse[] = [];
  let buf = Buffer.alloc(0);
  stream.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 5 && buf.length >= 5 + buf.readUInt32BE(1)) {
      const len = buf.readUInt32BE(1);
      responses.push(fromBinary(DiscoveryResponseSchema, buf.subarray(5, 5 + len)));
      buf = buf.subarray(5 + len);
    }
  });
  let trailers: http2.IncomingHttpHeaders | undefined;
  stream.on('trailers', (t) => { trailers = t; });
  return {
    responses, stream,
    ack: (r: DiscoveryResponse) => stream.write(frame(toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { typeUrl: SECRET_TYPE_URL, resourceNames: ['big'], versionInfo: r.versionInfo, responseNonce: r.nonce })))),
    trailers: () => trailers,
    close: () => { stream.destroy(); session.destroy(); },
  };
}
const until = async (cond: () => boolean, ms: number, what: () => string) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const secretVersion = (r: DiscoveryResponse) => new TextDecoder().decode((r.resources[0]!.value)).match(/(\d+):x/)?.[1];

test('GIVEN a client that stops reading WHEN 40 pushes of 512 KiB follow THEN the server holds at most one pending response, closes the stream after drainTimeoutMs, and a bystander is served', async () => {
  cache.setSnapshot('stuck', bigSnapshot(0));
  cache.setSnapshot('bystander', bigSnapshot(0, 1));
  const stuck = rawAds('stuck');
  await until(() => stuck.responses.length === 1, 30_000, () => 'first response');
  stuck.ack(stuck.responses[0]!);
  stuck.stream.pause();
  const bystander = openAds(port);
  bystander.send({ node: { id: 'bystander' }, typeUrl: SECRET_TYPE_URL, resourceNames: ['big'] });
  let r = await bystander.next(30_000);
  bystander.send({ typeUrl: SECRET_TYPE_URL, resourceNames: ['big'], versionInfo: r.versionInfo, responseNonce: r.nonce });
  fullGc();
  const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  try {
    for (let v = 1; v <= 40; v++) {
      cache.setSnapshot('stuck', bigSnapshot(v));
      await new Promise((res) => setImmediate(res));
    }
    // Buffering every push would hold 40 x 512 KiB = 20 MiB; the writer holds the socket's share plus one pending response.
    // Measured once, after the server has answered the last push (its sent version is the last snapshot's), and while
    // the stuck stream is still open (drainTimeoutMs closing it would free what it held).
    const last = cache.getSnapshot('stuck')!.types.secret.version;
    await until(() => server.status.node('stuck', false)?.types.secret?.sentVersion === last || server.streamCount < 2, 30_000, () => 'the last push handled');
    fullGc();
    const grown = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heapBefore;
    assert.is(server.streamCount, 2, 'the stuck stream was closed before the memory it held could be measured');
    assert.ok(grown < 4 * 1024 * 1024, `memory grew ${(grown / 1048576).toFixed(1)} MiB while the client was stuck`);
    cache.setSnapshot('bystander', bigSnapshot(1, 1));
    r = await bystander.next(30_000);
    assert.is(secretVersion(r), '1', 'the bystander still gets its push');
    await until(() => server.status.report().errors.some((e) => e.nodeId === 'stuck'), DRAIN_TIMEOUT_MS + 30_000, () => JSON.stringify(server.status.report().errors));
    const err = server.status.report().errors.find((e) => e.nodeId === 'stuck')!;
    assert.is(err.code, 'RESOURCE_EXHAUSTED');
    assert.match(err.message, new RegExp(`^the client read nothing for \\d+ ms while responses were pending \\(drainTimeoutMs ${DRAIN_TIMEOUT_MS}\\); stream closed$`));
    assert.is(server.streamCount, 1, 'only the bystander is left');
    assert.is(cache.watcherCount(), 1);
  } finally {
    stuck.close();
    bystander.close();
  }
});

test('GIVEN a slow reader WHEN it resumes after several pushes THEN it gets the latest version without one response per push, and its ACK is accepted', async () => {
  cache.setSnapshot('slow', bigSnapshot(100));
  const slow = rawAds('slow');
  try {
    await until(() => slow.responses.length === 1, 30_000, () => 'first response');
    slow.ack(slow.responses[0]!);
    slow.stream.pause();
    for (let v = 101; v <= 120; v++) {
      cache.setSnapshot('slow', bigSnapshot(v));
      await new Promise((res) => setImmediate(res));
    }
    await new Promise((res) => setTimeout(res, 200));
    slow.stream.resume();
    await until(() => secretVersion(slow.responses.at(-1)!) === '120', 30_000, () => `versions seen: ${slow.responses.map(secretVersion).join(',')}`);
    assert.ok(slow.responses.length < 21, `coalesced: ${slow.responses.length} responses for 21 versions`);
    const last = slow.responses.at(-1)!;
    slow.ack(last);
    await until(() => server.status.node('slow', false)?.types.secret?.ackedVersion === last.versionInfo, 30_000, () => JSON.stringify(server.status.node('slow', false)));
  } finally {
    slow.close();
  }
});

test.run();
