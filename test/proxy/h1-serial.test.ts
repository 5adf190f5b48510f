/**
 * The HTTP/1.1 fast path handles one request at a time as Envoy's codec does (the parser pauses
 * after each message): an error or a stalled head in bytes after a request never lands inside that
 * request's response and never costs it its answer. Also the HCM's own answers on this path:
 * upgrades (403 upgrade_failed, closed), a missing Host (400 missing_host_header, logged), other
 * expectations (forwarded), too many headers (431), and a reply before the request body finished
 * (`connection: close`). Real sockets throughout; the tester's exact bytes.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AccessLogEntry } from '../../src/proxy/access-log.js';
import type { ProxyHandle } from '../../src/proxy/main.js';
import { assignment, edsCluster, httpListener, routeConfig, startTestProxy, startXds, until } from './_harness.js';

const ADDR = '127.0.9.82';
const BIG = 4 * 1024 * 1024;
let proxy: ProxyHandle & { log: AccessLogEntry[] };
let port = 0;
let wsPort = 0;
const seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];
const cleanup: (() => Promise<void> | void)[] = [];

test.before(async () => {
  const backend = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    if (req.url === '/big') { res.writeHead(200, { 'content-length': String(BIG) }); res.end(Buffer.alloc(BIG, 120)); return; }
    if (req.url === '/early') { res.writeHead(200, { 'content-length': '5' }); res.end('early'); return; }
    if (req.url === '/stream-back') { res.writeHead(200); res.write('started'); req.resume(); req.on('end', () => res.end()); return; }
    req.resume();
    req.on('end', () => { res.writeHead(200, { 'content-length': String(3 + (req.url ?? '').length) }); res.end(`ok ${req.url}`); });
  });
  // node:http would answer an unknown expectation itself; this backend shows what reached it.
  backend.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-length': '8' }).end('expected');
  });
  const bport = await new Promise<number>((r) => backend.listen(0, '127.0.0.1', () => r((backend.address() as net.AddressInfo).port)));
  cleanup.push(() => { backend.closeAllConnections(); backend.close(); });
  const toB = { case: 'route' as const, value: { clusterSpecifier: { case: 'cluster' as const, value: 'b' } } };
  const routes = [
    { match: { pathSpecifier: { case: 'prefix' as const, value: '/admin' } }, action: { case: 'directResponse' as const, value: { status: 403, body: { specifier: { case: 'inlineString' as const, value: 'denied' } } } } },
    { match: { pathSpecifier: { case: 'prefix' as const, value: '/' } }, action: toB },
  ];
  const xds = await startXds({
    clusters: [edsCluster('b')], endpoints: [assignment('b', [{ port: bport }])],
    listeners: [
      httpListener('serial', ADDR, 'rt', { requestHeadersTimeout: { seconds: 0n, nanos: 300_000_000 } }),
      httpListener('ws', ADDR, 'rt', { upgradeConfigs: [{ upgradeType: 'websocket' }] }),
    ],
    routes: [routeConfig('rt', [{ name: 'vh', domains: ['*'], routes }])],
  });
  cleanup.push(() => xds.close());
  proxy = await startTestProxy(xds.port);
  cleanup.push(() => proxy.close());
  await proxy.waitReady();
  port = proxy.listenerAddress('serial')!.port;
  wsPort = proxy.listenerAddress('ws')!.port;
});

test.after(async () => {
  for (const c of cleanup.reverse()) await c();
});

interface Client { s: net.Socket; bytes(): Buffer; text(): string; closed(): boolean; waitFor(re: RegExp, ms?: number): Promise<void>; waitClosed(ms?: number): Promise<void> }

async function client(to = port): Promise<Client> {
  const s = net.connect({ host: ADDR, port: to });
  const chunks: Buffer[] = [];
  let closed = false;
  s.on('data', (d: Buffer) => { chunks.push(d); });
  s.on('error', () => {});
  s.on('close', () => { closed = true; });
  await new Promise((r) => s.once('connect', r));
  cleanup.push(() => { s.destroy(); });
  const bytes = () => Buffer.concat(chunks);
  const text = () => bytes().toString('latin1');
  return {
    s, bytes, text, closed: () => closed,
    waitFor: (re, ms = 3000) => until(() => re.test(text()), ms, `${re} in ${JSON.stringify(text().slice(0, 300))}`),
    waitClosed: (ms = 3000) => until(() => closed, ms, 'the proxy to close the connection'),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first response's body (Content-Length framing) and what follows it on the wire. */
function splitFirst(text: string): { body: string; rest: string } {
  const end = text.indexOf('\r\n\r\n');
  const len = Number(/\r\ncontent-length: (\d+)\r\n/i.exec(text.slice(0, end + 2))?.[1] ?? -1);
  return { body: text.slice(end + 4, end + 4 + len), rest: text.slice(end + 4 + len) };
}

/** The access-log entry of `path` (the log is flushed every 100 ms). */
async function logged(path: string): Promise<AccessLogEntry> {
  await until(() => proxy.log.some((e) => e.path === path), 2000, `the access-log line of ${path}`);
  return proxy.log.find((e) => e.path === path)!;
}

test('GIVEN a 4 MiB response the client is slow to read WHEN garbage follows the request THEN the body arrives whole, then 400 and close (never spliced in)', async () => {
  const c = await client();
  c.s.pause();
  c.s.write('GET /big HTTP/1.1\r\nHost: b\r\n\r\n');
  await sleep(200);
  c.s.write('GARBAGE\r\n\r\n');
  await sleep(200);
  c.s.resume();
  await c.waitClosed(5000);
  const { body, rest } = splitFirst(c.text());
  assert.is(body.length, BIG);
  assert.ok(/^x+$/.test(body), 'the body holds only the upstream bytes');
  assert.match(rest, /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\r\n\r\nBad Request$/);
});

test('GIVEN a 4 MiB response the client is slow to read WHEN the next head stalls longer than request_headers_timeout THEN the body arrives whole, the 408 only after it', async () => {
  const c = await client();
  c.s.pause();
  c.s.write('GET /big HTTP/1.1\r\nHost: b\r\n\r\nGET /next HTTP/1.1\r\nHost: b\r\n');
  await sleep(700);
  c.s.resume();
  await c.waitClosed(5000);
  const { body, rest } = splitFirst(c.text());
  assert.is(body.length, BIG);
  assert.ok(/^x+$/.test(body), 'the body holds only the upstream bytes');
  assert.match(rest, /^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*request header timeout$/);
});

test('GIVEN Connection: close and a second request in the same write WHEN parsed THEN the first is answered and the connection closed, no 400', async () => {
  const c = await client();
  c.s.write('GET /one HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\nGET /two HTTP/1.1\r\nHost: b\r\n\r\n');
  await c.waitClosed();
  assert.match(c.text(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok \/one$/);
  assert.is((await logged('/one')).status, 200);
  assert.not.ok(seen.some((x) => x.url === '/two'));
});

test('GIVEN a good request then a malformed one (duplicate Content-Length) in one write WHEN parsed THEN the first is answered, then 400 and close', async () => {
  const c = await client();
  c.s.write('GET /first-ok HTTP/1.1\r\nHost: b\r\n\r\nPOST /p2 HTTP/1.1\r\nHost: b\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab');
  await c.waitClosed();
  const { body, rest } = splitFirst(c.text());
  assert.is(body, 'ok /first-ok');
  assert.match(rest, /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*Bad Request$/);
  assert.not.ok(seen.some((x) => x.url === '/p2'));
});

test('GIVEN a chunked upload whose response already started WHEN the next chunk is malformed THEN the connection is reset, no 400 written into the response', async () => {
  const c = await client();
  c.s.write('POST /stream-back HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
  await c.waitFor(/started\r\n$/);
  c.s.write('zz\r\nbad\r\n');
  await c.waitClosed();
  assert.not.match(c.text(), /400 Bad Request/);
  assert.match(c.text(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n7\r\nstarted\r\n$/);
});

test('GIVEN Upgrade: websocket with no upgrade_configs WHEN a request follows in the same write THEN 403 upgrade_failed, empty body, connection: close, closed; nothing upstream', async () => {
  const c = await client();
  c.s.write('GET /up HTTP/1.1\r\nHost: b\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nGET /after HTTP/1.1\r\nHost: b\r\n\r\n');
  await c.waitClosed();
  assert.match(c.text(), /^HTTP\/1\.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n/);
  assert.not.match(c.text(), /ok \/after/);
  assert.not.ok(seen.some((x) => x.url === '/up' || x.url === '/after'));
  assert.is((await logged('/up')).details, 'upgrade_failed');
});

test('GIVEN upgrade_configs websocket WHEN an upgrade arrives THEN refused the same way, the body saying this proxy does not tunnel', async () => {
  const c = await client(wsPort);
  c.s.write('GET /ws HTTP/1.1\r\nHost: b\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n');
  await c.waitClosed();
  assert.match(c.text(), /^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*\r\n\r\nmeshproof proxy does not tunnel websocket upgrades$/);
});

test('GIVEN Upgrade: h2c WHEN a request follows in the same write THEN both are served as plain requests, no upgrade headers upstream', async () => {
  const c = await client();
  c.s.write('GET /h2c HTTP/1.1\r\nHost: b\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\nGET /after-h2c HTTP/1.1\r\nHost: b\r\n\r\n');
  await c.waitFor(/ok \/h2c[\s\S]*ok \/after-h2c$/);
  const got = seen.find((x) => x.url === '/h2c')!;
  assert.is(got.headers.upgrade, undefined);
  assert.is(got.headers['http2-settings'], undefined);
});

test('GIVEN HTTP/1.1 without Host WHEN sent THEN the HCM\'s 400 missing_host_header, logged, closed', async () => {
  const c = await client();
  c.s.write('GET /nohost HTTP/1.1\r\n\r\n');
  await c.waitClosed();
  assert.match(c.text(), /^HTTP\/1\.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n/);
  assert.is((await logged('/nohost')).details, 'missing_host_header');
  assert.not.ok(seen.some((x) => x.url === '/nohost'));
});

test('GIVEN Expect: foo WHEN sent THEN forwarded with the header (Envoy acts on 100-continue only), logged', async () => {
  const c = await client();
  c.s.write('POST /exp-foo HTTP/1.1\r\nHost: b\r\nContent-Length: 1\r\nExpect: foo\r\n\r\nx');
  await c.waitFor(/expected$/);
  assert.is(seen.find((x) => x.url === '/exp-foo')?.headers.expect, 'foo');
  assert.is((await logged('/exp-foo')).status, 200);
});

test('GIVEN 1,100 headers with Host last WHEN sent THEN 431 too_many_headers, logged, closed', async () => {
  const c = await client();
  let head = 'GET /many HTTP/1.1\r\n';
  for (let i = 0; i < 1100; i++) head += `x${i}: y\r\n`;
  c.s.write(`${head}Host: b\r\n\r\n`);
  await c.waitClosed();
  assert.match(c.text(), /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  assert.is((await logged('/many')).details, 'http1.too_many_headers');
});

test('GIVEN a POST with Content-Length 1000000 and 10 bytes sent WHEN a local reply (direct 403) answers it THEN connection: close and closed', async () => {
  const c = await client();
  c.s.write('POST /admin HTTP/1.1\r\nHost: b\r\nContent-Length: 1000000\r\n\r\n0123456789');
  await c.waitClosed();
  assert.match(c.text(), /^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*connection: close\r\n[\s\S]*\r\n\r\ndenied$/);
});

test('GIVEN an upstream that answers before the request body is complete WHEN forwarded THEN connection: close and closed', async () => {
  const c = await client();
  c.s.write('POST /early HTTP/1.1\r\nHost: b\r\nContent-Length: 1000000\r\n\r\n0123456789');
  await c.waitClosed();
  assert.match(c.text(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nearly$/);
  assert.match(c.text(), /\r\nconnection: close\r\n/);
});

test('GIVEN a request without a body WHEN the direct 403 answers THEN the connection stays open for the next request', async () => {
  const c = await client();
  c.s.write('GET /admin HTTP/1.1\r\nHost: b\r\n\r\n');
  await c.waitFor(/denied$/);
  c.s.write('GET /still HTTP/1.1\r\nHost: b\r\n\r\n');
  await c.waitFor(/ok \/still$/);
  assert.not.ok(c.closed());
});

test.run();
