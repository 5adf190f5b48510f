/**
 * The plaintext HTTP/1.1 upstream pool (src/proxy/http/h1-pool.ts) over real sockets: keep-alive
 * reuse, max_requests_per_connection, request body framing (content-length, chunked, buffered),
 * responses framed by length, chunks or close, HEAD and 1xx, and every failure with the code the
 * upstream error classifier maps (UF, UPE, UC), nothing malformed written upstream.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type H1Handler, H1Pool, type H1Request, keepAliveHint } from '../../src/proxy/http/h1-pool.js';

interface Outcome { status: number; headers: string[]; body: string; trailers: string[] | null; error?: Error & { code?: string } }

function send(pool: H1Pool, r: Partial<H1Request>): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { status: 0, headers: [], body: '', trailers: null };
    const handler: H1Handler = {
      onConnect() {},
      onHeaders(status, raw) { out.status = status; out.headers = raw; return true; },
      onData(chunk) { out.body += chunk.toString(); return true; },
      onComplete(trailers) { out.trailers = trailers; resolve(out); },
      onError(error) { out.error = error; resolve(out); },
    };
    pool.dispatch({ method: 'GET', path: '/', headers: ['host', 'backend'], body: null, ...r }, handler);
  });
}

function poolFor(port: number, o: { maxRequestsPerConnection?: number; keepAliveTimeoutMs?: number; connectTimeoutMs?: number } = {}): H1Pool & { connects: number; disconnects: number } {
  const counters = { connects: 0, disconnects: 0 };
  const p = new H1Pool({
    address: '127.0.0.1', port, connectTimeoutMs: o.connectTimeoutMs ?? 1000, keepAliveTimeoutMs: o.keepAliveTimeoutMs ?? 5000,
    maxRequestsPerConnection: o.maxRequestsPerConnection ?? 0, maxHeaderSize: 96 * 1024,
    onConnect: () => { counters.connects++; }, onDisconnect: () => { counters.disconnects++; },
  });
  Object.defineProperties(p, { connects: { get: () => counters.connects }, disconnects: { get: () => counters.disconnects } });
  return p as H1Pool & typeof counters;
}

/** A node:http backend echoing method, url, framing headers and body; counts its connections. */
async function echo(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({ method: req.method, url: req.url, cl: req.headers['content-length'] ?? null, te: req.headers['transfer-encoding'] ?? null, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  server.on('connection', () => { connections++; });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port, connections: () => connections,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** A raw TCP backend answering every request head with `reply(head)` (then closing when `close`). */
async function raw(reply: (head: string, socket: net.Socket) => void): Promise<{ port: number; received: string[]; close(): Promise<void> }> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      received.push(d.toString('latin1'));
      if (buf.includes('\r\n\r\n')) { const head = buf; buf = ''; reply(head, s); }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as net.AddressInfo).port, received, close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }) };
}

test('GIVEN a keep-alive backend WHEN 20 requests go one after another THEN one connection carries them all', async () => {
  const b = await echo();
  const pool = poolFor(b.port);
  try {
    for (let i = 0; i < 20; i++) {
      const r = await send(pool, { path: `/n/${i}` });
      assert.is(r.status, 200);
      assert.is(JSON.parse(r.body).url, `/n/${i}`);
    }
    assert.is(b.connections(), 1);
    assert.is(pool.connects, 1);
  } finally { pool.destroy(); await b.close(); }
});

test('GIVEN max_requests_per_connection 3 WHEN 7 requests go one after another THEN 3 connections', async () => {
  const b = await echo();
  const pool = poolFor(b.port, { maxRequestsPerConnection: 3 });
  try {
    for (let i = 0; i < 7; i++) assert.is((await send(pool, {})).status, 200);
    assert.is(b.connections(), 3);
  } finally { pool.destroy(); await b.close(); }
});

test('GIVEN request bodies WHEN a stream with content-length, a stream without, a buffer and no body on POST THEN framed as content-length, chunked, content-length and content-length 0', async () => {
  const b = await echo();
  const pool = poolFor(b.port);
  try {
    const withLength = JSON.parse((await send(pool, { method: 'POST', headers: ['host', 'b', 'content-length', '5'], body: Readable.from([Buffer.from('he'), Buffer.from('llo')]) })).body);
    assert.equal([withLength.cl, withLength.te, withLength.body], ['5', null, 'hello']);
    const chunked = JSON.parse((await send(pool, { method: 'POST', body: Readable.from([Buffer.from('a'), Buffer.from('bc')]) })).body);
    assert.equal([chunked.cl, chunked.te, chunked.body], [null, 'chunked', 'abc']);
    const buffered = JSON.parse((await send(pool, { method: 'PUT', body: Buffer.from('xyz') })).body);
    assert.equal([buffered.cl, buffered.body], ['3', 'xyz']);
    const empty = JSON.parse((await send(pool, { method: 'POST' })).body);
    assert.equal([empty.cl, empty.body], ['0', '']);
    assert.is(b.connections(), 1, 'every request completed its framing, so the connection stayed reusable');
  } finally { pool.destroy(); await b.close(); }
});

test('GIVEN a HEAD request WHEN the backend sends content-length without a body THEN the response completes and the connection is reused', async () => {
  const b = await echo();
  const pool = poolFor(b.port);
  try {
    const r = await send(pool, { method: 'HEAD' });
    assert.is(r.status, 200);
    assert.is(r.body, '');
    assert.is((await send(pool, {})).status, 200);
    assert.is(b.connections(), 1);
  } finally { pool.destroy(); await b.close(); }
});

test('GIVEN a 100 Continue, a chunked body with trailers, and a body read until close WHEN received THEN the final status, the body and trailers arrive', async () => {
  const b = await raw((head, s) => {
    if (head.startsWith('GET /chunked')) s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-t\r\n\r\n3\r\nabc\r\n0\r\nx-t: done\r\n\r\n');
    else s.end('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-close');
  });
  const pool = poolFor(b.port);
  try {
    const c = await send(pool, { path: '/chunked' });
    assert.equal([c.status, c.body, c.trailers], [200, 'abc', ['x-t', 'done']]);
    const u = await send(pool, { path: '/close' });
    assert.equal([u.status, u.body, u.error], [200, 'until-close', undefined]);
  } finally { pool.destroy(); await b.close(); }
});

test('GIVEN a malformed status line, duplicate content-length, and headers over the limit WHEN received THEN HPE_* errors (UPE), never a response', async () => {
  const b = await raw((head, s) => {
    if (head.startsWith('GET /garbage')) s.write('HTTP/1.1 abc nonsense\r\n\r\n');
    else if (head.startsWith('GET /dup')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab');
    else s.write(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(100 * 1024)}\r\n\r\n`);
  });
  const pool = poolFor(b.port);
  try {
    for (const [path, code] of [['/garbage', 'HPE_INVALID_STATUS'], ['/dup', 'HPE_UNEXPECTED_CONTENT_LENGTH'], ['/big', 'HPE_HEADER_OVERFLOW']] as const) {
      const r = await send(pool, { path });
      assert.is(r.status, 0, `${path}: no response reached the handler`);
      assert.is(r.error?.code, code, path);
    }
  } finally { pool.destroy(); await b.close(); }
});

test('GIVEN a backend that closes or resets before the response ends WHEN forwarding THEN UND_ERR_SOCKET / ECONNRESET (UC)', async () => {
  const b = await raw((head, s) => {
    if (head.startsWith('GET /half')) s.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    else s.resetAndDestroy();
  });
  const pool = poolFor(b.port);
  try {
    const half = await send(pool, { path: '/half' });
    assert.is(half.status, 200, 'headers arrived');
    assert.is(half.error?.code, 'UND_ERR_SOCKET');
    const reset = await send(pool, { path: '/reset' });
    assert.is(reset.status, 0);
    assert.is(reset.error?.code, 'ECONNRESET');
  } finally { pool.destroy(); await b.close(); }
});

test('GIVEN a port nobody listens on WHEN forwarding THEN ECONNREFUSED (UF) and no connection counted', async () => {
  const probe = net.createServer();
  const port = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as net.AddressInfo).port)));
  await new Promise<void>((r) => probe.close(() => r()));
  const pool = poolFor(port);
  const r = await send(pool, {});
  assert.is(r.error?.code, 'ECONNREFUSED');
  assert.is(pool.connects, 0);
  pool.destroy();
});

test('GIVEN a CR/LF in a header value, an invalid header name, or a space in the path WHEN dispatched THEN refused before anything is written', async () => {
  const b = await raw((_h, s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  const pool = poolFor(b.port);
  try {
    for (const r of [{ headers: ['host', 'b', 'x-a', 'v\r\nx-injected: 1'] }, { headers: ['host', 'b', 'bad name', 'v'] }, { path: '/a b' }]) {
      const out = await send(pool, r);
      assert.is(out.error?.code, 'UND_ERR_INVALID_ARG');
      assert.match(out.error!.message, /invalid request (header|path)/);
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.not.ok(b.received.join('').includes('x-injected'), 'nothing malformed reached the backend');
  } finally { pool.destroy(); await b.close(); }
});

test('GIVEN a request body stream that fails midway WHEN forwarding THEN the upstream connection is destroyed before the body completes', async () => {
  let gotEnd = false;
  const b = await raw((_h, s) => { s.on('data', (d) => { if (d.toString().endsWith('0\r\n\r\n')) gotEnd = true; }); });
  const pool = poolFor(b.port);
  try {
    const body = new Readable({ read() {} });
    const p = send(pool, { method: 'POST', body });
    body.push(Buffer.from('part'));
    await new Promise((r) => setTimeout(r, 30));
    body.destroy(new Error('client went away'));
    const r = await p;
    assert.is(r.error?.code, 'UND_ERR_ABORTED');
    await new Promise((r2) => setTimeout(r2, 30));
    assert.not.ok(gotEnd, 'the chunked terminator was never sent');
  } finally { pool.destroy(); await b.close(); }
});

test('GIVEN idle connections WHEN the keep-alive timeout passes THEN they close; WHEN the pool closes THEN new requests are refused (UND_ERR_CLOSED)', async () => {
  const b = await echo();
  const pool = poolFor(b.port, { keepAliveTimeoutMs: 40 });
  try {
    assert.is((await send(pool, {})).status, 200);
    const t0 = Date.now();
    while (pool.disconnects === 0 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 10));
    assert.is(pool.disconnects, 1, 'the idle connection closed');
    assert.is((await send(pool, {})).status, 200);
    assert.is(pool.connects, 2);
    pool.close();
    assert.is((await send(pool, {})).error?.code, 'UND_ERR_CLOSED');
  } finally { pool.destroy(); await b.close(); }
});

test('GIVEN Keep-Alive: timeout= hints WHEN read THEN the idle time is 1 s shorter than the hint, capped by the pool; other values keep the pool default', () => {
  assert.is(keepAliveHint(['Keep-Alive', 'timeout=5, max=1000'], 60_000), 4000);
  assert.is(keepAliveHint(['keep-alive', 'max=10; timeout=120'], 60_000), 60_000);
  assert.is(keepAliveHint(['Keep-Alive', 'timeout=1'], 60_000), 0);
  assert.is(keepAliveHint(['Keep-Alive', 'max=5'], 30_000), 30_000);
  assert.is(keepAliveHint(['x-timeout', 'timeout=1'], 30_000), 30_000);
  // The same value again (remembered), values alternating, `Connection` (same length) first, a hint-less keep-alive before one with a timeout.
  assert.is(keepAliveHint(['Keep-Alive', 'timeout=5, max=1000'], 60_000), 4000);
  assert.is(keepAliveHint(['Keep-Alive', 'timeout=5, max=1000'], 3000), 3000);
  assert.is(keepAliveHint(['Keep-Alive', 'timeout=9'], 60_000), 8000);
  assert.is(keepAliveHint(['Keep-Alive', 'timeout=5, max=1000'], 60_000), 4000);
  assert.is(keepAliveHint(['Connection', 'timeout=2', 'KEEP-ALIVE', 'timeout=3'], 60_000), 2000);
  assert.is(keepAliveHint(['keep-alive', 'max=5', 'keep-alive', 'timeout=4'], 60_000), 3000);
  assert.is(keepAliveHint(['keep-alive', 'max=5'], 60_000), 60_000);
});

test('GIVEN an upstream announcing Keep-Alive: timeout=1 WHEN two requests go one after another THEN the connection is not reused into the upstream\'s close', async () => {
  const b = await raw((_h, s) => s.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\nok'));
  const pool = poolFor(b.port);
  try {
    assert.is((await send(pool, {})).body, 'ok');
    assert.is((await send(pool, {})).body, 'ok');
    assert.is(pool.connects, 2);
  } finally { pool.destroy(); await b.close(); }
});

test('GIVEN an upstream that sends stray bytes after a complete response WHEN the connection is idle THEN it is closed, never reused for the next request', async () => {
  for (const stray of ['HTTP/1.1 2', 'garbage']) {
    const b = await raw((_h, s) => { s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'); setTimeout(() => s.write(stray), 20); });
    const pool = poolFor(b.port);
    try {
      assert.is((await send(pool, {})).body, 'ok');
      const t0 = Date.now();
      while (pool.disconnects === 0 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 10));
      assert.is(pool.disconnects, 1, `the connection that received ${JSON.stringify(stray)} while idle closed`);
      assert.is((await send(pool, {})).body, 'ok');
      assert.is(pool.connects, 2);
    } finally { pool.destroy(); await b.close(); }
  }
});

test('GIVEN a 16 MiB response and a handler that refuses data WHEN it resumes later THEN reading stopped meanwhile and every byte arrives', async () => {
  const size = 16 * 1024 * 1024;
  const b = await raw((_h, s) => { s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`); s.write(Buffer.alloc(size, 97)); });
  const pool = poolFor(b.port);
  try {
    let received = 0;
    let resume: (() => void) | undefined;
    let afterPause = -1;
    let completedPaused = false;
    const done = new Promise<void>((resolve, reject) => {
      pool.dispatch({ method: 'GET', path: '/', headers: ['host', 'b'], body: null }, {
        onConnect() {},
        onHeaders(_s, _r, r) { resume = r; return true; },
        onData(chunk) {
          received += chunk.length;
          if (afterPause < 0) { afterPause = 0; setTimeout(() => { afterPause = received; resume!(); }, 300); return false; }
          return true;
        },
        onComplete() { completedPaused = afterPause <= 0; resolve(); },
        onError: reject,
      });
    });
    await done;
    assert.not.ok(completedPaused, 'the whole response arrived while the handler had paused');
    assert.is(received, size);
    assert.ok(afterPause < 4 * 1024 * 1024, `${afterPause} bytes arrived while the handler had paused`);
  } finally { pool.destroy(); await b.close(); }
});

test.run();
