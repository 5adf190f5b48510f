/**
 * The proxy admin's `/access_log` (what `verify --runtime` reads for response flags and RBAC
 * placement): the latest entries as JSON, narrowed by `request_id`, 404 when the access log is off.
 */
import { request } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AccessLogEntry } from '../../src/proxy/access-log.js';
import { type AdminSource, adminHandler, startAdminServer } from '../../src/proxy/admin/admin-server.js';

const entry = (requestId: string, flags: string[]): AccessLogEntry => ({
  startMs: 0, method: 'GET', path: '/', protocol: 'HTTP/1.1', status: 503, flags, bytesReceived: 0, bytesSent: 0, durationMs: 1,
  upstreamServiceTimeMs: undefined, xForwardedFor: undefined, userAgent: undefined, requestId, authority: 'reviews:9080',
  upstreamHost: '10.0.0.7:9080', upstreamCluster: 'outbound|9080|v1|reviews.bookinfo.svc.cluster.local', details: undefined,
});

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function withAdmin(src: Partial<AdminSource>, f: (port: number) => Promise<void>): Promise<void> {
  const { server, port } = await startAdminServer(adminHandler(src as AdminSource), '127.0.0.1', 0);
  try {
    await f(port);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

test('GIVEN a proxy with an access log WHEN /access_log is read THEN the entries come as JSON, narrowed by request_id', async () => {
  const entries = [entry('a', ['UO']), entry('b', []), entry('c', ['FI'])];
  await withAdmin({ recentAccessLog: () => entries }, async (port) => {
    const all = await get(port, '/access_log');
    assert.is(all.status, 200);
    assert.equal((JSON.parse(all.body) as { entries: AccessLogEntry[] }).entries.map((e) => e.requestId), ['a', 'b', 'c']);
    const some = JSON.parse((await get(port, '/access_log?request_id=c,a')).body) as { entries: AccessLogEntry[] };
    assert.equal(some.entries.map((e) => [e.requestId, e.flags]), [['a', ['UO']], ['c', ['FI']]]);
  });
});

test('GIVEN a proxy without an access log WHEN /access_log is read THEN 404 says how to turn it on', async () => {
  await withAdmin({}, async (port) => {
    const r = await get(port, '/access_log');
    assert.is(r.status, 404);
    assert.match(r.body, /the access log is off \(--access-log off\)/);
  });
});

test.run();
