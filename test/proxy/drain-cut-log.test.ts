/**
 * A response still streaming when the drain timeout passes is cut, and its request is logged (Envoy
 * logs the streams it resets when it closes the connection at the end of a drain). Real sockets:
 * an endless chunked backend, a raw client, the proxy drained in process.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assignment, edsCluster, httpListener, routeConfig, startEcho, startTestProxy, startXds, until } from './_harness.js';

const ADDR = '127.0.9.95';

test('GIVEN an endless chunked response in flight WHEN the drain timeout passes THEN the stream is cut and its request is in the access log', async () => {
  const timers = new Set<NodeJS.Timeout>();
  const stream = await startEcho('stream', {
    handler: (_req, res) => {
      const r = res as http.ServerResponse;
      r.writeHead(200, { 'content-type': 'text/plain' });
      const t = setInterval(() => { if (!r.destroyed) r.write('tick\n'); }, 20);
      timers.add(t);
      r.on('close', () => { clearInterval(t); timers.delete(t); });
      return true;
    },
  });
  const xds = await startXds({
    clusters: [edsCluster('stream')], endpoints: [assignment('stream', [{ port: stream.port }])],
    listeners: [httpListener('l', ADDR, 'r')],
    routes: [routeConfig('r', [{ name: 'v', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'stream' } } } }] }])],
  });
  const proxy = await startTestProxy(xds.port, { drainTimeoutMs: 300 });
  let c: net.Socket | undefined;
  try {
    await proxy.waitReady();
    const port = proxy.listenerAddress('l')!.port;
    c = net.connect({ host: ADDR, port });
    let got = '';
    let closed = false;
    c.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    c.on('error', () => {});
    c.on('close', () => { closed = true; });
    await new Promise((r) => c!.once('connect', r));
    c.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => got.includes('tick'), 3000, 'the stream to start');
    const t0 = Date.now();
    await proxy.drain();
    assert.ok(Date.now() - t0 >= 250, 'the drain waited for its timeout');
    await until(() => closed, 2000, 'the client connection closed');
    assert.not.match(got, /\r\n0\r\n\r\n$/, 'the stream was cut, not ended');
    const e = proxy.log.find((x) => x.path === '/stream');
    assert.ok(e, `an access-log line for /stream (log: ${JSON.stringify(proxy.log.map((x) => x.path))})`);
    assert.is(e!.status, 200);
    assert.ok(e!.bytesSent > 0);
  } finally {
    c?.destroy();
    for (const t of timers) clearInterval(t);
    await proxy.close();
    await stream.close();
    await xds.close();
  }
});

test.run();
