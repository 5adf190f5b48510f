/**
 * An HTTP/1.1 attempt through our pool (src/proxy/http/upstream-http1.ts over h1-pool.ts) over real
 * sockets: when the response is handed on. A small body read with its head is complete when the
 * router pipes it (the pipe returns the settled PIPED: one downstream write, no promise); a body
 * that streams later is piped as it comes, with the head handed on before it; an error in the same
 * read as the head still hands the head on, and the pipe then fails (the router resets downstream).
 */
import * as net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StatsStore } from '../../src/proxy/admin/stats.js';
import { H1Pool } from '../../src/proxy/http/h1-pool.js';
import { type Exchange, ON_ABORT, PIPED, type ResponseSink, type UpstreamHost } from '../../src/proxy/http/pipeline.js';
import { forwardHttp1 } from '../../src/proxy/http/upstream-http1.js';

/** A raw backend answering each request head with `reply(socket)`. */
async function backend(reply: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d: Buffer) => { buf += d.toString('latin1'); if (buf.includes('\r\n\r\n')) { buf = ''; reply(s); } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }) };
}

function attempt(port: number): { settled: () => number; sent: ReturnType<typeof forwardHttp1>; pool: H1Pool } {
  const pool = new H1Pool({ address: '127.0.0.1', port, connectTimeoutMs: 1000, keepAliveTimeoutMs: 5000, maxRequestsPerConnection: 0, maxHeaderSize: 96 * 1024 });
  const host: UpstreamHost = { key: `127.0.0.1:${port}`, address: '127.0.0.1', port, weight: 1, hostname: '', locality: '', healthy: true, active: 0 };
  const ex = { [ON_ABORT]: () => true, signal: new AbortController().signal } as unknown as Exchange;
  let settled = 0;
  const sent = forwardHttp1(pool, host, new StatsStore().cluster('c'), 'GET', '/', ['host', 'b'], null, ex, () => { settled++; });
  return { settled: () => settled, sent, pool };
}

function sink(): ResponseSink & { body: string; ended: boolean; writes: number } {
  const s = {
    body: '', ended: false, writes: 0,
    write(c: Buffer) { s.body += c.toString('latin1'); s.writes++; return true; },
    end() { s.ended = true; },
    onDrain() {},
  };
  return s;
}

test('GIVEN a backend that writes head and a small body at once WHEN the attempt resolves THEN the body is already complete: pipe writes it and ends at once, returning PIPED', async () => {
  const b = await backend((s) => s.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello'));
  const a = attempt(b.port);
  try {
    const r = await a.sent;
    assert.is(r.status, 200);
    assert.is(a.settled(), 1);
    const out = sink();
    const piped = r.pipe(out);
    piped.catch(() => {});
    assert.is(piped, PIPED, 'the body was still to come when the attempt resolved');
    assert.is(out.body, 'hello');
    assert.is(out.writes, 1);
    assert.ok(out.ended);
  } finally {
    a.pool.destroy();
    await b.close();
  }
});

test('GIVEN a backend that writes the head, then the body 100 ms later WHEN the attempt resolves THEN before the body; pipe streams it when it comes', async () => {
  let bodySent = false;
  const b = await backend((s) => {
    s.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n');
    setTimeout(() => { bodySent = true; s.write('later'); }, 100);
  });
  const a = attempt(b.port);
  try {
    const r = await a.sent;
    assert.not.ok(bodySent, 'the head was held back until the body came');
    const out = sink();
    const piped = r.pipe(out);
    assert.is.not(piped, PIPED);
    await piped;
    assert.ok(bodySent);
    assert.is(out.body, 'later');
    assert.ok(out.ended);
  } finally {
    a.pool.destroy();
    await b.close();
  }
});

test('GIVEN a head followed in the same write by a malformed chunk WHEN the attempt resolves THEN with the head; its pipe rejects (the router resets downstream)', async () => {
  const b = await backend((s) => s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nbad\r\n'));
  const a = attempt(b.port);
  try {
    const r = await a.sent;
    assert.is(r.status, 200);
    const out = sink();
    let failed: (Error & { code?: string }) | undefined;
    await r.pipe(out).catch((e: Error) => { failed = e; });
    assert.ok(failed, 'the pipe rejected');
    assert.match(failed!.code ?? '', /^HPE_/);
    assert.not.ok(out.ended);
  } finally {
    a.pool.destroy();
    await b.close();
  }
});

test('GIVEN an attempt that holds the active counters WHEN it resolves, fails to connect, or its exchange had already aborted THEN upstream_rq_active and host.active are given back once each time', async () => {
  const b = await backend((s) => s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
  const stats = new StatsStore().cluster('c');
  const pool = new H1Pool({ address: '127.0.0.1', port: b.port, connectTimeoutMs: 1000, keepAliveTimeoutMs: 5000, maxRequestsPerConnection: 0, maxHeaderSize: 96 * 1024 });
  const host: UpstreamHost = { key: `127.0.0.1:${b.port}`, address: '127.0.0.1', port: b.port, weight: 1, hostname: '', locality: '', healthy: true, active: 0 };
  const live = { [ON_ABORT]: () => true, signal: new AbortController().signal } as unknown as Exchange;
  const aborted = { [ON_ABORT]: () => false, signal: AbortSignal.abort(new Error('gone')) } as unknown as Exchange;
  const hold = () => { stats.upstream_rq_active++; host.active++; };
  try {
    hold();
    const r = await forwardHttp1(pool, host, stats, 'GET', '/', ['host', 'b'], null, live, undefined, true);
    assert.is(r.status, 200);
    assert.is(stats.upstream_rq_active, 0);
    assert.is(host.active, 0);
    hold();
    await forwardHttp1(pool, host, stats, 'GET', '/', ['host', 'b'], null, aborted, undefined, true).catch(() => {});
    assert.is(stats.upstream_rq_active, 0);
    assert.is(host.active, 0);
    const closed = new H1Pool({ address: '127.0.0.1', port: 1, connectTimeoutMs: 1000, keepAliveTimeoutMs: 5000, maxRequestsPerConnection: 0, maxHeaderSize: 1024 });
    closed.close();
    hold();
    await forwardHttp1(closed, host, stats, 'GET', '/', ['host', 'b'], null, live, undefined, true).catch(() => {});
    assert.is(stats.upstream_rq_active, 0);
    assert.is(host.active, 0);
  } finally {
    pool.destroy();
    await b.close();
  }
});

test.run();
