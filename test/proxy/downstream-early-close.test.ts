/**
 * A client that closes while its pipelined request waits behind another is noticed (Envoy keeps
 * watching for the peer's close while reading is disabled, `detect_early_close`): the request in
 * flight is reset and logged DC, the downstream counters go back down and the upstream connection
 * is released. Real sockets: a raw `net` backend that misbehaves per path, a raw client.
 */
import * as net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AccessLogEntry } from '../../src/proxy/access-log.js';
import type { ProxyHandle } from '../../src/proxy/main.js';
import { assignment, edsCluster, httpListener, routeConfig, startRawBackend, startTestProxy, startXds, until } from './_harness.js';

const ADDR = '127.0.9.91';
let proxy: ProxyHandle & { log: AccessLogEntry[] };
let port = 0;
/** Upstream sockets the backend holds open (the proxy's pooled connections). */
let upstream: ReadonlySet<net.Socket> = new Set();
const cleanup: (() => Promise<void> | void)[] = [];

test.before(async () => {
  const backend = await startRawBackend((line, s) => {
    if (line.startsWith('GET /shortkeep ')) s.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc');
    else if (line.startsWith('GET /late ')) setTimeout(() => { if (!s.destroyed) s.write('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nlate'); }, 1200);
    else s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  cleanup.push(() => backend.close());
  upstream = backend.sockets;
  const bport = backend.port;
  const xds = await startXds({
    clusters: [edsCluster('b')], endpoints: [assignment('b', [{ port: bport }])],
    listeners: [httpListener('early', ADDR, 'rt')],
    routes: [routeConfig('rt', [{ name: 'vh', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'prefix' as const, value: '/' } }, action: { case: 'route' as const, value: { clusterSpecifier: { case: 'cluster' as const, value: 'b' } } } }] }])],
  });
  cleanup.push(() => xds.close());
  proxy = await startTestProxy(xds.port);
  cleanup.push(() => proxy.close());
  await proxy.waitReady();
  port = proxy.listenerAddress('early')!.port;
});

test.after(async () => {
  for (const c of cleanup.reverse()) await c();
});

function active(): { rq: number; cx: number } {
  let rq = 0;
  for (const h of proxy.stats.http.values()) rq += h.downstream_rq_active;
  let cx = 0;
  for (const l of proxy.stats.listeners.values()) cx += l.downstream_cx_active;
  return { rq, cx };
}

async function connect(): Promise<{ s: net.Socket; text: () => string }> {
  const s = net.connect({ host: ADDR, port });
  let got = '';
  s.on('data', (d: Buffer) => { got += d.toString('latin1'); });
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  cleanup.push(() => { s.destroy(); });
  return { s, text: () => got };
}

const entry = (path: string) => proxy.log.find((e) => e.path === path);

test('GIVEN a response stalled mid-body and a pipelined request behind it WHEN the client closes THEN the request is logged DC, the counters go back to 0 and the upstream connection is released', async () => {
  const c = await connect();
  c.s.write('GET /shortkeep HTTP/1.1\r\nHost: be\r\n\r\n');
  await until(() => c.text().endsWith('abc'), 3000, 'the first 3 body bytes');
  c.s.write('GET /ok HTTP/1.1\r\nHost: be\r\n\r\n');
  await new Promise((r) => setTimeout(r, 100));
  assert.is(upstream.size, 1, 'one upstream connection held by the stalled response');
  c.s.end();
  await until(() => entry('/shortkeep') !== undefined, 3000, 'the access-log line of /shortkeep');
  const e = entry('/shortkeep')!;
  assert.is(e.status, 200);
  assert.ok(e.flags.includes('DC'), `flags ${e.flags.join(',')}`);
  assert.is(entry('/ok'), undefined, 'the pipelined request never started: no line');
  await until(() => active().rq === 0 && active().cx === 0, 3000, `counters back to 0 (now ${JSON.stringify(active())})`);
  await until(() => upstream.size === 0, 3000, 'the upstream connection closed');
});

test('GIVEN an upstream answering late and a pipelined request WHEN the client leaves before the answer THEN DC is logged at once (not a 200 sent to nobody)', async () => {
  const c = await connect();
  c.s.write('GET /late HTTP/1.1\r\nHost: be\r\n\r\nGET /ok HTTP/1.1\r\nHost: be\r\n\r\n');
  await until(() => upstream.size === 1, 3000, 'the upstream request');
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  c.s.destroy();
  await until(() => entry('/late') !== undefined, 3000, 'the access-log line of /late');
  assert.ok(Date.now() - t0 < 1000, 'logged when the client left, not when the upstream answered');
  const e = entry('/late')!;
  assert.ok(e.flags.includes('DC'), `flags ${e.flags.join(',')}`);
  assert.is(e.bytesSent, 0);
  await until(() => active().rq === 0 && active().cx === 0, 3000, `counters back to 0 (now ${JSON.stringify(active())})`);
});

test.run();
