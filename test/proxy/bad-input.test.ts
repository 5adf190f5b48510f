/**
 * Bad input over raw sockets, one test each: what the client gets (status, closed connection),
 * the access-log flag, and that nothing malformed reached the upstream.
 */
import * as net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ProxyHandle } from '../../src/proxy/main.js';
import type { AccessLogEntry } from '../../src/proxy/access-log.js';
import { type Echo, assignment, edsCluster, get, httpListener, routeConfig, startEcho, startTestProxy, startXds, until } from './_harness.js';

const ADDR = '127.0.9.3';
let proxy: ProxyHandle & { log: AccessLogEntry[] };
let port = 0;
let echo: Echo;
const cleanup: (() => Promise<void> | void)[] = [];

/** Sends `chunks` (with `gapMs` between them) and resolves with everything received until the proxy closes (or `ms`). */
function raw(chunks: (string | Buffer)[], opts: { gapMs?: number; ms?: number; destroyAfterSend?: boolean } = {}): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: ADDR, port });
    let text = '';
    let closed = false;
    const timer = setTimeout(() => { s.destroy(); resolve({ text, closed }); }, opts.ms ?? 3000);
    s.on('data', (d) => { text += d.toString('latin1'); });
    s.on('error', () => {});
    s.on('close', () => { closed = true; clearTimeout(timer); resolve({ text, closed }); });
    s.on('connect', async () => {
      for (const c of chunks) {
        if (s.destroyed) return;
        s.write(c);
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
      if (opts.destroyAfterSend) { setTimeout(() => s.destroy(), 50); }
    });
  });
}

async function lastLog(pred: (e: AccessLogEntry) => boolean): Promise<AccessLogEntry> {
  await until(() => { proxy.accessLog!.flush(); return proxy.log.some(pred); }, 3000, 'access log entry');
  return proxy.log.filter(pred).at(-1)!;
}

test.before(async () => {
  echo = await startEcho('echo');
  const reset = net.createServer((s) => s.once('data', () => s.resetAndDestroy()));
  const hang = net.createServer(() => {});
  const garbage = net.createServer((s) => s.once('data', () => s.end('HTTP/1.1 2OO WHAT\r\nbroken header line\r\n\r\n')));
  const closed = net.createServer();
  const servers = [reset, hang, garbage, closed];
  const ports = await Promise.all(servers.map((srv) => new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as net.AddressInfo).port)))));
  await new Promise<void>((r) => closed.close(() => r()));
  cleanup.push(() => { for (const s of servers.slice(0, 3)) { s.close(); } });
  const route = (prefix: string, cluster: string, timeoutMs?: number) => ({
    match: { pathSpecifier: { case: 'prefix' as const, value: prefix } },
    action: { case: 'route' as const, value: { clusterSpecifier: { case: 'cluster' as const, value: cluster }, ...(timeoutMs ? { timeout: { seconds: 0n, nanos: timeoutMs * 1e6 } } : {}) } },
  });
  const xds = await startXds({
    clusters: ['echo', 'reset', 'hang', 'garbage', 'refused', 'empty'].map((n) => edsCluster(n, { connectTimeoutMs: 500 })),
    endpoints: [
      assignment('echo', [{ port: echo.port }]), assignment('reset', [{ port: ports[0]! }]), assignment('hang', [{ port: ports[1]! }]),
      assignment('garbage', [{ port: ports[2]! }]), assignment('refused', [{ port: ports[3]! }]), assignment('empty', []),
    ],
    listeners: [httpListener('bad', ADDR, 'rt', { requestHeadersTimeout: { seconds: 0n, nanos: 400_000_000 } })],
    routes: [routeConfig('rt', [{ name: 'vh', domains: ['ok.test', 'ok.test:80'], routes: [
      route('/reset', 'reset'), route('/hang', 'hang', 300), route('/garbage', 'garbage'), route('/refused', 'refused'), route('/empty', 'empty'), route('/', 'echo'),
    ] }])],
  });
  cleanup.push(() => xds.close());
  proxy = await startTestProxy(xds.port);
  cleanup.push(() => proxy.close());
  await proxy.waitReady();
  port = proxy.listenerAddress('bad')!.port;
});

test.after(async () => {
  for (const c of cleanup.reverse()) await c();
  await echo.close();
});

test('GIVEN a malformed request line WHEN sent THEN 400, connection closed, nothing upstream', async () => {
  const before = echo.received.length;
  const r = await raw(['GET /a b c HTTP/9\r\nHost: ok.test\r\n\r\n']);
  assert.match(r.text, /^HTTP\/1\.1 400 /);
  assert.ok(r.closed);
  assert.is(echo.received.length, before);
  assert.equal((await lastLog((e) => e.status === 400)).flags, ['DPE']);
});

test('GIVEN both Content-Length and Transfer-Encoding (smuggling) WHEN sent THEN 400 and nothing upstream', async () => {
  const before = echo.received.length;
  const r = await raw(['POST / HTTP/1.1\r\nHost: ok.test\r\nContent-Length: 30\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: ok.test\r\n\r\n']);
  assert.match(r.text, /^HTTP\/1\.1 400 /);
  assert.ok(r.closed);
  await new Promise((res) => setTimeout(res, 100));
  assert.is(echo.received.length, before);
});

test('GIVEN two different Content-Length headers WHEN sent THEN 400 and nothing upstream', async () => {
  const before = echo.received.length;
  const r = await raw(['POST / HTTP/1.1\r\nHost: ok.test\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd']);
  assert.match(r.text, /^HTTP\/1\.1 400 /);
  assert.ok(r.closed);
  assert.is(echo.received.length, before);
});

test('GIVEN request headers over 60 KiB WHEN sent THEN 431 and the connection closes', async () => {
  const big = 'x'.repeat(61 * 1024);
  const r = await raw([`GET / HTTP/1.1\r\nHost: ok.test\r\nX-Big: ${big}\r\n\r\n`]);
  assert.match(r.text, /^HTTP\/1\.1 431 /);
  assert.ok(r.closed);
});

test('GIVEN headers just under 60 KiB WHEN sent THEN they are forwarded (the limit is Envoy default 60 KiB)', async () => {
  const r = await get(port, '/under', { host: 'ok.test', 'x-big': 'y'.repeat(50 * 1024) }, 'GET', undefined, ADDR);
  assert.is(r.status, 200);
});

test('GIVEN a CR inside a header value WHEN sent THEN 400 and nothing upstream', async () => {
  const before = echo.received.length;
  const r = await raw(['GET / HTTP/1.1\r\nHost: ok.test\r\nX-Evil: a\rInjected: b\r\n\r\n']);
  assert.match(r.text, /^HTTP\/1\.1 400 /);
  assert.is(echo.received.length, before);
});

test('GIVEN a client that sends its headers too slowly (slowloris) WHEN the header timeout passes THEN 408 and closed', async () => {
  const t0 = Date.now();
  const r = await raw(['GET / HTTP/1.1\r\n', 'Host: ok.test\r\n', 'X-A: 1\r\n', 'X-B: 2\r\n', 'X-C: 3\r\n', 'X-D: 4\r\n'], { gapMs: 150, ms: 4000 });
  assert.match(r.text, /^HTTP\/1\.1 408 /);
  assert.ok(r.closed);
  assert.ok(Date.now() - t0 < 3000, 'answered within the header timeout plus the check interval');
});

test('GIVEN a client that disconnects mid-body WHEN the proxy streams upstream THEN DC and the backend never sees a complete request', async () => {
  const before = echo.received.length;
  await raw(['POST /upload HTTP/1.1\r\nHost: ok.test\r\nContent-Length: 1000\r\n\r\n', 'only-ten-b'], { destroyAfterSend: true, ms: 1000 });
  const e = await lastLog((x) => x.path === '/upload');
  assert.ok(e.flags.includes('DC'), `flags ${e.flags.join(',')}`);
  await new Promise((r) => setTimeout(r, 100));
  assert.is(echo.received.length, before);
});

test('GIVEN an upstream that resets the connection WHEN forwarding THEN 503 UC', async () => {
  const r = await get(port, '/reset', { host: 'ok.test' }, 'GET', undefined, ADDR);
  assert.is(r.status, 503);
  assert.match(r.body, /reset reason: connection termination/);
  assert.ok((await lastLog((e) => e.path === '/reset')).flags.includes('UC'));
});

test('GIVEN an upstream that hangs and a route timeout of 300 ms WHEN forwarding THEN 504 UT after about 300 ms', async () => {
  const t0 = Date.now();
  const r = await get(port, '/hang', { host: 'ok.test' }, 'GET', undefined, ADDR);
  const took = Date.now() - t0;
  assert.is(r.status, 504);
  assert.is(r.body, 'upstream request timeout');
  assert.ok(took >= 280 && took < 2000, `took ${took} ms`);
  assert.ok((await lastLog((e) => e.path === '/hang')).flags.includes('UT'));
});

test('GIVEN an upstream that sends a malformed response WHEN forwarding THEN 502 UPE', async () => {
  const r = await get(port, '/garbage', { host: 'ok.test' }, 'GET', undefined, ADDR);
  assert.is(r.status, 502);
  assert.match(r.body, /protocol error/);
  assert.ok((await lastLog((e) => e.path === '/garbage')).flags.includes('UPE'));
});

test('GIVEN no route for the request WHEN sent THEN 404 NR', async () => {
  const r = await get(port, '/', { host: 'unknown.test' }, 'GET', undefined, ADDR);
  assert.is(r.status, 404);
  assert.ok((await lastLog((e) => e.authority === 'unknown.test')).flags.includes('NR'));
});

test('GIVEN a cluster with no endpoints WHEN forwarding THEN 503 UH "no healthy upstream"', async () => {
  const r = await get(port, '/empty', { host: 'ok.test' }, 'GET', undefined, ADDR);
  assert.is(r.status, 503);
  assert.is(r.body, 'no healthy upstream');
  assert.ok((await lastLog((e) => e.path === '/empty')).flags.includes('UH'));
});

test('GIVEN an endpoint that refuses connections WHEN forwarding THEN 503 UF', async () => {
  const r = await get(port, '/refused', { host: 'ok.test' }, 'GET', undefined, ADDR);
  assert.is(r.status, 503);
  assert.match(r.body, /connection failure/);
  assert.ok((await lastLog((e) => e.path === '/refused')).flags.includes('UF'));
});

test.run();
