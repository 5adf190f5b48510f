/**
 * Translated (not hand-built) config through our ADS server to @grpc/grpc-js-xds, a client we did
 * not write: a VirtualService with a header-matched fault abort in front of the default route.
 */
import * as grpc from '@grpc/grpc-js';
import { register } from '@grpc/grpc-js-xds';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { AdsServer } from '../../../src/xds/server/ads-server.js';
import { SnapshotCache } from '../../../src/xds/snapshot-cache.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { route, svc, vs } from '../../mesh/view-fixtures.js';
import { type Backend, startBackend, tally, who, WHO_PATH } from '../_backends.js';

register();
const HOST = 'who.test.svc.cluster.local';
const cache = new SnapshotCache();
const ads = new AdsServer({ cache });
let adsPort = 0;
let backend: Backend;
const clients: grpc.Client[] = [];

test.before(async () => {
  adsPort = await ads.listen('127.0.0.1:0');
  backend = await startBackend('who-1');
});
test.after(async () => {
  for (const c of clients) c.close();
  await Promise.all([backend.close(), ads.close(200)]);
});

function channel(nodeId: string): grpc.Client {
  const bootstrap = {
    xds_servers: [{ server_uri: `127.0.0.1:${adsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: nodeId, locality: { region: 'local', zone: 'a' } },
  };
  const client = new grpc.Client(`xds:///${HOST}:7070`, grpc.credentials.createInsecure(), { 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': JSON.stringify(bootstrap) });
  clients.push(client);
  return client;
}

test('GIVEN a VirtualService whose header route injects a 100 % abort WHEN translated for a proxyless node and served THEN grpc-js-xds fails those calls and the others reach the backend', async () => {
  const g = graphOf([
    svc('who', 'test', [{ port: 7070, name: 'grpc' }]),
    vs('who', 'test', {
      hosts: ['who'],
      http: [
        { name: 'chaos', match: [{ headers: { 'x-chaos': { exact: 'abort' } } }], route: [route('who')], fault: { abort: { httpStatus: 503, percentage: { value: 100 } } } },
        { name: 'default', route: [route('who')] },
      ],
    }),
  ]);
  const view = buildProxyView(g, describeProxy({ name: 'client', namespace: 'test' }));
  const set = translateProxy(view, [{ name: 'who-1', namespace: 'test', address: '127.0.0.1', labels: { app: 'who' }, ports: { grpc: backend.port } }], { proxyless: true });
  cache.setSnapshot('fault', createSnapshot(set));
  const client = channel('fault');
  assert.equal(await tally(client, 20), { 'who-1': 20 });
  const failures = await Promise.all(Array.from({ length: 20 }, () => who(client, { 'x-chaos': 'abort' }).then(() => null, (e: grpc.ServiceError) => e.code)));
  assert.equal(failures, Array(20).fill(grpc.status.UNAVAILABLE), 'HTTP 503 from the fault filter is gRPC UNAVAILABLE');
  assert.equal(await tally(client, 20, { 'x-chaos': 'calm' }), { 'who-1': 20 });
  assert.equal(ads.status.nacks('fault'), [], 'the client accepted every translated resource');
});

/** A backend whose `Who` answers after `delayMs`. */
async function startSlowBackend(name: string, delayMs: number): Promise<Backend> {
  const server = new grpc.Server();
  const id = (b: Buffer) => b;
  server.addService({ Who: { path: WHO_PATH, requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id } },
    { Who: (_c: unknown, cb: grpc.sendUnaryData<Buffer>) => { setTimeout(() => cb(null, Buffer.from(name)), delayMs); } });
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  return { name, port, close: () => new Promise((r) => server.tryShutdown(() => r())) };
}

test('GIVEN a route timeout of 300 ms in front of a backend that answers after 1.5 s WHEN served to grpc-js-xds THEN calls end DEADLINE_EXCEEDED near 300 ms, and the untimed route waits for the answer', async () => {
  const slow = await startSlowBackend('slow-1', 1500);
  try {
    const g = graphOf([
      svc('who', 'test', [{ port: 7070, name: 'grpc' }]),
      vs('who', 'test', { hosts: ['who'], http: [
        { name: 'hurried', match: [{ headers: { 'x-hurry': { exact: 'yes' } } }], route: [route('who')], timeout: '300ms' },
        { name: 'patient', route: [route('who')] },
      ] }),
    ]);
    const view = buildProxyView(g, describeProxy({ name: 'client', namespace: 'test' }));
    cache.setSnapshot('timeout', createSnapshot(translateProxy(view, [{ name: 'slow-1', namespace: 'test', address: '127.0.0.1', labels: { app: 'who' }, ports: { grpc: slow.port } }], { proxyless: true })));
    const client = channel('timeout');
    assert.is(await who(client, {}, 10_000), 'slow-1');
    const t0 = Date.now();
    const code = await who(client, { 'x-hurry': 'yes' }, 10_000).then(() => null, (e: grpc.ServiceError) => e.code);
    const ms = Date.now() - t0;
    assert.is(code, grpc.status.DEADLINE_EXCEEDED);
    assert.ok(ms >= 250 && ms < 1400, `the call ended after ${ms} ms; the route timeout is 300 ms and the backend needs 1,500 ms`);
    assert.equal(ads.status.nacks('timeout'), []);
  } finally {
    await slow.close();
  }
});

test.run();
