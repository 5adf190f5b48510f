/**
 * Upstream connection limits a DestinationRule's `connectionPool` sets, over real sockets:
 * `common_http_protocol_options.max_connection_duration` (HTTP/1.1 and HTTP/2 pools),
 * `http2_protocol_options.max_concurrent_streams` and `connection_keepalive`, and
 * `max_requests_per_connection` on HTTP/2; and how a Cluster's fields compile to them.
 */
import { create } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StatsStore } from '../../src/proxy/admin/stats.js';
import { ConfigError } from '../../src/proxy/config/config-error.js';
import { compileCluster, HTTP_PROTOCOL_OPTIONS } from '../../src/proxy/config/cluster-config.js';
import { H1Pool } from '../../src/proxy/http/h1-pool.js';
import type { UpstreamHost } from '../../src/proxy/http/pipeline.js';
import { Http2Upstream, type Http2UpstreamOptions } from '../../src/proxy/http/upstream-http2.js';
import { ClusterSchema, Cluster_DiscoveryType } from '../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { HttpProtocolOptionsSchema } from '../../src/xds/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';

/** An HTTP/1.1 backend answering after `delayMs`; counts its connections. */
async function h1Backend(delayMs = 0): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server = http.createServer({ keepAliveTimeout: 10_000 }, (_req, res) => {
    setTimeout(() => res.end('ok'), delayMs);
  });
  server.on('connection', () => { connections++; });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port, connections: () => connections,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

function h1Send(pool: H1Pool): Promise<number> {
  return new Promise((resolve, reject) => {
    let status = 0;
    pool.dispatch({ method: 'GET', path: '/', headers: ['host', 'b'], body: null }, {
      onConnect: () => {}, onHeaders: (s) => { status = s; return true; }, onData: () => true,
      onComplete: () => resolve(status), onError: reject,
    });
  });
}

function h1Pool(port: number, maxConnectionDurationMs?: number): H1Pool {
  return new H1Pool({ address: '127.0.0.1', port, connectTimeoutMs: 1000, keepAliveTimeoutMs: 10_000, maxRequestsPerConnection: 0, maxHeaderSize: 96 * 1024, ...(maxConnectionDurationMs ? { maxConnectionDurationMs } : {}) });
}

test('GIVEN max_connection_duration 150 ms on an HTTP/1.1 pool WHEN a request follows another after 300 ms THEN it opens a new connection (without it: the same one)', async () => {
  const b = await h1Backend();
  const limited = h1Pool(b.port, 150);
  const unlimited = h1Pool(b.port);
  try {
    assert.is(await h1Send(limited), 200);
    await sleep(300);
    assert.is(await h1Send(limited), 200);
    assert.is(b.connections(), 2, 'the first connection expired while idle');
    assert.is(await h1Send(unlimited), 200);
    await sleep(300);
    assert.is(await h1Send(unlimited), 200);
    assert.is(b.connections(), 3, 'without a duration the connection is reused');
  } finally { limited.destroy(); unlimited.destroy(); await b.close(); }
});

test('GIVEN max_connection_duration 100 ms WHEN it passes during a 300 ms response THEN the response completes and the next request opens a new connection', async () => {
  const b = await h1Backend(300);
  const pool = h1Pool(b.port, 100);
  try {
    assert.is(await h1Send(pool), 200, 'a busy connection is not cut');
    assert.is(await h1Send(pool), 200);
    assert.is(b.connections(), 2);
  } finally { pool.destroy(); await b.close(); }
});

/** An h2c backend answering after `delayMs`; counts its sessions and the PINGs it received. */
async function h2Backend(delayMs = 0): Promise<{ port: number; sessions: () => number; pings: () => number; close(): Promise<void> }> {
  let sessions = 0;
  let pings = 0;
  const server = http2.createServer();
  const open = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => { sessions++; open.add(s); s.on('ping', () => { pings++; }); s.once('close', () => open.delete(s)); });
  server.on('stream', (stream) => { setTimeout(() => { if (!stream.destroyed) { stream.respond({ ':status': 200 }); stream.end('ok'); } }, delayMs); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port, sessions: () => sessions, pings: () => pings,
    close: () => new Promise((r) => { for (const s of open) s.destroy(); server.close(() => r()); }),
  };
}

function hostOf(port: number): UpstreamHost {
  return { key: `127.0.0.1:${port}`, address: '127.0.0.1', port, weight: 1, hostname: '', locality: '', healthy: true } as UpstreamHost;
}

function h2(port: number, options: Partial<Http2UpstreamOptions> = {}): Http2Upstream {
  return new Http2Upstream(hostOf(port), { connectTimeoutMs: 1000, ...options }, () => undefined, new StatsStore().cluster('c'));
}

async function h2Send(u: Http2Upstream): Promise<number> {
  const r = await u.forward('GET', '/', 'http', 'b', [], null, new AbortController().signal);
  await r.pipe({ write: () => true, end: () => {}, onDrain: () => {} });
  return r.status;
}

test('GIVEN max_concurrent_streams 1 WHEN 3 requests are in flight at once THEN 3 HTTP/2 connections (default: 1)', async () => {
  const b = await h2Backend(100);
  const one = h2(b.port, { maxConcurrentStreams: 1 });
  try {
    assert.equal(await Promise.all([h2Send(one), h2Send(one), h2Send(one)]), [200, 200, 200]);
    assert.is(b.sessions(), 3);
    const dflt = h2(b.port);
    assert.equal(await Promise.all([h2Send(dflt), h2Send(dflt), h2Send(dflt)]), [200, 200, 200]);
    assert.is(b.sessions(), 4, 'without the limit the three streams share one connection');
    dflt.close();
  } finally { one.close(); await b.close(); }
});

test('GIVEN max_concurrent_streams 2 WHEN a stream ends THEN the next request reuses the connection that has room', async () => {
  const b = await h2Backend(50);
  const u = h2(b.port, { maxConcurrentStreams: 2 });
  try {
    await Promise.all([h2Send(u), h2Send(u)]);
    await sleep(20); // the streams' close follows their end
    await Promise.all([h2Send(u), h2Send(u)]);
    assert.is(b.sessions(), 1);
  } finally { u.close(); await b.close(); }
});

test('GIVEN max_requests_per_connection 2 on HTTP/2 WHEN 5 requests go one after another THEN 3 connections', async () => {
  const b = await h2Backend();
  const u = h2(b.port, { maxRequestsPerConnection: 2 });
  try {
    for (let i = 0; i < 5; i++) assert.is(await h2Send(u), 200);
    assert.is(b.sessions(), 3);
  } finally { u.close(); await b.close(); }
});

test('GIVEN max_connection_duration 150 ms on HTTP/2 WHEN a request follows another after 300 ms THEN a new connection', async () => {
  const b = await h2Backend();
  const u = h2(b.port, { maxConnectionDurationMs: 150 });
  try {
    assert.is(await h2Send(u), 200);
    await sleep(300);
    assert.is(await h2Send(u), 200);
    assert.is(b.sessions(), 2);
  } finally { u.close(); await b.close(); }
});

test('GIVEN connection_keepalive interval 50 ms WHEN the connection idles 300 ms THEN the upstream receives PINGs (none without keepalive)', async () => {
  const b = await h2Backend();
  const plain = h2(b.port);
  const ka = h2(b.port, { keepalive: { intervalMs: 50, timeoutMs: 1000 } });
  try {
    await h2Send(plain);
    await sleep(300);
    assert.is(b.pings(), 0);
    await h2Send(ka);
    await sleep(300);
    assert.ok(b.pings() >= 3, `${b.pings()} PINGs`);
  } finally { plain.close(); ka.close(); await b.close(); }
});

/**
 * A TCP relay to `target` that, once `freeze()` is called, stops passing bytes from the upstream
 * back (the upstream looks alive to the kernel but never answers: a PING is never acknowledged).
 */
async function relay(target: number): Promise<{ port: number; freeze(): void; close(): Promise<void> }> {
  let frozen = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const up = net.connect(target, '127.0.0.1');
    sockets.add(down); sockets.add(up);
    down.on('data', (d) => up.write(d));
    up.on('data', (d) => { if (!frozen) down.write(d); });
    const end = () => { down.destroy(); up.destroy(); };
    down.on('close', end); up.on('close', end); down.on('error', end); up.on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze: () => { frozen = true; },
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

test('GIVEN connection_keepalive with a 100 ms timeout WHEN the upstream stops answering THEN the connection is closed within interval + timeout', async () => {
  const b = await h2Backend();
  const r = await relay(b.port);
  const u = h2(r.port, { keepalive: { intervalMs: 50, timeoutMs: 100 } });
  try {
    assert.is(await h2Send(u), 200);
    assert.is(u.connections, 1);
    r.freeze();
    await sleep(400);
    assert.is(u.connections, 0, 'the unanswered PING closed the connection');
  } finally { u.close(); await r.close(); await b.close(); }
});

function clusterWith(options: Record<string, unknown>): ReturnType<typeof create<typeof ClusterSchema>> {
  const c = create(ClusterSchema, { name: 'c', clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.STATIC } });
  c.typedExtensionProtocolOptions[HTTP_PROTOCOL_OPTIONS] = anyPack(HttpProtocolOptionsSchema, create(HttpProtocolOptionsSchema, options as never));
  return c;
}

const h2Explicit = (value: Record<string, unknown>) => ({ upstreamProtocolOptions: { case: 'explicitHttpConfig', value: { protocolConfig: { case: 'http2ProtocolOptions', value } } } });

test('GIVEN HttpProtocolOptions with max_connection_duration, max_concurrent_streams and connection_keepalive WHEN compiled THEN the pool limits carry them (defaults: none, 2147483647, none)', () => {
  const c = compileCluster(clusterWith({
    commonHttpProtocolOptions: { maxConnectionDuration: { seconds: 2n, nanos: 500_000_000 } },
    ...h2Explicit({ maxConcurrentStreams: 7, connectionKeepalive: { interval: { seconds: 10n }, timeout: { seconds: 3n } } }),
  }));
  assert.is(c.maxConnectionDurationMs, 2500);
  assert.equal(c.http2, { maxConcurrentStreams: 7, keepalive: { intervalMs: 10_000, timeoutMs: 3000 } });
  const d = compileCluster(clusterWith(h2Explicit({})));
  assert.is(d.maxConnectionDurationMs, 0);
  assert.equal(d.http2, { maxConcurrentStreams: 2147483647, keepalive: undefined });
  const down = compileCluster(clusterWith({ upstreamProtocolOptions: { case: 'useDownstreamProtocolConfig', value: { http2ProtocolOptions: { maxConcurrentStreams: 3 } } } }));
  assert.is(down.http2.maxConcurrentStreams, 3, 'use_downstream_protocol_config.http2_protocol_options counts for HTTP/2 downstreams');
});

test('GIVEN max_concurrent_streams 0 or a keepalive without timeout WHEN compiled THEN a ConfigError names the field, as Envoy refuses them', () => {
  const zero = (() => { try { compileCluster(clusterWith(h2Explicit({ maxConcurrentStreams: 0 }))); return undefined; } catch (e) { return e; } })();
  assert.instance(zero, ConfigError);
  assert.match(String((zero as Error).message), /max_concurrent_streams/);
  const noTimeout = (() => { try { compileCluster(clusterWith(h2Explicit({ connectionKeepalive: { interval: { seconds: 1n } } }))); return undefined; } catch (e) { return e; } })();
  assert.instance(noTimeout, ConfigError);
  assert.match(String((noTimeout as Error).message), /connection_keepalive\.timeout/);
});

test.run();
