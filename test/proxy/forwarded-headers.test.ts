/**
 * Headers the proxy sets rather than adds, as Envoy: `x-forwarded-proto` from the downstream
 * connection (a client's value is overwritten: no trusted hops, ConnectionManagerUtility), and
 * `x-envoy-upstream-service-time` on the response (an upstream proxy's own value is replaced, so a
 * client behind two proxies sees one), over real sockets.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assignment, edsCluster, get, httpListener, routeConfig, startEcho, startTestProxy, startXds } from './_harness.js';

const ADDR = '127.0.9.22';

test('GIVEN a client that sends x-forwarded-proto: https on plaintext, and an upstream that answers with its own x-envoy-upstream-service-time THEN the upstream sees http only and the client one service time, the proxy\'s', async () => {
  const echo = await startEcho('echo', {
    handler: (req, res) => {
      if (req.url !== '/timed') return false;
      (res as import('node:http').ServerResponse).writeHead(200, { 'x-envoy-upstream-service-time': '999', 'content-length': '2' });
      res.end('ok');
      return true;
    },
  });
  const xds = await startXds({
    clusters: [edsCluster('echo')], endpoints: [assignment('echo', [{ port: echo.port }])],
    listeners: [httpListener('0.0.0.0_80', ADDR, '80')],
    routes: [routeConfig('80', [{ name: 'echo', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'echo' } } } }] }])],
  });
  const proxy = await startTestProxy(xds.port);
  try {
    await proxy.waitReady();
    const { port } = proxy.listenerAddress('0.0.0.0_80')!;
    const r = await get(port, '/xfp', { host: 'echo', 'x-forwarded-proto': 'https' }, 'GET', undefined, ADDR);
    assert.is(r.status, 200);
    // node joins repeated headers with ", ": a kept client value would read "https, http".
    assert.is(echo.received.find((x) => x.url === '/xfp')?.headers['x-forwarded-proto'], 'http');
    const timed = await get(port, '/timed', { host: 'echo' }, 'GET', undefined, ADDR);
    assert.is(timed.status, 200);
    const t = timed.headers['x-envoy-upstream-service-time'];
    assert.type(t, 'string');
    assert.match(t as string, /^\d+$/, `one value, got ${String(t)}`);
    assert.is.not(t, '999');
  } finally {
    await proxy.close();
    await xds.close();
    await echo.close();
  }
});

test.run();
