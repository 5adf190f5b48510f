/**
 * Request header limits as Envoy's codec applies them, over raw sockets: two Host headers are a 400
 * (node:http would join them into "a, b"), more than `max_headers_count` (default 100, or the HCM's
 * `common_http_protocol_options.max_headers_count`) a 431; nothing reaches the upstream.
 */
import * as net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assignment, edsCluster, httpListener, routeConfig, startEcho, startTestProxy, startXds } from './_harness.js';

/** Sends `request` and resolves with the first response's status line and body start. */
function send(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let text = '';
    const timer = setTimeout(() => { s.destroy(); resolve(text); }, 3000);
    s.on('data', (d) => { text += d.toString('latin1'); if (/\r\n\r\n/.test(text)) { clearTimeout(timer); s.destroy(); resolve(text); } });
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); resolve(text); });
    s.on('connect', () => s.write(request));
  });
}

const H = 'Host: web\r\n';
const headers = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join('');

test('GIVEN the default max_headers_count and a listener with max_headers_count 10 WHEN requests carry two Hosts or too many headers THEN 400 / 431 and the upstream sees none of them', async () => {
  const echo = await startEcho('echo');
  const route = { match: { pathSpecifier: { case: 'prefix' as const, value: '/' } }, action: { case: 'route' as const, value: { clusterSpecifier: { case: 'cluster' as const, value: 'echo' } } } };
  const xds = await startXds({
    clusters: [edsCluster('echo')], endpoints: [assignment('echo', [{ port: echo.port }])], secrets: [],
    listeners: [httpListener('dflt', '127.0.0.1', 'r'), httpListener('ten', '127.0.0.1', 'r', { commonHttpProtocolOptions: { maxHeadersCount: 10 } })],
    routes: [routeConfig('r', [{ name: 'all', domains: ['*'], routes: [route] }])],
  });
  const proxy = await startTestProxy(xds.port);
  try {
    await proxy.waitReady(30_000);
    const dflt = proxy.listenerAddress('dflt')!.port;
    const ten = proxy.listenerAddress('ten')!.port;
    assert.match(await send(dflt, `GET /ok HTTP/1.1\r\n${H}${headers(98)}\r\n`), /^HTTP\/1\.1 200 /, '99 headers are within the default 100');
    assert.match(await send(dflt, `GET /two-hosts HTTP/1.1\r\n${H}Host: evil\r\n\r\n`), /^HTTP\/1\.1 400 /);
    assert.match(await send(dflt, `GET /many HTTP/1.1\r\n${H}${headers(1000)}\r\n`), /^HTTP\/1\.1 431 /);
    assert.match(await send(dflt, `GET /101 HTTP/1.1\r\n${H}${headers(100)}\r\n`), /^HTTP\/1\.1 431 /, '101 headers exceed 100');
    assert.match(await send(ten, `GET /ten HTTP/1.1\r\n${H}${headers(9)}\r\n`), /^HTTP\/1\.1 200 /);
    assert.match(await send(ten, `GET /eleven HTTP/1.1\r\n${H}${headers(10)}\r\n`), /^HTTP\/1\.1 431 /);
    assert.equal(echo.received.map((r) => r.url), ['/ok', '/ten'], 'only the accepted requests reached the upstream');
  } finally {
    await proxy.close();
    await xds.close();
    await echo.close();
  }
});

test.run();
