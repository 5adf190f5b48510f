/**
 * The generated x-request-id (src/proxy/http/request-id.ts): version-4 UUIDs in the form
 * `crypto.randomUUID()` gives, never repeated across refills of the random pool, every hex digit in
 * use; and over a real socket, the id the upstream receives is the one the access log prints.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateRequestId } from '../../src/proxy/http/request-id.js';
import { assignment, edsCluster, get, httpListener, routeConfig, startTestProxy, startXds, until } from './_harness.js';

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('GIVEN 5,000 generated ids (about 20 refills of the random pool) WHEN checked THEN each is a version-4 UUID, none repeats, and each random position takes many values', () => {
  const ids = Array.from({ length: 5000 }, () => generateRequestId());
  for (const id of ids) assert.match(id, UUID4);
  assert.is(new Set(ids).size, ids.length);
  // Position 0 (random), 14 (the version: always 4) and 19 (variant: 8, 9, a or b).
  const at = (i: number) => new Set(ids.map((id) => id[i]));
  assert.is(at(0).size, 16);
  assert.is(at(35).size, 16);
  assert.equal([...at(14)], ['4']);
  assert.equal([...at(19)].sort(), ['8', '9', 'a', 'b']);
});

test('GIVEN a request without x-request-id WHEN forwarded over real sockets THEN the upstream gets a generated UUID and the access log shows the same one', async () => {
  const seen: string[] = [];
  const backend = http.createServer((req, res) => { seen.push(String(req.headers['x-request-id'])); res.end('ok'); });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const route = { match: { pathSpecifier: { case: 'prefix' as const, value: '/' } }, action: { case: 'route' as const, value: { clusterSpecifier: { case: 'cluster' as const, value: 'b' } } } };
  const xds = await startXds({
    clusters: [edsCluster('b')], endpoints: [assignment('b', [{ port: (backend.address() as AddressInfo).port }])],
    listeners: [httpListener('l', '127.0.9.83', 'rt')],
    routes: [routeConfig('rt', [{ name: 'vh', domains: ['*'], routes: [route] }])],
  });
  const proxy = await startTestProxy(xds.port);
  try {
    await proxy.waitReady();
    const port = proxy.listenerAddress('l')!.port;
    const r1 = await get(port, '/a', { host: 'x' }, 'GET', undefined, '127.0.9.83');
    const r2 = await get(port, '/b', { host: 'x' }, 'GET', undefined, '127.0.9.83');
    assert.is(r1.status, 200);
    assert.is(r2.status, 200);
    assert.is(seen.length, 2);
    for (const id of seen) assert.match(id, UUID4);
    assert.is.not(seen[0], seen[1]);
    await until(() => proxy.log.length >= 2, 2000, 'two access-log entries');
    assert.equal(proxy.log.map((e) => e.requestId), seen);
  } finally {
    await proxy.close();
    await xds.close();
    backend.closeAllConnections();
    backend.close();
  }
});

test.run();
