/** tcp_proxy over real sockets: bytes untouched both ways, weighted clusters, and the UF / UH / NC / UO / idle outcomes. */
import { create, fromJson } from '@bufbuild/protobuf';
import * as net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Cluster, ClusterSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { type TcpProxyJson, TcpProxySchema } from '../../../src/xds/gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { checkTcpProxy, pickCluster, proxyTcp, type TcpAccessRecord, type TcpProxyEnv, type TcpUpstreamHost } from '../../../src/proxy/tcp/tcp-proxy.js';

/** A backend that answers every chunk with `<name>:` + the chunk, and ends when the client ends. */
async function backend(name: string): Promise<{ port: number; close(): void }> {
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('data', (d: Buffer) => s.write(Buffer.concat([Buffer.from(`${name}:`), d])));
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
}

/** A front listener handing each connection to proxyTcp with `cfg`. */
async function front(cfg: TcpProxyJson, env: TcpProxyEnv): Promise<{ port: number; close(): void }> {
  const tcp = fromJson(TcpProxySchema, cfg);
  const srv = net.createServer((s) => proxyTcp(tcp, env, s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
}

function envWith(clusters: Record<string, { port?: number; maxConnections?: number }>, records: TcpAccessRecord[], random = Math.random): TcpProxyEnv {
  const made = new Map<string, Cluster>();
  return {
    cluster: (n) => {
      const c = clusters[n];
      if (!c) return undefined;
      if (!made.has(n)) made.set(n, create(ClusterSchema, { name: n, connectTimeout: { seconds: 1n }, ...(c.maxConnections ? { circuitBreakers: { thresholds: [{ maxConnections: c.maxConnections }] } } : {}) }));
      return made.get(n);
    },
    choose: (n): TcpUpstreamHost | undefined => (clusters[n]?.port ? { key: `127.0.0.1:${clusters[n]!.port}`, address: '127.0.0.1', port: clusters[n]!.port! } : undefined),
    upstreamTls: () => undefined,
    log: (r) => records.push(r),
    random,
  };
}

/** Sends `payload`, half-closes, and collects everything until the proxy closes. */
function exchange(port: number, payload: Buffer, halfClose = true): Promise<Buffer> {
  return new Promise((resolve) => {
    const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => { c.write(payload); if (halfClose) c.end(); });
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('end', () => c.end());
    c.on('close', () => resolve(Buffer.concat(chunks)));
    c.on('error', () => {});
  });
}

const until = async (cond: () => boolean, ms = 30_000) => { const t0 = Date.now(); while (!cond() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 10)); };

test('GIVEN tcp_proxy to one cluster WHEN binary bytes are sent and the client half-closes THEN they arrive untouched, the reply comes back, the log counts bytes', async () => {
  const b = await backend('a');
  const records: TcpAccessRecord[] = [];
  const f = await front({ statPrefix: 's', cluster: 'a' }, envWith({ a: { port: b.port } }, records));
  try {
    const payload = Buffer.from([0, 1, 2, 255, 13, 10, 0x16, 0x03]);
    const got = await exchange(f.port, payload);
    assert.equal([...got], [...Buffer.concat([Buffer.from('a:'), payload])]);
    await until(() => records.length === 1);
    assert.equal([records[0]!.cluster, records[0]!.flags, records[0]!.bytesReceived, records[0]!.bytesSent], ['a', [], 8, 10]);
  } finally { b.close(); f.close(); }
});

test('GIVEN weighted_clusters 90/10 WHEN the random source is fixed THEN the pick follows weight over total', () => {
  const cfg = fromJson(TcpProxySchema, { statPrefix: 's', weightedClusters: { clusters: [{ name: 'v1', weight: 90 }, { name: 'v2', weight: 10 }] } });
  assert.is(pickCluster(cfg, () => 0), 'v1');
  assert.is(pickCluster(cfg, () => 0.8999), 'v1');
  assert.is(pickCluster(cfg, () => 0.9), 'v2');
  assert.is(pickCluster(cfg, () => 0.9999), 'v2');
  assert.equal(checkTcpProxy(fromJson(TcpProxySchema, { statPrefix: 's', weightedClusters: { clusters: [{ name: 'x', weight: 0 }] } })), ['weighted_clusters.clusters: total weight is 0; give some cluster a positive weight']);
  assert.equal(checkTcpProxy(cfg), []);
});

test('GIVEN weighted clusters on real sockets WHEN two connections with a scripted random THEN each reaches its backend', async () => {
  const a = await backend('a');
  const b = await backend('b');
  const picks = [0.1, 0.95];
  const records: TcpAccessRecord[] = [];
  const f = await front({ statPrefix: 's', weightedClusters: { clusters: [{ name: 'a', weight: 90 }, { name: 'b', weight: 10 }] } }, envWith({ a: { port: a.port }, b: { port: b.port } }, records, () => picks.shift()!));
  try {
    assert.is(String(await exchange(f.port, Buffer.from('x'))), 'a:x');
    assert.is(String(await exchange(f.port, Buffer.from('y'))), 'b:y');
  } finally { a.close(); b.close(); f.close(); }
});

test('GIVEN failures WHEN connecting THEN UF for a refused port, UH for no host, NC for no cluster, UO over max_connections, with Envoy termination details (tcp_initializion_failure:<reason>); the downstream is closed each time', async () => {
  const dead = net.createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const deadPort = (dead.address() as net.AddressInfo).port;
  dead.close();
  const b = await backend('a');
  const records: TcpAccessRecord[] = [];
  const env = envWith({ refused: { port: deadPort }, empty: {}, limited: { port: b.port, maxConnections: 1 } }, records);
  const fronts = await Promise.all([front({ statPrefix: 's', cluster: 'refused' }, env), front({ statPrefix: 's', cluster: 'empty' }, env), front({ statPrefix: 's', cluster: 'missing' }, env), front({ statPrefix: 's', cluster: 'limited' }, env)]);
  try {
    for (const f of fronts.slice(0, 3)) assert.is((await exchange(f.port, Buffer.from('x'))).length, 0);
    // Hold one connection open on the limited cluster; the second overflows.
    const held = net.connect(fronts[3]!.port, '127.0.0.1');
    held.on('error', () => {});
    held.write('hold');
    await new Promise((r) => held.once('data', r));
    assert.is((await exchange(fronts[3]!.port, Buffer.from('x'))).length, 0);
    held.destroy();
    await until(() => records.length === 5);
    const byCluster = Object.fromEntries(records.map((r) => [r.cluster, r]));
    assert.equal(byCluster.refused!.flags, ['UF']);
    assert.match(byCluster.refused!.details!, /^upstream_connect_failure: ECONNREFUSED/);
    // Envoy's tcp_proxy closes with LocalCloseReasons::TcpProxyInitializationFailure + UpstreamFailureReason.
    assert.equal([byCluster.empty!.flags, byCluster.empty!.details], [['UH'], 'tcp_initializion_failure:1']);
    assert.equal([byCluster.missing!.flags, byCluster.missing!.details], [['NC'], 'tcp_initializion_failure:3']);
    assert.equal(records.filter((r) => r.cluster === 'limited').map((r) => `${r.flags.join()} ${r.details ?? '-'}`).sort(), [' -', 'UO tcp_initializion_failure:2']);
  } finally { b.close(); for (const f of fronts) f.close(); }
});

test('GIVEN idle_timeout 100 ms WHEN the connection stays quiet THEN it is closed with details idle_timeout', async () => {
  const b = await backend('a');
  const records: TcpAccessRecord[] = [];
  const f = await front({ statPrefix: 's', cluster: 'a', idleTimeout: '0.1s' }, envWith({ a: { port: b.port } }, records));
  try {
    const t0 = Date.now();
    const got = await exchange(f.port, Buffer.from('ping'), false);
    assert.is(String(got), 'a:ping');
    assert.ok(Date.now() - t0 >= 90, 'closed only after the idle timeout');
    await until(() => records.length === 1);
    assert.is(records[0]!.details, 'idle_timeout');
  } finally { b.close(); f.close(); }
});

test.run();
