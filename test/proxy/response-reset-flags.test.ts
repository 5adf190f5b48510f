/**
 * Access-log flags and details when the proxy resets a response after its head (Envoy's router
 * onUpstreamReset / onResponseTimeout): the route timeout → UT `response_timeout`, an
 * upstream close mid-body → UC `upstream_reset_after_response_started{connection_termination}`,
 * a malformed chunk → UPE `…{protocol_error}`. The proxy closed the downstream itself: no DC.
 * Real sockets: a raw `net` backend that misbehaves per path.
 */
import * as net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AccessLogEntry } from '../../src/proxy/access-log.js';
import type { ProxyHandle } from '../../src/proxy/main.js';
import { assignment, edsCluster, httpListener, routeConfig, startRawBackend, startTestProxy, startXds, until } from './_harness.js';

const ADDR = '127.0.9.92';
let proxy: ProxyHandle & { log: AccessLogEntry[] };
let port = 0;
let upstream: ReadonlySet<net.Socket> = new Set();
const cleanup: (() => Promise<void> | void)[] = [];

test.before(async () => {
  const backend = await startRawBackend((line, s) => {
    if (line.startsWith('GET /timeout/slow ')) {
      s.write('HTTP/1.1 200 OK\r\ncontent-length: 20\r\n\r\n0123456789');
      setTimeout(() => { if (!s.destroyed) s.write('0123456789'); }, 2000).unref();
    } else if (line.startsWith('GET /cut ')) s.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789');
    else if (line.startsWith('GET /badchunk ')) s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nxx\r\n');
    else if (line.startsWith('GET /badchunk-late ')) {
      s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n');
      setTimeout(() => { if (!s.destroyed) s.write('zz\r\nxx\r\n'); }, 100);
    } else s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  cleanup.push(() => backend.close());
  upstream = backend.sockets;
  const bport = backend.port;
  const toB = (timeout?: { seconds: bigint; nanos: number }) => ({ case: 'route' as const, value: { clusterSpecifier: { case: 'cluster' as const, value: 'b' }, ...(timeout ? { timeout } : {}) } });
  const xds = await startXds({
    clusters: [edsCluster('b')], endpoints: [assignment('b', [{ port: bport }])],
    listeners: [httpListener('flags', ADDR, 'rt')],
    routes: [routeConfig('rt', [{ name: 'vh', domains: ['*'], routes: [
      { match: { pathSpecifier: { case: 'prefix' as const, value: '/timeout' } }, action: toB({ seconds: 0n, nanos: 300_000_000 }) },
      { match: { pathSpecifier: { case: 'prefix' as const, value: '/' } }, action: toB() },
    ] }])],
  });
  cleanup.push(() => xds.close());
  proxy = await startTestProxy(xds.port);
  cleanup.push(() => proxy.close());
  await proxy.waitReady();
  port = proxy.listenerAddress('flags')!.port;
});

test.after(async () => {
  for (const c of cleanup.reverse()) await c();
});

/** Sends one GET on a fresh connection; resolves with what arrived once the proxy closed it. */
async function exchange(path: string): Promise<{ got: string; entry: AccessLogEntry }> {
  const s = net.connect({ host: ADDR, port });
  let got = '';
  s.on('data', (d: Buffer) => { got += d.toString('latin1'); });
  s.on('error', () => {});
  cleanup.push(() => { s.destroy(); });
  await new Promise((r) => s.once('connect', r));
  s.write(`GET ${path} HTTP/1.1\r\nHost: be\r\n\r\n`);
  await new Promise((r) => s.once('close', r));
  await until(() => proxy.log.some((e) => e.path === path), 3000, `the access-log line of ${path}`);
  return { got, entry: proxy.log.find((e) => e.path === path)! };
}

test('GIVEN a route timeout after the response head WHEN it fires THEN the response is cut and logged UT response_timeout, without DC', async () => {
  const { got, entry } = await exchange('/timeout/slow');
  assert.ok(got.startsWith('HTTP/1.1 200 OK\r\n') && got.endsWith('\r\n\r\n0123456789'), got);
  assert.equal([entry.status, entry.flags, entry.details, entry.bytesSent], [200, ['UT'], 'response_timeout', 10]);
});

test('GIVEN an upstream that closes mid-body WHEN the proxy resets the client THEN UC upstream_reset_after_response_started{connection_termination}, without DC', async () => {
  const { got, entry } = await exchange('/cut');
  assert.ok(got.endsWith('\r\n\r\n0123456789'), got);
  assert.equal([entry.status, entry.flags, entry.details], [200, ['UC'], 'upstream_reset_after_response_started{connection_termination}']);
});

test('GIVEN a malformed chunk after the head (in one write, or 100 ms later) WHEN parsed THEN UPE upstream_reset_after_response_started{protocol_error}, without DC', async () => {
  for (const path of ['/badchunk', '/badchunk-late']) {
    const { got, entry } = await exchange(path);
    assert.ok(got.endsWith('\r\n\r\n5\r\nhello\r\n'), `${path}: ${JSON.stringify(got)}`);
    assert.equal([entry.status, entry.flags, entry.details], [200, ['UPE'], 'upstream_reset_after_response_started{protocol_error}'], path);
  }
});

test.run();
