/**
 * `%BYTES_RECEIVED%` counts request body bytes however they are framed (Envoy counts decoded body
 * bytes): a chunked body on the HTTP/1.1 fast path is logged with its size, as a Content-Length
 * body is. Real sockets: a raw client, the harness's echo backend.
 */
import * as net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AccessLogEntry } from '../../src/proxy/access-log.js';
import type { ProxyHandle } from '../../src/proxy/main.js';
import { assignment, type Echo, edsCluster, httpListener, routeConfig, startEcho, startTestProxy, startXds, until } from './_harness.js';

const ADDR = '127.0.9.94';
let proxy: ProxyHandle & { log: AccessLogEntry[] };
let echo: Echo;
let port = 0;
const cleanup: (() => Promise<void> | void)[] = [];

test.before(async () => {
  echo = await startEcho('b');
  cleanup.push(() => echo.close());
  const xds = await startXds({
    clusters: [edsCluster('b')], endpoints: [assignment('b', [{ port: echo.port }])],
    listeners: [httpListener('bytes', ADDR, 'rt')],
    routes: [routeConfig('rt', [{ name: 'vh', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'prefix' as const, value: '/' } }, action: { case: 'route' as const, value: { clusterSpecifier: { case: 'cluster' as const, value: 'b' } } } }] }])],
  });
  cleanup.push(() => xds.close());
  proxy = await startTestProxy(xds.port);
  cleanup.push(() => proxy.close());
  await proxy.waitReady();
  port = proxy.listenerAddress('bytes')!.port;
});

test.after(async () => {
  for (const c of cleanup.reverse()) await c();
});

/** Writes `parts` on one connection and waits for the access-log line of `path`. */
async function send(path: string, parts: (string | Buffer)[]): Promise<AccessLogEntry> {
  const s = net.connect({ host: ADDR, port });
  s.on('error', () => {});
  s.resume();
  try {
    await new Promise((r) => s.once('connect', r));
    for (const p of parts) s.write(p);
    await until(() => proxy.log.some((e) => e.path === path), 5000, `the access-log line of ${path}`);
    return proxy.log.find((e) => e.path === path)!;
  } finally {
    s.destroy();
  }
}

test('GIVEN a chunked request body of 5 bytes WHEN proxied THEN BYTES_RECEIVED is 5', async () => {
  const e = await send('/small', ['POST /small HTTP/1.1\r\nHost: be\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n']);
  assert.equal([e.status, e.bytesReceived], [200, 5]);
  assert.is(echo.received.find((r) => r.url === '/small')?.body, 'hello');
});

test('GIVEN a 400,000-byte chunked body in 4 chunks WHEN proxied THEN BYTES_RECEIVED is 400000 (the decoded size, not the framing)', async () => {
  const chunk = Buffer.alloc(100_000, 97);
  const framed = [`${chunk.length.toString(16)}\r\n`, chunk, '\r\n'];
  const e = await send('/big', ['POST /big HTTP/1.1\r\nHost: be\r\nTransfer-Encoding: chunked\r\n\r\n', ...framed, ...framed, ...framed, ...framed, '0\r\n\r\n']);
  assert.equal([e.status, e.bytesReceived], [200, 400_000]);
  assert.is(echo.received.find((r) => r.url === '/big')?.body.length, 400_000);
});

test('GIVEN a Content-Length body and a bodyless GET WHEN proxied THEN BYTES_RECEIVED is the length, and 0', async () => {
  const e = await send('/cl', ['POST /cl HTTP/1.1\r\nHost: be\r\nContent-Length: 3\r\n\r\nabc']);
  assert.is(e.bytesReceived, 3);
  const g = await send('/get', ['GET /get HTTP/1.1\r\nHost: be\r\n\r\n']);
  assert.is(g.bytesReceived, 0);
});

test.run();
