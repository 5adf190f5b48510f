/**
 * Conformance with a client we did not write: @grpc/grpc-js-xds channels (`xds:///<listener>`) get
 * their config from our ADS server and call real gRPC backends on loopback.
 */
import * as grpc from '@grpc/grpc-js';
import { register } from '@grpc/grpc-js-xds';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AdsServer } from '../../src/xds/server/ads-server.js';
import { SnapshotCache } from '../../src/xds/snapshot-cache.js';
import { checkSnapshot } from '../../src/xds/snapshot-check.js';
import { createSnapshot } from '../../src/xds/snapshot.js';
import { type Backend, startBackend, tally, who, wilson } from './_backends.js';
import { headerRoute, meshResources, weightedRoute } from './_fixtures.js';
import type { Route } from '../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';

register();
const LISTENER = 'who.test.svc.cluster.local:7070';
const cache = new SnapshotCache();
const ads = new AdsServer({ cache });
let adsPort = 0;
let a: Backend;
let b: Backend;
const clients: grpc.Client[] = [];

test.before(async () => {
  adsPort = await ads.listen('127.0.0.1:0');
  [a, b] = await Promise.all([startBackend('a'), startBackend('b')]);
});
test.after(async () => {
  for (const c of clients) c.close();
  await Promise.all([a.close(), b.close(), ads.close(200)]);
});

/** Publishes routes for `nodeId` and opens an xDS channel bootstrapped as that node. */
function publish(nodeId: string, routes: Route[]): void {
  cache.setSnapshot(nodeId, createSnapshot(meshResources(LISTENER, { a: [a.port], b: [b.port] }, routes)));
}
function channel(nodeId: string): grpc.Client {
  const bootstrap = {
    xds_servers: [{ server_uri: `127.0.0.1:${adsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: nodeId, locality: { region: 'local', zone: 'a' } },
  };
  const client = new grpc.Client(`xds:///${LISTENER}`, grpc.credentials.createInsecure(), { 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': JSON.stringify(bootstrap) });
  clients.push(client);
  return client;
}
async function until(cond: () => Promise<boolean> | boolean, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - t0;
}

test('GIVEN weighted clusters a 90 / b 10 WHEN 2,000 calls go through a grpc-js-xds channel THEN the share of a lies in the 99.999 % Wilson interval around what was observed', async () => {
  publish('split', [weightedRoute({ a: 90, b: 10 })]);
  const client = channel('split');
  await tally(client, 50);
  const n = 2000;
  const counts = await tally(client, n);
  assert.is((counts.a ?? 0) + (counts.b ?? 0), n);
  const [lo, hi] = wilson(counts.a ?? 0, n);
  assert.ok(lo <= 0.9 && 0.9 <= hi, `a got ${counts.a}/${n}; 99.999 % Wilson interval [${lo.toFixed(4)}, ${hi.toFixed(4)}] must contain 0.90`);
  assert.ok(hi < 0.95 && lo > 0.85, `interval [${lo}, ${hi}] is too wide to tell 90/10 from 85/15 or 95/5`);
});

test('GIVEN a header route before a catch-all WHEN calls carry the header or not THEN header calls reach b and the rest reach a', async () => {
  publish('header', [headerRoute('x-canary', 'always', 'b'), weightedRoute({ a: 1 })]);
  const client = channel('header');
  assert.equal(await tally(client, 100, { 'x-canary': 'always' }), { b: 100 });
  assert.equal(await tally(client, 100), { a: 100 });
  assert.equal(await tally(client, 100, { 'x-canary': 'sometimes' }), { a: 100 });
});

test('GIVEN traffic on a WHEN a new route to b is pushed THEN traffic moves to b without a new channel', async () => {
  publish('push', [weightedRoute({ a: 1 })]);
  const client = channel('push');
  assert.equal(await tally(client, 50), { a: 50 });
  publish('push', [weightedRoute({ b: 1 })]);
  const ms = await until(async () => (await who(client)) === 'b', 5000, 'the pushed route to reach the client');
  assert.equal(await tally(client, 100), { b: 100 });
  assert.ok(ms < 5000);
});

test('GIVEN traffic on a WHEN an update the client refuses is pushed THEN the NACK reaches our status and traffic stays on the last good config', async () => {
  publish('nack', [weightedRoute({ a: 1 })]);
  const client = channel('nack');
  assert.equal(await tally(client, 50), { a: 50 });
  const invalid = createSnapshot(meshResources(LISTENER, { a: [a.port], b: [b.port] }, [weightedRoute({ a: 0, b: 0 })]));
  assert.equal(checkSnapshot(invalid), [], 'our check passes it: only the client knows a zero weight sum is invalid');
  cache.setSnapshot('nack', invalid);
  await until(() => ads.status.nacks('nack').length > 0, 5000, 'the client to NACK');
  const [nack] = ads.status.nacks('nack');
  assert.is(nack.typeUrl, 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration');
  assert.is(nack.rejectedVersion, invalid.types.route.version);
  assert.match(nack.errorDetail.message, 'sum of weights is 0');
  assert.equal(await tally(client, 100), { a: 100 });
});

test.run();
