import type { AddressInfo } from 'node:net';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClusterSchema } from '../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { TYPE_URL } from '../../src/xds/resources.js';
import { AdsServer } from '../../src/xds/server/ads-server.js';
import { listenStatus } from '../../src/xds/server/status-http.js';
import { SnapshotCache } from '../../src/xds/snapshot-cache.js';
import { createSnapshot } from '../../src/xds/snapshot.js';
import { type AdsTestStream, openAds } from './_ads-client.js';
import { headerRoute, meshResources, weightedRoute } from './_fixtures.js';

const v1 = () => createSnapshot(meshResources('svc:80', { a: [1001], b: [1002] }, [weightedRoute({ a: 90, b: 10 })]));
const v2 = () => createSnapshot(meshResources('svc:81', { a: [2001], c: [2003] }, [headerRoute('x-v', '2', 'c'), weightedRoute({ a: 50, c: 50 })]));
const node = { id: 'n1', cluster: 'test' };

async function withServer(fn: (ctx: { cache: SnapshotCache; server: AdsServer; port: number; open: () => AdsTestStream }) => Promise<void>) {
  const cache = new SnapshotCache();
  const server = new AdsServer({ cache });
  const port = await server.listen('127.0.0.1:0');
  const streams: AdsTestStream[] = [];
  try {
    await fn({ cache, server, port, open: () => { const s = openAds(port); streams.push(s); return s; } });
  } finally {
    for (const s of streams) s.close();
    await server.close(200);
  }
}

test('GIVEN a node with a snapshot WHEN it asks for CDS with no names THEN it gets every cluster (wildcard) and a pure ACK gets no reply', () => withServer(async ({ cache, server, open }) => {
  const snap = v1();
  cache.setSnapshot('n1', snap);
  const s = open();
  s.send({ node, typeUrl: TYPE_URL.cluster });
  const r = await s.next();
  assert.is(r.typeUrl, TYPE_URL.cluster);
  assert.is(r.versionInfo, snap.types.cluster.version);
  assert.equal(r.resources.map((a) => anyUnpack(a, ClusterSchema)!.name).sort(), ['a', 'b']);
  s.send({ typeUrl: TYPE_URL.cluster, versionInfo: r.versionInfo, responseNonce: r.nonce });
  assert.ok(await s.silentFor(300), 'a pure ACK must not be answered');
  assert.is(server.status.node('n1').types.cluster?.ackedVersion, snap.types.cluster.version);
}));

test('GIVEN named RDS and EDS subscriptions WHEN answered THEN only the named resources that exist are sent', () => withServer(async ({ cache, open }) => {
  cache.setSnapshot('n1', v1());
  const s = open();
  s.send({ node, typeUrl: TYPE_URL.endpoint, resourceNames: ['b', 'not-there'] });
  const r = await s.next();
  assert.is(r.resources.length, 1);
  s.send({ typeUrl: TYPE_URL.route, resourceNames: ['svc:80-routes'] });
  assert.is((await s.next()).resources.length, 1);
}));

test('GIVEN a response WHEN the client NACKs it THEN no reply, and the NACK with its error_detail is on the status and the HTTP endpoint', () => withServer(async ({ cache, server, open }) => {
  const snap = v1();
  cache.setSnapshot('n1', snap);
  const s = open();
  s.send({ node, typeUrl: TYPE_URL.listener, resourceNames: ['svc:80'] });
  const r = await s.next();
  s.send({ typeUrl: TYPE_URL.listener, resourceNames: ['svc:80'], versionInfo: '', responseNonce: r.nonce, errorDetail: { code: 3, message: 'listener svc:80: no router filter' } });
  assert.ok(await s.silentFor(300));
  const [nack] = server.status.nacks('n1');
  assert.equal({ ...nack, at: 'x' }, { nodeId: 'n1', typeUrl: TYPE_URL.listener, rejectedVersion: snap.types.listener.version, clientVersion: '', nonce: r.nonce, errorDetail: { code: 3, message: 'listener svc:80: no router filter' }, at: 'x' });
  const http = await listenStatus(server.status, cache, '127.0.0.1', 0);
  try {
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const nacks = await (await fetch(`${base}/nacks`)).json() as Array<{ errorDetail: { message: string } }>;
    assert.is(nacks[0].errorDetail.message, 'listener svc:80: no router filter');
    const status = await (await fetch(`${base}/status`)).json() as { streams: number; snapshots: Record<string, string> };
    assert.is(status.streams, 1);
    assert.is(status.snapshots.n1, snap.version);
    assert.is((await fetch(`${base}/other`)).status, 404);
  } finally {
    http.close();
  }
}));

test('GIVEN two responses sent WHEN a request answers the older nonce THEN it is ignored as stale', () => withServer(async ({ cache, server, open }) => {
  cache.setSnapshot('n1', v1());
  const s = open();
  s.send({ node, typeUrl: TYPE_URL.cluster });
  const r1 = await s.next();
  cache.setSnapshot('n1', v2());
  const r2 = await s.next();
  assert.is.not(r1.nonce, r2.nonce);
  s.send({ typeUrl: TYPE_URL.cluster, resourceNames: ['a'], versionInfo: r1.versionInfo, responseNonce: r1.nonce });
  assert.ok(await s.silentFor(300), 'a stale request must not be answered');
  assert.is(server.status.node('n1').staleNonces, 1);
}));

test('GIVEN an EDS subscription WHEN the client later sends empty resource_names THEN it is unsubscribed and gets no more EDS pushes', () => withServer(async ({ cache, open }) => {
  cache.setSnapshot('n1', v1());
  const s = open();
  s.send({ node, typeUrl: TYPE_URL.endpoint, resourceNames: ['a'] });
  const r = await s.next();
  s.send({ typeUrl: TYPE_URL.endpoint, resourceNames: [], versionInfo: r.versionInfo, responseNonce: r.nonce });
  assert.ok(await s.silentFor(200));
  cache.setSnapshot('n1', v2());
  assert.ok(await s.silentFor(300), 'an unsubscribed type must not be pushed');
}));

test('GIVEN a legacy LDS wildcard WHEN ACKed with empty names and the listeners change THEN the wildcard holds and the new listener is pushed', () => withServer(async ({ cache, open }) => {
  cache.setSnapshot('n1', v1());
  const s = open();
  s.send({ node, typeUrl: TYPE_URL.listener });
  const r = await s.next();
  s.send({ typeUrl: TYPE_URL.listener, versionInfo: r.versionInfo, responseNonce: r.nonce });
  cache.setSnapshot('n1', v2());
  const pushed = await s.next();
  assert.is(pushed.typeUrl, TYPE_URL.listener);
  assert.is(pushed.resources.length, 1);
}));

test('GIVEN all four types subscribed WHEN every type changes THEN pushes arrive CDS, EDS, LDS, RDS', () => withServer(async ({ cache, open }) => {
  cache.setSnapshot('n1', v1());
  const s = open();
  const nonces: Record<string, string> = {};
  for (const [typeUrl, names] of [[TYPE_URL.route, ['svc:80-routes', 'svc:81-routes']], [TYPE_URL.listener, []], [TYPE_URL.endpoint, ['a', 'b', 'c']], [TYPE_URL.cluster, []]] as const) {
    s.send({ node, typeUrl, resourceNames: [...names] });
    const r = await s.next();
    nonces[typeUrl] = r.nonce;
    s.send({ typeUrl, resourceNames: [...names], versionInfo: r.versionInfo, responseNonce: r.nonce });
  }
  assert.ok(await s.silentFor(200));
  cache.setSnapshot('n1', v2());
  const order = [(await s.next()).typeUrl, (await s.next()).typeUrl, (await s.next()).typeUrl, (await s.next()).typeUrl];
  assert.equal(order, [TYPE_URL.cluster, TYPE_URL.endpoint, TYPE_URL.listener, TYPE_URL.route]);
}));

test('GIVEN a node without a snapshot WHEN it subscribes THEN it waits, and gets its first response when the snapshot is published', () => withServer(async ({ cache, open }) => {
  const s = open();
  s.send({ node: { id: 'late' }, typeUrl: TYPE_URL.cluster });
  assert.ok(await s.silentFor(200));
  cache.setSnapshot('late', v1());
  assert.is((await s.next()).resources.length, 2);
}));

test('GIVEN two nodes WHEN one node\'s snapshot changes THEN only that node\'s stream is pushed', () => withServer(async ({ cache, open }) => {
  cache.setSnapshot('n1', v1());
  cache.setSnapshot('n2', v1());
  const [s1, s2] = [open(), open()];
  for (const [s, id] of [[s1, 'n1'], [s2, 'n2']] as const) {
    s.send({ node: { id }, typeUrl: TYPE_URL.cluster });
    const r = await s.next();
    s.send({ typeUrl: TYPE_URL.cluster, versionInfo: r.versionInfo, responseNonce: r.nonce });
  }
  cache.setSnapshot('n2', v2());
  assert.is((await s2.next()).typeUrl, TYPE_URL.cluster);
  assert.ok(await s1.silentFor(200));
}));

test.run();
