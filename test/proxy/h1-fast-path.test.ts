/**
 * The downstream HTTP/1.1 fast path (h1-server-connection.ts) over real sockets: keep-alive,
 * pipelining served in order one at a time, streamed request bodies, Expect: 100-continue, CONNECT,
 * Connection: close, HEAD, chunked responses, backpressure, request_headers_timeout on a kept-alive
 * connection, idle_timeout and drain. The bad inputs (400/408/431/501/426…) are in bad-input,
 * envoy-parity and header-limits, which run through this path too; errors after a request, upgrades,
 * a missing Host, other expectations and early replies in h1-serial.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ProxyHandle } from '../../src/proxy/main.js';
import type { AccessLogEntry } from '../../src/proxy/access-log.js';
import { H1ConnectionSet } from '../../src/proxy/http/h1-server-connection.js';
import { HttpConnectionManager_CodecType } from '../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { assignment, edsCluster, httpListener, routeConfig, startTestProxy, startXds, until } from './_harness.js';

const ADDR = '127.0.9.81';
let proxy: ProxyHandle & { log: AccessLogEntry[] };
let port = 0;
let idlePort = 0;
let http1Port = 0;
/** What the backend saw: url, arrival and answer times (ms), body. */
const seen: { url: string; at: number; answeredAt: number; body: string; headers: http.IncomingHttpHeaders }[] = [];
let backend: http.Server;
let bodyChunksSeen = 0;
let holdBody: (() => void) | undefined;
const cleanup: (() => Promise<void> | void)[] = [];

test.before(async () => {
  backend = http.createServer((req, res) => {
    const at = performance.now();
    const chunks: Buffer[] = [];
    const answer = () => {
      const entry = { url: req.url ?? '', at, answeredAt: 0, body: Buffer.concat(chunks).toString('latin1'), headers: req.headers };
      seen.push(entry);
      const send = () => {
        entry.answeredAt = performance.now();
        if (req.url === '/chunked') { res.writeHead(200); res.write('ab'); setTimeout(() => res.end('cd'), 5); return; }
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(3 + entry.url.length) });
        res.end(`ok ${entry.url}`);
      };
      if (req.url?.startsWith('/slow')) setTimeout(send, 150); else send();
    };
    if (req.url === '/hold') {
      req.pause();
      holdBody = () => { req.on('data', (c: Buffer) => { chunks.push(c); }); req.resume(); };
      req.on('end', answer);
      return;
    }
    req.on('data', (c: Buffer) => { chunks.push(c); bodyChunksSeen++; });
    req.on('end', answer);
  });
  const bport = await new Promise<number>((r) => backend.listen(0, '127.0.0.1', () => r((backend.address() as net.AddressInfo).port)));
  cleanup.push(() => { backend.closeAllConnections(); backend.close(); });
  const route = { match: { pathSpecifier: { case: 'prefix' as const, value: '/' } }, action: { case: 'route' as const, value: { clusterSpecifier: { case: 'cluster' as const, value: 'b' } } } };
  const xds = await startXds({
    clusters: [edsCluster('b')], endpoints: [assignment('b', [{ port: bport }])],
    listeners: [
      httpListener('fast', ADDR, 'rt', { requestHeadersTimeout: { seconds: 0n, nanos: 300_000_000 } }),
      httpListener('idle', ADDR, 'rt', { commonHttpProtocolOptions: { idleTimeout: { seconds: 0n, nanos: 200_000_000 } } }),
      // codec_type HTTP1: no first read to look for the HTTP/2 preface, the codec reads from the start.
      httpListener('http1', ADDR, 'rt', { codecType: HttpConnectionManager_CodecType.HTTP1 }),
    ],
    routes: [routeConfig('rt', [{ name: 'vh', domains: ['*'], routes: [route] }])],
  });
  cleanup.push(() => xds.close());
  proxy = await startTestProxy(xds.port);
  cleanup.push(() => proxy.close());
  await proxy.waitReady();
  port = proxy.listenerAddress('fast')!.port;
  idlePort = proxy.listenerAddress('idle')!.port;
  http1Port = proxy.listenerAddress('http1')!.port;
});

test.after(async () => {
  for (const c of cleanup.reverse()) await c();
});

/** A raw client: `send` writes, `text` is everything received so far, `closed` once the proxy closed. */
async function client(to = port): Promise<{ s: net.Socket; text: () => string; closed: () => boolean; waitFor(re: RegExp, ms?: number): Promise<void>; waitClosed(ms?: number): Promise<void> }> {
  const s = net.connect({ host: ADDR, port: to });
  let text = '';
  let closed = false;
  s.on('data', (d: Buffer) => { text += d.toString('latin1'); });
  s.on('error', () => {});
  s.on('close', () => { closed = true; });
  await new Promise((r) => s.once('connect', r));
  cleanup.push(() => { s.destroy(); });
  return {
    s, text: () => text, closed: () => closed,
    waitFor: (re, ms = 3000) => until(() => re.test(text), ms, `${re} in ${JSON.stringify(text.slice(0, 400))}`),
    waitClosed: (ms = 3000) => until(() => closed, ms, 'the proxy to close the connection'),
  };
}

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

test('GIVEN a kept-alive connection WHEN two requests follow each other THEN both are answered on it, with Connection: keep-alive and no Keep-Alive hint (Envoy sends none)', async () => {
  const c = await client();
  c.s.write('GET /ka1 HTTP/1.1\r\nHost: a\r\n\r\n');
  await c.waitFor(/ok \/ka1/);
  c.s.write('GET /ka2 HTTP/1.1\r\nHost: a\r\n\r\n');
  await c.waitFor(/ok \/ka2/);
  assert.is(count(c.text(), /HTTP\/1\.1 200 OK\r\n/g), 2);
  assert.is(count(c.text(), /\r\nConnection: keep-alive\r\n/g), 2);
  assert.not.match(c.text(), /\r\nKeep-Alive:/i);
  assert.match(c.text(), /\r\nx-envoy-upstream-service-time: \d+\r\n/);
  assert.not.ok(c.closed());
});

test('GIVEN codec_type HTTP1 (nothing peeked) WHEN a request, a body in pieces and a malformed request follow THEN served, then 400', async () => {
  const c = await client(http1Port);
  c.s.write('POST /h1only HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nabc');
  await new Promise((r) => setTimeout(r, 30));
  c.s.write('def');
  await c.waitFor(/ok \/h1only/);
  assert.is(seen.find((x) => x.url === '/h1only')?.body, 'abcdef');
  c.s.write('GET /x y HTTP/1.1\r\nHost: a\r\n\r\n');
  await c.waitClosed();
  assert.match(c.text(), /HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\r\n\r\nBad Request$/);
});

test('GIVEN three pipelined requests, the first slow WHEN sent in one write THEN answered in order, the next forwarded only after the previous answered (Envoy serial)', async () => {
  const c = await client();
  c.s.write('GET /slow-p1 HTTP/1.1\r\nHost: a\r\n\r\nGET /p2 HTTP/1.1\r\nHost: a\r\n\r\nGET /p3 HTTP/1.1\r\nHost: a\r\n\r\n');
  await c.waitFor(/ok \/slow-p1[\s\S]*ok \/p2[\s\S]*ok \/p3$/);
  const slow = seen.find((x) => x.url === '/slow-p1')!;
  const p2 = seen.find((x) => x.url === '/p2')!;
  assert.ok(slow.answeredAt > 0 && p2.at >= slow.answeredAt, `p2 reached the backend ${(slow.answeredAt - p2.at).toFixed(1)} ms before p1 was answered`);
});

test('GIVEN a chunked request body sent in two parts WHEN the first part arrives THEN it is streamed upstream before the client sends the rest', async () => {
  const c = await client();
  const before = bodyChunksSeen;
  c.s.write('POST /stream HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
  await until(() => bodyChunksSeen > before, 3000, 'the first chunk upstream');
  c.s.write('6\r\n world\r\n0\r\n\r\n');
  await c.waitFor(/ok \/stream/);
  assert.is(seen.find((x) => x.url === '/stream')?.body, 'hello world');
  assert.is(seen.find((x) => x.url === '/stream')?.headers['transfer-encoding'], 'chunked');
});

test('GIVEN Expect: 100-continue WHEN the head arrives THEN 100 Continue first, then the body is forwarded', async () => {
  const c = await client();
  c.s.write('POST /expect HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
  await c.waitFor(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
  c.s.write('data');
  await c.waitFor(/ok \/expect/);
  assert.is(seen.find((x) => x.url === '/expect')?.body, 'data');
});

test('GIVEN CONNECT WHEN sent THEN the connection is closed and nothing goes upstream', async () => {
  const c = await client();
  c.s.write('CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n');
  await c.waitClosed();
  assert.is(c.text(), '');
});

test('GIVEN Connection: close WHEN answered THEN the response says so and the proxy closes the connection', async () => {
  const c = await client();
  c.s.write('GET /bye HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  await c.waitClosed();
  assert.match(c.text(), /\r\nConnection: close\r\n\r\nok \/bye$/);
});

test('GIVEN HEAD WHEN the upstream answers with a length THEN the head only, and the connection serves the next request', async () => {
  const c = await client();
  c.s.write('HEAD /head HTTP/1.1\r\nHost: a\r\n\r\n');
  await c.waitFor(/\r\n\r\n$/);
  assert.match(c.text(), /content-length: 8\r\n/);
  c.s.write('GET /afterhead HTTP/1.1\r\nHost: a\r\n\r\n');
  await c.waitFor(/ok \/afterhead/);
  assert.not.match(c.text(), /ok \/head/);
});

test('GIVEN an upstream response without a length WHEN forwarded THEN chunked downstream, the body intact', async () => {
  const c = await client();
  c.s.write('GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n');
  await c.waitFor(/0\r\n\r\n$/);
  assert.match(c.text(), /Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n$/);
});

test('GIVEN a 32 MiB upload to a backend that does not read WHEN the client writes THEN the proxy stops reading (backpressure), and all of it arrives once the backend reads', async () => {
  const c = await client();
  const size = 32 * 1024 * 1024;
  holdBody = undefined;
  c.s.write(`POST /hold HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\n\r\n`);
  const chunk = Buffer.alloc(1024 * 1024, 120);
  for (let i = 0; i < 32; i++) c.s.write(chunk);
  await until(() => holdBody !== undefined, 3000, 'the request upstream');
  await new Promise((r) => setTimeout(r, 300));
  const pending = c.s.writableLength;
  assert.ok(pending > 4 * 1024 * 1024, `only ${pending} bytes still waiting in the client: the proxy buffered the rest`);
  holdBody!();
  await c.waitFor(/ok \/hold/, 10_000);
  assert.is(seen.find((x) => x.url === '/hold')?.body.length, size);
});

test('GIVEN a kept-alive connection WHEN the next request head stalls past request_headers_timeout THEN 408 and closed; an idle connection is left alone', async () => {
  const idle = await client();
  const c = await client();
  c.s.write('GET /first HTTP/1.1\r\nHost: a\r\n\r\n');
  await c.waitFor(/ok \/first/);
  c.s.write('GET /second HTTP/1.1\r\nHost: a\r\n');
  await c.waitClosed(2000);
  assert.match(c.text(), /HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*request header timeout$/);
  assert.not.ok(idle.closed(), 'a connection that sent nothing is not timed out by request_headers_timeout');
});

test('GIVEN idle_timeout 200 ms WHEN a connection stays idle after a response THEN the proxy closes it', async () => {
  const c = await client(idlePort);
  c.s.write('GET /idle HTTP/1.1\r\nHost: a\r\n\r\n');
  await c.waitFor(/ok \/idle/);
  assert.match(c.text(), /\r\nConnection: keep-alive\r\n/);
  assert.not.match(c.text(), /\r\nKeep-Alive:/i, 'no Keep-Alive hint: the idle timeout alone closes the connection, as in Envoy');
  const t0 = performance.now();
  await c.waitClosed(3000);
  assert.ok(performance.now() - t0 >= 150, 'not closed before the idle timeout');
});

test('GIVEN a request handler that throws WHEN a request arrives THEN only that connection is closed; the next connection is served', async () => {
  const set = new H1ConnectionSet();
  let calls = 0;
  const server = net.createServer((s) => {
    s.on('error', () => {});
    set.add(s, {
      maxHeaderSize: 8192, headersTimeoutMs: 1000, idleTimeoutMs: 0,
      onRequest: (_req, res) => { calls++; if (calls === 1) throw new Error('bug'); res.writeHead(200, ['content-length', '2']); res.end('ok'); },
      onClientError: (_e, sock) => sock.destroy(),
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const at = (server.address() as net.AddressInfo).port;
  const ask = () => new Promise<{ text: string; closed: boolean }>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: at }, () => s.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
    let text = '';
    s.on('data', (d: Buffer) => { text += d.toString('latin1'); if (text.endsWith('ok')) { s.destroy(); resolve({ text, closed: false }); } });
    s.on('error', () => {});
    s.on('close', () => resolve({ text, closed: true }));
  });
  try {
    const first = await ask();
    assert.equal(first, { text: '', closed: true });
    const second = await ask();
    assert.match(second.text, /^HTTP\/1\.1 200 OK\r\n[\s\S]*ok$/);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('GIVEN a drain WHEN one connection is idle and one waits for a slow response THEN the idle one closes now, the busy one gets its response and closes', async () => {
  const idle = await client();
  idle.s.write('GET /pre-drain HTTP/1.1\r\nHost: a\r\n\r\n');
  await idle.waitFor(/ok \/pre-drain/);
  const busy = await client();
  busy.s.write('GET /slow-drain HTTP/1.1\r\nHost: a\r\n\r\n');
  await until(() => seen.some((x) => x.url === '/slow-drain'), 3000, 'the slow request upstream');
  const drained = proxy.drain();
  await idle.waitClosed(1000);
  await busy.waitClosed(3000);
  assert.match(busy.text(), /\r\nconnection: close\r\n\r\nok \/slow-drain$/, JSON.stringify(busy.text()));
  await drained;
});

test.run();
