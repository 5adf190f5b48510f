/**
 * Defects a fresh user found (issue #9), over raw sockets against a proxy configured by ADS: each
 * request is answered as Envoy's HTTP/1.1 codec and HCM answer it (status, closed connection,
 * access-log line), and nothing malformed reaches the upstream.
 */
import * as net from 'node:net';
import { create } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { HTTPFaultSchema } from '../../src/xds/gen/envoy/extensions/filters/http/fault/v3/fault_pb.js';
import { RouterSchema } from '../../src/xds/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ProxyHandle } from '../../src/proxy/main.js';
import type { AccessLogEntry } from '../../src/proxy/access-log.js';
import { type Echo, assignment, edsCluster, get, httpListener, routeConfig, startEcho, startTestProxy, startXds, until } from './_harness.js';

const ADDR = '127.0.11.1';
let proxy: ProxyHandle & { log: AccessLogEntry[] };
let port = 0;
let port10 = 0;
let echo: Echo;
const cleanup: (() => Promise<void> | void)[] = [];

/** Sends `data`, resolves with everything received until the proxy closes (or `ms`). */
function raw(data: string, opts: { ms?: number; to?: number } = {}): Promise<{ text: string; closed: boolean; ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect({ host: ADDR, port: opts.to ?? port });
    let text = '';
    let closed = false;
    const timer = setTimeout(() => { s.destroy(); resolve({ text, closed, ms: Date.now() - t0 }); }, opts.ms ?? 3000);
    s.on('data', (d) => { text += d.toString('latin1'); });
    s.on('error', () => {});
    s.on('close', () => { closed = true; clearTimeout(timer); resolve({ text, closed, ms: Date.now() - t0 }); });
    s.on('connect', () => s.write(data));
  });
}

async function lastLog(pred: (e: AccessLogEntry) => boolean): Promise<AccessLogEntry> {
  await until(() => { proxy.accessLog!.flush(); return proxy.log.some(pred); }, 3000, 'access log entry');
  return proxy.log.filter(pred).at(-1)!;
}

const route = (prefix: string, extra: Record<string, unknown> = {}) => ({
  match: { pathSpecifier: { case: 'prefix' as const, value: prefix } },
  action: { case: 'route' as const, value: { clusterSpecifier: { case: 'cluster' as const, value: 'echo' } } },
  ...extra,
});

test.before(async () => {
  echo = await startEcho('echo');
  const abort = create(HTTPFaultSchema, { abort: { errorType: { case: 'httpStatus', value: 503 }, percentage: { numerator: 100 } } });
  const httpFilters = [
    { name: 'envoy.filters.http.fault', configType: { case: 'typedConfig' as const, value: anyPack(HTTPFaultSchema, create(HTTPFaultSchema)) } },
    { name: 'envoy.filters.http.router', configType: { case: 'typedConfig' as const, value: anyPack(RouterSchema, create(RouterSchema)) } },
  ];
  const xds = await startXds({
    clusters: [edsCluster('echo', { connectTimeoutMs: 500 })],
    endpoints: [assignment('echo', [{ port: echo.port }])],
    listeners: [
      httpListener('parity', ADDR, 'rt', { httpFilters, requestHeadersTimeout: { seconds: 0n, nanos: 400_000_000 } }),
      httpListener('http10', ADDR, 'rt', { httpProtocolOptions: { acceptHttp10: true, defaultHostForHttp10: 'echo' } }),
    ],
    routes: [routeConfig('rt', [
      { name: 'echo', domains: ['echo'], routes: [
        route('/fault', { typedPerFilterConfig: { 'envoy.filters.http.fault': anyPack(HTTPFaultSchema, abort) } }),
        route('/'),
      ] },
    ])],
  });
  cleanup.push(() => xds.close());
  proxy = await startTestProxy(xds.port);
  cleanup.push(() => proxy.close());
  await proxy.waitReady();
  port = proxy.listenerAddress('parity')!.port;
  port10 = proxy.listenerAddress('http10')!.port;
});

test.after(async () => {
  for (const c of cleanup.reverse()) await c();
  await echo.close();
});

test('GIVEN a listener without listener_filters WHEN a request line ends in a bare LF THEN 400 at once, connection closed, logged DPE', async () => {
  const r = await raw('GET /hello HTTP/1.1\nHost: echo\n\n');
  assert.match(r.text, /^HTTP\/1\.1 400 /);
  assert.ok(r.closed);
  assert.ok(r.ms < 2000, `answered after ${r.ms} ms`);
  const e = await lastLog((x) => x.status === 400 && x.flags.includes('DPE'));
  assert.match(e.details ?? '', /^http1\.codec_error/);
  assert.not.ok(echo.received.some((x) => x.url === '/hello'));
});

test('GIVEN a listener without listener_filters WHEN the request line never completes THEN 408 after request_headers_timeout, logged DPE', async () => {
  const before = proxy.log.length;
  const r = await raw('GET / HT', { ms: 4000 });
  assert.match(r.text, /^HTTP\/1\.1 408 /);
  assert.ok(r.closed);
  assert.ok(r.ms >= 300 && r.ms < 3000, `answered after ${r.ms} ms`);
  proxy.accessLog!.flush();
  assert.ok(proxy.log.slice(before).some((x) => x.status === 408 && x.flags.includes('DPE')));
});

test('GIVEN Transfer-Encoding gzip, chunked WHEN sent THEN 501, connection closed, nothing forwarded', async () => {
  const n = echo.received.length;
  const r = await raw('POST /te HTTP/1.1\r\nHost: echo\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
  assert.match(r.text, /^HTTP\/1\.1 501 /);
  assert.ok(r.closed);
  assert.is(echo.received.length, n);
  const e = await lastLog((x) => x.status === 501);
  assert.is(e.details, 'http1.invalid_transfer_encoding');
  assert.ok(e.flags.includes('DPE'));
});

test('GIVEN a plain Transfer-Encoding: chunked WHEN sent THEN forwarded with its body (the 501 is only for other codings)', async () => {
  const r = await raw('POST /chunked HTTP/1.1\r\nHost: echo\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
  assert.match(r.text, /^HTTP\/1\.1 200 /);
  assert.is(echo.received.find((x) => x.url === '/chunked')?.body, 'hello');
});

test('GIVEN a fragment in the path WHEN sent THEN 400, not forwarded', async () => {
  const r = await raw('GET /hello#frag HTTP/1.1\r\nHost: echo\r\n\r\n');
  assert.match(r.text, /^HTTP\/1\.1 400 /);
  assert.not.ok(echo.received.some((x) => x.url.includes('#')));
  const e = await lastLog((x) => x.path === '/hello#frag');
  assert.is(e.status, 400);
  assert.is(e.details, 'path_normalization_failed');
});

test('GIVEN an absolute-form request target WHEN Host names another authority THEN routed on the URI authority and path', async () => {
  const r = await raw('GET http://echo/abs?q=1 HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n');
  assert.match(r.text, /^HTTP\/1\.1 200 /);
  const got = echo.received.find((x) => x.url === '/abs?q=1');
  assert.ok(got, `upstream saw ${JSON.stringify(echo.received.map((x) => x.url))}`);
  assert.is(got!.headers.host, 'echo');
  // Userinfo is not part of the authority (nor logged as one).
  await raw('GET http://user:pw@echo/userinfo HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n');
  assert.is(echo.received.find((x) => x.url === '/userinfo')?.headers.host, 'echo');
  assert.is((await lastLog((x) => x.path === '/userinfo')).authority, 'echo');
  const bad = await raw('GET http://[bad/x HTTP/1.1\r\nHost: echo\r\n\r\n');
  assert.match(bad.text, /^HTTP\/1\.1 400 /);
});

test('GIVEN HTTP/1.0 WHEN accept_http_10 is unset THEN 426 Upgrade Required, with or without Host', async () => {
  for (const req of ['GET /old HTTP/1.0\r\n\r\n', 'GET /old HTTP/1.0\r\nHost: echo\r\n\r\n']) {
    const r = await raw(req);
    assert.match(r.text, /^HTTP\/1\.1 426 /);
    // The codec's reply carries the status reason as its body (sendProtocolError).
    assert.match(r.text, /\r\n\r\nUpgrade Required$/);
    assert.ok(r.closed);
  }
  const e = await lastLog((x) => x.status === 426);
  assert.is(e.details, 'low_version');
  assert.not.ok(echo.received.some((x) => x.url === '/old'));
});

test('GIVEN accept_http_10 and default_host_for_http_10 WHEN HTTP/1.0 without Host THEN routed to the default host', async () => {
  const r = await raw('GET /old10 HTTP/1.0\r\n\r\n', { to: port10 });
  assert.match(r.text, /^HTTP\/1\.[01] 200 /);
  assert.is(echo.received.find((x) => x.url === '/old10')?.headers.host, 'echo');
});

test('GIVEN a fault-aborted request without x-request-id WHEN logged THEN the log carries a generated request id', async () => {
  const r = await get(port, '/fault', { host: 'echo' }, 'GET', undefined, ADDR);
  assert.is(r.status, 503);
  const e = await lastLog((x) => x.path === '/fault');
  assert.ok(e.flags.includes('FI'));
  assert.match(e.requestId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-/);
  // A client's own id is kept.
  await get(port, '/fault', { host: 'echo', 'x-request-id': 'mine-1' }, 'GET', undefined, ADDR);
  assert.is((await lastLog((x) => x.requestId === 'mine-1')).path, '/fault');
});

test('GIVEN /config_dump?resource=dynamic_active_clusters THEN only the clusters, one config per cluster; an unknown resource is 404', async () => {
  const admin = proxy.adminPort!;
  const r = await get(admin, '/config_dump?resource=dynamic_active_clusters');
  assert.is(r.status, 200);
  const configs = (JSON.parse(r.body) as { configs: { '@type': string; cluster?: { name: string } }[] }).configs;
  assert.is(configs.length, 1);
  assert.is(configs[0]!['@type'], 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump.DynamicCluster');
  assert.is(configs[0]!.cluster?.name, 'echo');
  const l = JSON.parse((await get(admin, '/config_dump?resource=dynamic_listeners')).body) as { configs: { '@type': string }[] };
  assert.is(l.configs.length, 2);
  assert.ok(l.configs.every((c) => c['@type'].endsWith('ListenersConfigDump.DynamicListener')));
  const bad = await get(admin, '/config_dump?resource=dynamic_clusters');
  assert.is(bad.status, 404);
  assert.match(bad.body, /dynamic_clusters not found in config dump.*dynamic_active_clusters/);
  const scalar = await get(admin, '/config_dump?resource=version_info');
  assert.is(scalar.status, 400);
});

test.run();
