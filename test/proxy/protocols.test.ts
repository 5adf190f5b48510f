/**
 * Protocol crossings over real sockets: HTTP/2 (h2c prior knowledge) clients to HTTP/1.1 upstreams,
 * HTTP/1.1 clients to HTTP/2 upstreams, request bodies both ways, and the HCM's host-port stripping.
 */
import * as http2 from 'node:http2';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assignment, edsCluster, get, httpListener, routeConfig, startEcho, startTestProxy, startXds } from './_harness.js';

const ADDR = '127.0.9.8';

function h2request(port: number, path: string, method = 'GET', body?: string): Promise<{ status: number; body: string; headers: http2.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(`http://${ADDR}:${port}`);
    s.on('error', reject);
    const r = s.request({ ':path': path, ':method': method, ':authority': 'a.test' }, { endStream: body === undefined });
    let out = '';
    let headers: http2.IncomingHttpHeaders = {};
    r.on('response', (h) => { headers = h; });
    r.on('data', (c: Buffer) => { out += c.toString(); });
    r.on('end', () => { s.close(); resolve({ status: Number(headers[':status']), body: out, headers }); });
    r.on('error', reject);
    if (body !== undefined) r.end(body);
  });
}

test('GIVEN HTTP/1.1 and HTTP/2 upstreams WHEN HTTP/2 and HTTP/1.1 clients cross over THEN requests, bodies and authority arrive intact', async () => {
  const h1 = await startEcho('h1');
  const h2 = await startEcho('h2', { h2: true });
  const xds = await startXds({
    clusters: [edsCluster('h1'), edsCluster('h2', { http2: true })],
    endpoints: [assignment('h1', [{ port: h1.port }]), assignment('h2', [{ port: h2.port }])],
    listeners: [httpListener('l', ADDR, 'r'), httpListener('strip', ADDR, 'r2', { stripPortMode: { case: 'stripAnyHostPort', value: true } })],
    routes: [
      routeConfig('r', [{ name: 'a', domains: ['a.test'], routes: [
        { match: { pathSpecifier: { case: 'prefix', value: '/to-h2' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'h2' } } } },
        { match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'h1' } } } },
      ] }]),
      routeConfig('r2', [{ name: 'a', domains: ['a.test'], routes: [{ match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'h1' } } } }] }]),
    ],
  });
  const proxy = await startTestProxy(xds.port);
  try {
    await proxy.waitReady();
    const { port } = proxy.listenerAddress('l')!;
    const a = await h2request(port, '/page?x=1');
    assert.is(a.status, 200);
    const ab = JSON.parse(a.body) as { name: string; url: string; headers: Record<string, string> };
    assert.equal([ab.name, ab.url, ab.headers.host], ['h1', '/page?x=1', 'a.test']);
    const post = JSON.parse((await h2request(port, '/upload', 'POST', 'hello over h2')).body) as { body: string; method: string };
    assert.equal([post.method, post.body], ['POST', 'hello over h2']);
    const b = await get(port, '/to-h2/x', { host: 'a.test', 'content-type': 'text/plain' }, 'POST', 'hello over h1', ADDR);
    assert.is(b.status, 200);
    const bb = JSON.parse(b.body) as { name: string; url: string; body: string; headers: Record<string, string> };
    assert.equal([bb.name, bb.url, bb.body, bb.headers[':authority']], ['h2', '/to-h2/x', 'hello over h1', 'a.test']);
    // Without stripping, a.test:1234 is not a.test; with strip_any_host_port it is.
    assert.is((await get(port, '/', { host: 'a.test:1234' }, 'GET', undefined, ADDR)).status, 404);
    const strip = proxy.listenerAddress('strip')!;
    assert.is((await get(strip.port, '/', { host: 'a.test:1234' }, 'GET', undefined, ADDR)).status, 200);
  } finally {
    await proxy.close();
    await xds.close();
    await h1.close();
    await h2.close();
  }
});

test.run();
