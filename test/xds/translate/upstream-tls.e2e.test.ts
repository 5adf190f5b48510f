/**
 * DestinationRule client TLS and TCP timeouts over real sockets, as istiod translates them: the
 * client sidecar's config from our translator, served by our ADS server to the reference proxy.
 * - SIMPLE without `sni`: `auto_sni` (the SNI is the request's Host) and `auto_san_validation` (the
 *   server certificate must name that host), the CA file served as SDS `file-root:<path>`;
 * - SIMPLE without `caCertificates`: the system roots (`file-root:system`), which a mesh-CA
 *   certificate does not chain to;
 * - `connectionPool.tcp.idleTimeout`: the tcp_proxy closes a quiet connection;
 *   `maxConnectionDuration`: it closes a busy one too, once the duration is over.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import type { Listener } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { dr, svc } from '../../mesh/view-fixtures.js';
import { get, startTestProxy, startXds, until } from '../../proxy/_harness.js';
import { testPki } from '../../proxy/security/_pki.js';

const REVIEWS = 'reviews.prod.svc.cluster.local';
const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });

function onLoopback(l: Listener): void {
  const a = l.address!.address;
  if (a.case === 'socketAddress') { a.value.address = '127.0.0.1'; a.value.portSpecifier = { case: 'portValue', value: 0 }; }
  l.bindToPort = undefined;
}

/** An HTTPS server with `cert`; records the SNI of each request. */
async function httpsBackend(cert: { certificateChainPem: string; privateKeyPem: string }): Promise<{ port: number; servernames: string[]; close(): Promise<void> }> {
  const servernames: string[] = [];
  const srv = https.createServer({ cert: cert.certificateChainPem, key: cert.privateKeyPem }, (req, res) => {
    servernames.push(String((req.socket as tls.TLSSocket).servername));
    res.end('ok');
  });
  const port = await new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as net.AddressInfo).port)));
  return { port, servernames, close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); }) };
}

/** `GET /` to reviews through the client sidecar, whose DestinationRule gives `tls`, toward a backend presenting a certificate for `certNames`. */
async function callThroughSimpleTls(tlsSettings: Record<string, unknown>, certNames: string[]): Promise<{ status: number; servernames: string[] }> {
  const pki = await testPki();
  const backend = await httpsBackend(await pki.server(...certNames));
  const cleanups: (() => unknown)[] = [() => backend.close()];
  try {
    const dir = mkdtempSync(join(tmpdir(), 'meshproof-upstream-tls-'));
    writeFileSync(join(dir, 'ca.pem'), pki.ca.rootCertificatePem);
    const settings = { ...tlsSettings, ...(tlsSettings.caCertificates === 'CA_FILE' ? { caCertificates: join(dir, 'ca.pem') } : {}) };
    const g = graphOf([svc('reviews', 'prod'), dr('reviews', 'prod', { host: 'reviews', trafficPolicy: { tls: settings } })]);
    const set = translateProxy(buildProxyView(g, client), [{ name: 'reviews-1', namespace: 'prod', address: '127.0.0.1', labels: { app: 'reviews' }, ports: { http: backend.port } }]);
    const listener = set.listeners.find((l) => l.name === '0.0.0.0_9080')!;
    onLoopback(listener);
    const xds = await startXds({ ...set, listeners: [listener] });
    cleanups.push(() => xds.close());
    const proxy = await startTestProxy(xds.port);
    cleanups.push(() => proxy.close());
    await until(() => proxy.state() === 'LIVE', 8000, `proxy LIVE (${proxy.diagnostics.join('; ')})`);
    assert.equal(proxy.ads.nacks.map((n) => n.message), []);
    const r = await get(proxy.listenerAddress(listener.name)!.port, '/', { host: `${REVIEWS}:9080` });
    return { status: r.status, servernames: backend.servernames };
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

test('GIVEN DestinationRule tls SIMPLE with caCertificates and no sni WHEN a request for reviews goes through the sidecar THEN the upstream TLS SNI is the Host (auto_sni) and a certificate for that host is accepted', async () => {
  const r = await callThroughSimpleTls({ mode: 'SIMPLE', caCertificates: 'CA_FILE' }, [REVIEWS]);
  assert.is(r.status, 200);
  assert.equal(r.servernames, [REVIEWS]);
});

test('GIVEN DestinationRule tls SIMPLE with an sni WHEN a request for reviews goes through the sidecar THEN that sni is the upstream SNI, not the Host (no auto_sni)', async () => {
  const r = await callThroughSimpleTls({ mode: 'SIMPLE', caCertificates: 'CA_FILE', sni: 'reviews.example.com' }, ['reviews.example.com']);
  assert.is(r.status, 200);
  assert.equal(r.servernames, ['reviews.example.com']);
});

test('GIVEN DestinationRule tls SIMPLE with caCertificates and neither sni nor subjectAltNames WHEN the backend presents a CA-signed certificate for another host THEN auto_san_validation refuses it (503, nothing reaches the backend)', async () => {
  const r = await callThroughSimpleTls({ mode: 'SIMPLE', caCertificates: 'CA_FILE' }, ['other.example.com']);
  assert.is(r.status, 503);
  assert.equal(r.servernames, []);
});

test('GIVEN DestinationRule tls SIMPLE without caCertificates WHEN the backend presents a mesh-CA certificate THEN the system roots do not trust it (503), as istiod\'s file-root:system', async () => {
  const r = await callThroughSimpleTls({ mode: 'SIMPLE' }, [REVIEWS]);
  assert.is(r.status, 503);
  assert.equal(r.servernames, []);
});

/**
 * A TCP connection to db (an echo server) through the client sidecar, under the DestinationRule
 * `tcp` pool settings; `chatty` keeps bytes flowing every 100 ms. Resolves when the proxy closes it
 * (ms after the first echo), or -1 when it stays open for 3 s.
 */
async function tcpConnectionLifetime(tcp: Record<string, unknown>, chatty: boolean): Promise<number> {
  const echo = net.createServer((s) => s.pipe(s));
  const echoPort = await new Promise<number>((r) => echo.listen(0, '127.0.0.1', () => r((echo.address() as net.AddressInfo).port)));
  const cleanups: (() => unknown)[] = [() => new Promise((r) => echo.close(r))];
  try {
    const s = svc('db', 'prod', [{ port: 9000, name: 'tcp' }]) as { spec: Record<string, unknown> };
    s.spec.clusterIP = '10.96.0.30';
    const g = graphOf([s, dr('db', 'prod', { host: 'db', trafficPolicy: { connectionPool: { tcp } } })]);
    const set = translateProxy(buildProxyView(g, client), [{ name: 'db-1', namespace: 'prod', address: '127.0.0.1', labels: { app: 'db' }, ports: { tcp: echoPort } }]);
    const listener = set.listeners.find((l) => l.name === '10.96.0.30_9000')!;
    assert.ok(listener, set.listeners.map((l) => l.name).join(', '));
    onLoopback(listener);
    const xds = await startXds({ ...set, listeners: [listener] });
    cleanups.push(() => xds.close());
    const proxy = await startTestProxy(xds.port);
    cleanups.push(() => proxy.close());
    await until(() => proxy.state() === 'LIVE', 8000, `proxy LIVE (${proxy.diagnostics.join('; ')})`);
    const sock = net.connect(proxy.listenerAddress(listener.name)!.port, '127.0.0.1');
    cleanups.push(() => sock.destroy());
    let echoed = '';
    sock.on('data', (d) => { echoed += d.toString(); });
    sock.on('error', () => {});
    const closedAt = new Promise<number>((r) => sock.once('close', () => r(Date.now())));
    await new Promise((r) => sock.once('connect', r));
    sock.write('ping');
    await until(() => echoed === 'ping', 3000, 'the echo came back');
    const from = Date.now();
    const chat = chatty ? setInterval(() => { if (!sock.destroyed) sock.write('.'); }, 100) : undefined;
    cleanups.push(() => clearInterval(chat));
    const closed = await Promise.race([closedAt, new Promise<number>((r) => setTimeout(() => r(-1), 3000))]);
    return closed < 0 ? -1 : closed - from;
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

test('GIVEN a DestinationRule connectionPool.tcp.idleTimeout of 300ms on a TCP service WHEN a connection through the sidecar goes quiet THEN the proxy closes it; bytes flow before that', async () => {
  const lifetime = await tcpConnectionLifetime({ idleTimeout: '300ms' }, false);
  assert.ok(lifetime >= 200, `closed after the idle timeout, not before, nor never (${lifetime} ms)`);
});

test('GIVEN a DestinationRule connectionPool.tcp.maxConnectionDuration of 500ms WHEN a connection through the sidecar keeps sending THEN the proxy closes it all the same (max_downstream_connection_duration)', async () => {
  const lifetime = await tcpConnectionLifetime({ maxConnectionDuration: '500ms' }, true);
  assert.ok(lifetime > 0 && lifetime < 1500, `closed around 500 ms despite traffic (${lifetime} ms)`);
});

test.run();
