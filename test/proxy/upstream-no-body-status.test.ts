/**
 * Envoy's HTTP/1 client codec (codec_impl.cc ClientConnectionImpl::onHeadersComplete,
 * strict_1xx_and_204_headers): an upstream 1xx or 204 carrying Transfer-Encoding, or a
 * Content-Length other than 0, is a protocol error → 502 UPE to the client; `Content-Length: 0` on
 * a 204 is dropped; a 304 keeps its Content-Length (the rule is 1xx and 204 only). Real sockets:
 * a raw `net` backend sending the exact bytes.
 */
import * as net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AccessLogEntry } from '../../src/proxy/access-log.js';
import type { ProxyHandle } from '../../src/proxy/main.js';
import { assignment, edsCluster, httpListener, routeConfig, startRawBackend, startTestProxy, startXds, until } from './_harness.js';

const ADDR = '127.0.9.93';
const REPLIES: Record<string, string> = {
  '/204-cl': 'HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\nBODY!',
  '/204-te': 'HTTP/1.1 204 No Content\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
  '/204-cl0': 'HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nx-k: v\r\n\r\n',
  '/103-te': 'HTTP/1.1 103 Early Hints\r\ntransfer-encoding: chunked\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok',
  '/304-cl': 'HTTP/1.1 304 Not Modified\r\ncontent-length: 5\r\n\r\n',
};
let proxy: ProxyHandle & { log: AccessLogEntry[] };
let port = 0;
let upstream: ReadonlySet<net.Socket> = new Set();
const cleanup: (() => Promise<void> | void)[] = [];

test.before(async () => {
  const backend = await startRawBackend((line, s) => {
    s.write(REPLIES[line.split(' ')[1] ?? ''] ?? 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  cleanup.push(() => backend.close());
  upstream = backend.sockets;
  const bport = backend.port;
  const xds = await startXds({
    clusters: [edsCluster('b')], endpoints: [assignment('b', [{ port: bport }])],
    listeners: [httpListener('nobody', ADDR, 'rt')],
    routes: [routeConfig('rt', [{ name: 'vh', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'prefix' as const, value: '/' } }, action: { case: 'route' as const, value: { clusterSpecifier: { case: 'cluster' as const, value: 'b' } } } }] }])],
  });
  cleanup.push(() => xds.close());
  proxy = await startTestProxy(xds.port);
  cleanup.push(() => proxy.close());
  await proxy.waitReady();
  port = proxy.listenerAddress('nobody')!.port;
});

test.after(async () => {
  for (const c of cleanup.reverse()) await c();
});

/** One GET on a fresh connection; resolves with the response head and the access-log entry. */
async function exchange(path: string): Promise<{ head: string; entry: AccessLogEntry }> {
  const s = net.connect({ host: ADDR, port });
  let got = '';
  s.on('data', (d: Buffer) => { got += d.toString('latin1'); });
  s.on('error', () => {});
  cleanup.push(() => { s.destroy(); });
  await new Promise((r) => s.once('connect', r));
  s.write(`GET ${path} HTTP/1.1\r\nHost: be\r\n\r\n`);
  await until(() => got.includes('\r\n\r\n') && proxy.log.some((e) => e.path === path), 3000, `the response to ${path}`);
  s.destroy();
  return { head: got.slice(0, got.indexOf('\r\n\r\n') + 2), entry: proxy.log.find((e) => e.path === path)! };
}

test('GIVEN an upstream 204 with content-length: 5 WHEN forwarded THEN 502 UPE, the header never reaches the client', async () => {
  const { head, entry } = await exchange('/204-cl');
  assert.match(head, /^HTTP\/1\.1 502 /);
  assert.equal([entry.status, entry.flags], [502, ['UPE']]);
});

test('GIVEN an upstream 204 with transfer-encoding: chunked, or a 103 with it WHEN forwarded THEN 502 UPE', async () => {
  for (const path of ['/204-te', '/103-te']) {
    const { head, entry } = await exchange(path);
    assert.match(head, /^HTTP\/1\.1 502 /, path);
    assert.equal([entry.status, entry.flags], [502, ['UPE']], path);
  }
});

test('GIVEN an upstream 204 with content-length: 0 WHEN forwarded THEN a 204 without content-length (Envoy drops it)', async () => {
  const { head, entry } = await exchange('/204-cl0');
  assert.match(head, /^HTTP\/1\.1 204 /);
  assert.not.match(head.toLowerCase(), /content-length/);
  assert.match(head, /x-k: v\r\n/);
  assert.equal([entry.status, entry.flags], [204, []]);
});

test('GIVEN an upstream 304 with content-length: 5 WHEN forwarded THEN it passes (the rule covers 1xx and 204 only)', async () => {
  const { head, entry } = await exchange('/304-cl');
  assert.match(head, /^HTTP\/1\.1 304 /);
  assert.match(head.toLowerCase(), /content-length: 5\r\n/);
  assert.is(entry.status, 304);
});

test.run();
