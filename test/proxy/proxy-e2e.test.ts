/**
 * The proxy end to end over real sockets: our ADS server → proxy → echo backends.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NODE, assignment, edsCluster, get, httpListener, routeConfig, startEcho, startTestProxy, startXds, until } from './_harness.js';

const ADDR = '127.0.9.1';

test('GIVEN a listener, a route to a cluster and two endpoints WHEN requests arrive THEN they reach both backends round robin with Envoy headers', async () => {
  const a = await startEcho('a');
  const b = await startEcho('b');
  const xds = await startXds({
    clusters: [edsCluster('svc')], endpoints: [assignment('svc', [{ port: a.port }, { port: b.port }])],
    listeners: [httpListener('l1', ADDR, 'r1')],
    routes: [routeConfig('r1', [{ name: 'vh', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'svc' } } } }] }])],
  });
  const proxy = await startTestProxy(xds.port);
  try {
    await proxy.waitReady();
    const { port } = proxy.listenerAddress('l1')!;
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await get(port, `/x?i=${i}`, { host: 'svc.local' }, 'GET', undefined, ADDR);
      assert.is(r.status, 200);
      const body = JSON.parse(r.body) as { name: string; url: string; headers: Record<string, string> };
      names.push(body.name);
      assert.is(body.url, `/x?i=${i}`);
      assert.is(body.headers.host, 'svc.local');
      assert.is(body.headers['x-forwarded-proto'], 'http');
      assert.match(body.headers['x-request-id']!, /^[0-9a-f-]{36}$/);
      assert.ok(r.headers['x-envoy-upstream-service-time'] !== undefined);
    }
    assert.equal(names.sort(), ['a', 'a', 'b', 'b']);
    await proxy.accessLog!.flush();
    await until(() => proxy.log.length >= 4, 2000, 'access log entries');
    assert.is(proxy.log[0]!.upstreamCluster, 'svc');
    assert.equal(proxy.log[0]!.flags, []);
    assert.ok(xds.ads.status !== undefined);
  } finally {
    await proxy.close();
    await xds.close();
    await a.close();
    await b.close();
  }
});

test('GIVEN a NODE id WHEN the proxy connects THEN the server sees ACKs for CDS, EDS, LDS and RDS', async () => {
  const a = await startEcho('a');
  const xds = await startXds({
    clusters: [edsCluster('svc')], endpoints: [assignment('svc', [{ port: a.port }])],
    listeners: [httpListener('l1', ADDR, 'r1')],
    routes: [routeConfig('r1', [{ name: 'vh', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'svc' } } } }] }])],
  });
  const proxy = await startTestProxy(xds.port);
  try {
    await proxy.waitReady();
    assert.equal([...proxy.store.versions.keys()].sort(), ['cluster', 'endpoint', 'listener', 'route']);
    assert.equal(proxy.ads.nacks, []);
    assert.is(NODE, 'test/proxy');
  } finally {
    await proxy.close();
    await xds.close();
    await a.close();
  }
});

test.run();
