/**
 * Downstream HTTP/1.1 codec parity: sends a catalogue of raw requests (well-formed, pipelined,
 * bodies, Expect, Upgrade, CONNECT, and every bad input the proxy must refuse) to the proxy of the
 * checkout at `root` over real sockets and prints, per case, the exact bytes answered (Date and
 * generated request ids masked), whether the connection closed, what the backend received, and the
 * access-log entries. Run it against two checkouts and diff the outputs to prove a codec change
 * keeps every reply:
 *
 *   node --import tsx bench/proxy/codec-parity.ts /tmp/mp-base > /tmp/base.txt
 *   node --import tsx bench/proxy/codec-parity.ts . > /tmp/head.txt && diff /tmp/base.txt /tmp/head.txt
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

type Harness = typeof import('../../test/proxy/_harness.js');

const ADDR = '127.0.9.77';

interface Case { readonly name: string; readonly chunks: readonly (string | Buffer)[]; readonly gapMs?: number; readonly ms?: number; readonly endAfterSend?: boolean; readonly destroyAfterMs?: number }

const H = 'Host: ok.test\r\n';
const CASES: Case[] = [
  { name: 'GET keep-alive', chunks: [`GET /a?q=1 HTTP/1.1\r\n${H}User-Agent: t\r\n\r\n`], ms: 400 },
  { name: 'two pipelined GETs', chunks: [`GET /one HTTP/1.1\r\n${H}\r\nGET /two HTTP/1.1\r\n${H}\r\n`], ms: 400 },
  { name: 'pipelined GET then close', chunks: [`GET /one HTTP/1.1\r\n${H}\r\nGET /two HTTP/1.1\r\n${H}Connection: close\r\n\r\n`] },
  { name: 'GET, connection: close', chunks: [`GET /c HTTP/1.1\r\n${H}Connection: close\r\n\r\n`] },
  { name: 'HEAD', chunks: [`HEAD /h HTTP/1.1\r\n${H}\r\n`], ms: 400 },
  { name: 'POST content-length', chunks: [`POST /p HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello`], ms: 400 },
  { name: 'POST content-length in pieces', chunks: [`POST /p HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\nhello`, 'world'], gapMs: 50, ms: 500 },
  { name: 'POST chunked', chunks: [`POST /p HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`], ms: 400 },
  { name: 'POST chunked with trailers', chunks: [`POST /p HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n`], ms: 400 },
  { name: 'POST chunked bad size', chunks: [`POST /p HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`] },
  { name: 'GET with body', chunks: [`GET /gb HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabc`], ms: 400 },
  { name: 'Expect 100-continue', chunks: [`POST /e HTTP/1.1\r\n${H}Content-Length: 3\r\nExpect: 100-continue\r\n\r\n`, 'abc'], gapMs: 100, ms: 500 },
  { name: 'Expect other', chunks: [`POST /e HTTP/1.1\r\n${H}Content-Length: 3\r\nExpect: something\r\n\r\nabc`], ms: 400 },
  { name: 'Upgrade websocket', chunks: [`GET /ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`], ms: 500 },
  { name: 'Upgrade h2c', chunks: [`GET /u HTTP/1.1\r\n${H}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n`], ms: 500 },
  { name: 'CONNECT', chunks: ['CONNECT ok.test:443 HTTP/1.1\r\nHost: ok.test:443\r\n\r\n'], ms: 500 },
  { name: 'OPTIONS *', chunks: [`OPTIONS * HTTP/1.1\r\n${H}\r\n`], ms: 400 },
  { name: 'malformed request line', chunks: [`GET /a b c HTTP/9\r\n${H}\r\n`] },
  { name: 'lower-case method', chunks: [`get / HTTP/1.1\r\n${H}\r\n`] },
  { name: 'unknown method', chunks: [`FOO / HTTP/1.1\r\n${H}\r\n`] },
  { name: 'CL and TE', chunks: [`POST / HTTP/1.1\r\n${H}Content-Length: 30\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`] },
  { name: 'two different CL', chunks: [`POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`] },
  { name: 'two equal CL', chunks: [`POST /eq HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`], ms: 400 },
  { name: 'CL with sign', chunks: [`POST / HTTP/1.1\r\n${H}Content-Length: +3\r\n\r\nabc`] },
  { name: 'headers over 60 KiB', chunks: [`GET / HTTP/1.1\r\n${H}X-Big: ${'x'.repeat(61 * 1024)}\r\n\r\n`] },
  { name: 'CR in header value', chunks: [`GET / HTTP/1.1\r\n${H}X-Evil: a\rInjected: b\r\n\r\n`] },
  { name: 'LF in header value', chunks: [`GET / HTTP/1.1\r\n${H}X-Evil: a\nInjected: b\r\n\r\n`] },
  { name: 'bare LF line endings', chunks: [`GET /lf HTTP/1.1\n${H.replace('\r\n', '\n')}\n`] },
  { name: 'NUL in header value', chunks: [`GET / HTTP/1.1\r\n${H}X-Evil: a\0b\r\n\r\n`] },
  { name: 'DEL in header value', chunks: [`GET /del HTTP/1.1\r\n${H}X-Del: a\x7fb\r\n\r\n`], ms: 400 },
  { name: 'obs-fold', chunks: [`GET / HTTP/1.1\r\n${H}X-Fold: a\r\n b\r\n\r\n`] },
  { name: 'space before colon', chunks: [`GET / HTTP/1.1\r\n${H}X-Sp : a\r\n\r\n`] },
  { name: 'bad header name', chunks: [`GET / HTTP/1.1\r\n${H}X(Bad): a\r\n\r\n`] },
  { name: 'high byte in path', chunks: [Buffer.from(`GET /\xff HTTP/1.1\r\n${H}\r\n`, 'latin1')] },
  { name: 'header value padding', chunks: [`GET /pad HTTP/1.1\r\n${H}X-Pad:   v  \r\nX-Dup: 1\r\nX-Dup: 2\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n`], ms: 400 },
  { name: 'TE gzip', chunks: [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`] },
  { name: 'TE identity', chunks: [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: identity\r\n\r\n`] },
  { name: 'fragment', chunks: [`GET /a#frag HTTP/1.1\r\n${H}\r\n`] },
  { name: 'absolute-form', chunks: ['GET http://ok.test/abs?x=1 HTTP/1.1\r\nHost: other.test\r\n\r\n'], ms: 400 },
  { name: 'absolute-form bad scheme', chunks: ['GET ftp://ok.test/abs HTTP/1.1\r\nHost: ok.test\r\n\r\n'] },
  { name: 'HTTP/1.0', chunks: [`GET / HTTP/1.0\r\n${H}\r\n`] },
  { name: 'HTTP/0.9-ish', chunks: ['GET /\r\n\r\n'] },
  { name: 'missing host', chunks: ['GET /nohost HTTP/1.1\r\n\r\n'] },
  { name: 'two hosts', chunks: [`GET / HTTP/1.1\r\n${H}Host: other.test\r\n\r\n`] },
  { name: 'too many headers', chunks: [`GET / HTTP/1.1\r\n${H}${Array.from({ length: 101 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`] },
  { name: 'x-request-id given', chunks: [`GET /rid HTTP/1.1\r\n${H}X-Request-Id: given-1\r\n\r\n`], ms: 400 },
  { name: 'path normalization', chunks: [`GET /a/../b/./c HTTP/1.1\r\n${H}\r\n`], ms: 400 },
  { name: 'path with NUL escape', chunks: [`GET /a%00b HTTP/1.1\r\n${H}\r\n`] },
  { name: 'no route', chunks: ['GET / HTTP/1.1\r\nHost: unknown.test\r\n\r\n'], ms: 400 },
  { name: 'upstream chunked response', chunks: [`GET /chunked HTTP/1.1\r\n${H}\r\n`], ms: 400 },
  { name: 'upstream connection close', chunks: [`GET /close HTTP/1.1\r\n${H}\r\n`], ms: 400 },
  { name: 'upstream 204', chunks: [`GET /204 HTTP/1.1\r\n${H}\r\n`], ms: 400 },
  { name: 'client half-close after request', chunks: [`GET /half HTTP/1.1\r\n${H}\r\n`], endAfterSend: true, ms: 600 },
  { name: 'client gone mid-body', chunks: [`POST /upload HTTP/1.1\r\n${H}Content-Length: 1000\r\n\r\n`, 'only-ten-b'], destroyAfterMs: 50, ms: 300 },
  { name: 'slowloris', chunks: ['GET / HTTP/1.1\r\n', H, 'X-A: 1\r\n', 'X-B: 2\r\n', 'X-C: 3\r\n', 'X-D: 4\r\n'], gapMs: 150, ms: 2000 },
  { name: 'garbage then close', chunks: ['\r\n\r\nxyz'], ms: 500 },
  { name: 'silent connection', chunks: [], ms: 1000 },
  { name: 'idle after a response', chunks: [`GET /idle HTTP/1.1\r\n${H}\r\n`], ms: 1000 },
  { name: 'leading empty lines', chunks: [`\r\nGET /lead HTTP/1.1\r\n${H}\r\n`], ms: 400 },
];

function mask(s: string): string {
  return s.replace(/^(date): .*$/gim, '$1: <masked>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/x-envoy-upstream-service-time: \d+/gi, 'x-envoy-upstream-service-time: <ms>')
    .replace(/"x-envoy-expected-rq-timeout-ms":"\d+"/g, '"x-envoy-expected-rq-timeout-ms":"<ms>"');
}

function send(port: number, c: Case): Promise<{ text: string; closed: boolean }> {
  return new Promise((done) => {
    const s = net.connect({ host: ADDR, port });
    let text = '';
    let closed = false;
    const timer = setTimeout(() => { s.destroy(); done({ text, closed }); }, c.ms ?? 1500);
    s.on('data', (d) => { text += d.toString('latin1'); });
    s.on('error', () => {});
    s.on('close', () => { closed = true; clearTimeout(timer); done({ text, closed }); });
    s.on('connect', async () => {
      for (const chunk of c.chunks) {
        if (s.destroyed) return;
        s.write(chunk);
        if (c.gapMs) await new Promise((r) => setTimeout(r, c.gapMs));
      }
      if (c.endAfterSend) s.end();
      if (c.destroyAfterMs !== undefined) setTimeout(() => s.destroy(), c.destroyAfterMs);
    });
  });
}

async function main(): Promise<void> {
  const root = resolve(process.argv[2] ?? '.');
  const h = await import(pathToFileURL(join(root, 'test/proxy/_harness.ts')).href) as Harness;
  const received: string[] = [];
  const backend = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const hs = req.rawHeaders.map((x, i) => (i % 2 === 0 ? x.toLowerCase() : x)).join('|');
      received.push(mask(`${req.method} ${req.url} ${hs} body=${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
      if (req.url === '/chunked') { res.writeHead(200, { 'x-b': '1' }); res.write('part1;'); setTimeout(() => res.end('part2'), 10); return; }
      if (req.url === '/close') { res.writeHead(200, { connection: 'close', 'content-length': '2' }); res.end('ok'); return; }
      if (req.url === '/204') { res.writeHead(204); res.end(); return; }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '4' });
      res.end('body');
    });
  });
  const bport = await new Promise<number>((r) => backend.listen(0, '127.0.0.1', () => r((backend.address() as net.AddressInfo).port)));
  const xds = await h.startXds({
    clusters: [h.edsCluster('echo', { connectTimeoutMs: 500 })],
    endpoints: [h.assignment('echo', [{ port: bport }])],
    listeners: [h.httpListener('parity', ADDR, 'rt', { requestHeadersTimeout: { seconds: 0n, nanos: 400_000_000 } })],
    routes: [h.routeConfig('rt', [{ name: 'vh', domains: ['ok.test', 'ok.test:80', 'ok.test:443'], routes: [
      { match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'echo' } } } },
    ] }])],
  });
  const proxy = await h.startTestProxy(xds.port);
  try {
    await proxy.waitReady();
    const port = proxy.listenerAddress('parity')!.port;
    for (const c of CASES) {
      const before = proxy.log.length;
      const rcv = received.length;
      const r = await send(port, c);
      await new Promise((x) => setTimeout(x, 30));
      proxy.accessLog!.flush();
      const logs = proxy.log.slice(before).map((e) => `${e.method} ${e.path} ${e.protocol} ${e.status} ${e.flags.join(',') || '-'} rx=${e.bytesReceived} tx=${e.bytesSent} ${e.requestId ? mask(e.requestId) : '-'} ${e.authority ?? '-'} ${e.details ?? '-'}`);
      console.log(`=== ${c.name}\n--- reply (closed: ${r.closed})\n${mask(r.text).replace(/\r\n/g, '\\r\\n\n')}\n--- upstream\n${received.slice(rcv).join('\n')}\n--- log\n${logs.join('\n')}`);
    }
  } finally {
    await proxy.close();
    await xds.close();
    backend.closeAllConnections();
    backend.close();
  }
}

main().catch((e: unknown) => { console.error((e as Error).stack ?? String(e)); process.exitCode = 1; });
