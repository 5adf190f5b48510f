/**
 * Over real sockets: the inbound side translated for a pod with a sniffed port (no protocol declared)
 * and a declared HTTP port, served by our ADS server to the reference proxy as verify's runtime serves
 * an inbound sidecar (`inboundResources`: one listener per inbound port on the workload's loopback
 * address, the translated listener filters and chains). The proxy picks the chain as Envoy does:
 * `http_inspector` (an HTTP/1.x request line or the HTTP/2 preface) or the client's ALPN decides between
 * the HTTP chain (HTTP RBAC: paths) and the TCP chain (network RBAC); and an inbound route retries a
 * request whose connection to the application never came up (`reset-before-request`).
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { meshContextOrThrow } from '../../../src/mesh/mesh-config.js';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { inboundResources } from '../../../src/verify/runtime/inbound.js';
import { clone, create } from '@bufbuild/protobuf';
import { AddressSchema } from '../../../src/xds/gen/envoy/config/core/v3/address_pb.js';
import { ListenerSchema } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { translateProxy, VIRTUAL_INBOUND } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { freePort, get, loopbackNeighbours, startDualProtocolApp, startTestProxy, startXds } from '../../proxy/_harness.js';
import { startSidecar } from '../../proxy/security/_e2e.js';
import { testPki } from '../../proxy/security/_pki.js';

type Obj = Record<string, unknown>;
const NS = 'shop';
/** The sidecar, its application on neighbouring loopback addresses. */
const [SIDECAR, APP] = loopbackNeighbours(2);

/** cart: container port `sniffed` behind Service port "web" (no protocol), `declared` behind "http"; ALLOW only /public/*. */
function mesh(sniffed: number, declared: number): Obj[] {
  return [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cart', namespace: NS },
      spec: { template: { metadata: { labels: { app: 'cart' } }, spec: { serviceAccountName: 'cart', containers: [{ name: 'app', ports: [{ containerPort: sniffed }, { containerPort: declared }] }] } } } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'cart', namespace: NS },
      spec: { selector: { app: 'cart' }, ports: [{ name: 'web', port: sniffed }, { name: 'http', port: declared }] } },
    { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'public-only', namespace: NS },
      spec: { selector: { matchLabels: { app: 'cart' } }, rules: [{ to: [{ operation: { paths: ['/public/*'] } }] }] } },
  ];
}

/** Writes `bytes` on a fresh connection (TLS when `tlsOpts`); resolves what came back before the close, or the error. */
function exchange(port: number, bytes: string, tlsOpts?: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const c: net.Socket = tlsOpts ? tls.connect({ host: SIDECAR, port, ...tlsOpts }, () => c.write(bytes)) : net.connect(port, SIDECAR, () => c.write(bytes));
    const timer = setTimeout(() => { c.destroy(); resolve(`timeout after ${JSON.stringify(got)}`); }, 5000);
    c.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    c.once('close', () => { clearTimeout(timer); resolve(got === '' ? 'closed' : got); });
    c.on('error', () => {});
  });
}

/** An HTTP/1.1 GET over mTLS offering `alpn`; `{status, body}` or `{error}`. */
function mtlsGet(port: number, o: tls.ConnectionOptions, path: string): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = https.request({ host: SIDECAR, port, path, agent: false, ...o } as https.RequestOptions, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', (e) => resolve({ error: e.message }));
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** A prior-knowledge HTTP/2 (h2c) GET; the status or the error. */
function h2cGet(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://${SIDECAR}:${port}`);
    session.on('error', (e) => resolve(`error ${e.message}`));
    const req = session.request({ ':path': path });
    req.on('response', (h) => { resolve(String(h[':status'])); session.close(); });
    req.on('error', (e) => resolve(`error ${e.message}`));
    req.end();
  });
}

test('GIVEN a sniffed port (PERMISSIVE) whose only ALLOW rule names paths, and a declared HTTP port whose application is down WHEN real callers come THEN HTTP (request line, h2c preface, istio-http ALPN) meets HTTP RBAC (200 on /public, 403 elsewhere), raw TCP and mTLS TCP are closed, and the inbound route retries the failed connection twice', async () => {
  const sniffed = await freePort(SIDECAR);
  const declared = await freePort(SIDECAR);
  // The application speaks HTTP/1.1 and h2c on its one port, as a sniffed port's application must:
  // istiod gives its inbound cluster the caller's protocol (setUpstreamProtocol).
  const app = await startDualProtocolApp(APP, sniffed);
  const { received, versions } = app;
  let xds: Awaited<ReturnType<typeof startXds>> | undefined;
  let proxy: Awaited<ReturnType<typeof startTestProxy>> | undefined;
  try {
    const set = translateProxy(buildProxyView(graphOf(mesh(sniffed, declared)), describeProxy({ name: 'cart', namespace: NS, labels: { app: 'cart' }, serviceAccount: 'cart' })), []);
    const { listeners, clusters } = inboundResources(set, SIDECAR, APP);
    const pki = await testPki();
    const sidecar = await startSidecar({ clusters, endpoints: [], listeners, routes: [] }, await pki.workload(NS, 'cart'), pki.ca.rootCertificatePem);
    xds = sidecar.xds;
    proxy = sidecar.proxy;
    await sidecar.ready();
    assert.equal(proxy.ads.nacks.map((n) => n.message), []);
    const client = await pki.workload('web', 'frontend');
    const mtls = (alpn: string[]): tls.ConnectionOptions => ({ ca: pki.ca.rootCertificatePem, cert: client.certificateChainPem, key: client.privateKeyPem, checkServerIdentity: () => undefined, ALPNProtocols: alpn });

    // Plaintext HTTP/1.1: http_inspector reads the request line, the HTTP chain's RBAC reads the path.
    const open = await get(sniffed, '/public/items', {}, 'GET', undefined, SIDECAR);
    assert.equal([open.status, JSON.parse(open.body)], [200, { app: 'cart', url: '/public/items' }]);
    const closed = await get(sniffed, '/admin', {}, 'GET', undefined, SIDECAR);
    assert.equal([closed.status, closed.body], [403, 'RBAC: access denied']);
    // HTTP/2 with prior knowledge: the preface says h2c.
    assert.is(await h2cGet(sniffed, '/public/h2'), '200');
    assert.is(await h2cGet(sniffed, '/admin'), '403');
    // Bytes that are no HTTP: the TCP chain, whose network RBAC has no usable ALLOW rule.
    assert.is(await exchange(sniffed, 'ping\n'), 'closed');
    // mTLS from a sidecar that detected HTTP (istio-http/1.1): the HTTP chain; one that did not (Istio's TCP ALPN): the TCP chain.
    const viaHttp = await mtlsGet(sniffed, mtls(['istio-http/1.1']), '/public/tls');
    assert.is(viaHttp.status, 200, JSON.stringify(viaHttp));
    assert.equal([(await mtlsGet(sniffed, mtls(['istio-http/1.1']), '/admin')).status], [403]);
    assert.is(await exchange(sniffed, 'GET /public/tcp HTTP/1.1\r\nhost: cart\r\n\r\n', mtls(['istio-peer-exchange', 'istio'])), 'closed', 'TCP over mTLS: refused by network RBAC even for HTTP bytes');
    assert.equal(received, ['/public/items', '/public/h2', '/public/tls'], 'only the admitted HTTP calls reached the application');
    assert.equal(versions, ['1.1', '2.0', '1.1'], 'each in the protocol its caller spoke (use_downstream_protocol_config)');

    // The declared HTTP port's application is down: ConvertInboundPolicy's reset-before-request retries the connect failure twice.
    const down = await get(declared, '/public/down', {}, 'GET', undefined, SIDECAR);
    assert.is(down.status, 503);
    const t0 = Date.now();
    while (!proxy.log.some((e) => e.path === '/public/down') && Date.now() - t0 < 10_000) { proxy.accessLog?.flush(); await new Promise((r) => setTimeout(r, 20)); }
    const line = proxy.log.find((e) => e.path === '/public/down');
    assert.equal([...(line?.flags ?? [])].sort(), ['UF', 'URX'], 'upstream connection failure, retry limit exceeded');
  } finally {
    await proxy?.close();
    await xds?.close();
    await app.close();
  }
});

test('GIVEN mTLS DISABLE, a sniffed port and a declared TCP port whose application speaks first (SMTP-like greeting) WHEN a client connects to the TCP port and waits THEN the greeting arrives: http_inspector is off on that port (filter_disabled) and no inspector waits for client bytes', async () => {
  const sniffed = await freePort(SIDECAR);
  const smtp = await freePort(SIDECAR);
  const greeter = net.createServer((s) => { s.on('error', () => {}); s.end('220 cart ready\r\n'); });
  await new Promise<void>((r) => greeter.listen(smtp, APP, r));
  let xds: Awaited<ReturnType<typeof startXds>> | undefined;
  let proxy: Awaited<ReturnType<typeof startTestProxy>> | undefined;
  try {
    const objects: Obj[] = [
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cart', namespace: NS },
        spec: { template: { metadata: { labels: { app: 'cart' } }, spec: { containers: [{ name: 'app', ports: [{ containerPort: sniffed }, { containerPort: smtp }] }] } } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'cart', namespace: NS }, spec: { selector: { app: 'cart' }, ports: [{ name: 'web', port: sniffed }, { name: 'tcp-smtp', port: smtp }] } },
      { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'off', namespace: NS }, spec: { mtls: { mode: 'DISABLE' } } },
    ];
    const set = translateProxy(buildProxyView(graphOf(objects), describeProxy({ name: 'cart', namespace: NS, labels: { app: 'cart' }, serviceAccount: 'cart' })), []);
    const clusters = [...inboundResources(set, SIDECAR, APP).clusters, set.clusters.find((c) => c.name === 'InboundPassthroughCluster')!];
    // virtualInbound whole (every port's chains and the passthrough chains), bound on each port as a
    // redirect would deliver it: the chain is chosen by destination_port among all of them.
    const virtual = set.listeners.find((l) => l.name === VIRTUAL_INBOUND)!;
    assert.equal(virtual.listenerFilters.map((f) => f.name), ['envoy.filters.listener.http_inspector'], 'DISABLE: no chain matches tls, so no tls_inspector');
    const listeners = [sniffed, smtp].map((port) => {
      const l = clone(ListenerSchema, virtual);
      l.name = `${VIRTUAL_INBOUND}_${port}`;
      l.address = create(AddressSchema, { address: { case: 'socketAddress', value: { address: SIDECAR, portSpecifier: { case: 'portValue', value: port } } } });
      return l;
    });
    xds = await startXds({ clusters, endpoints: [], listeners, routes: [], secrets: [] });
    proxy = await startTestProxy(xds.port);
    await proxy.waitReady(30_000);
    assert.equal(proxy.ads.nacks.map((n) => n.message), []);
    const greeting = await new Promise<string>((resolve) => {
      const c = net.connect(smtp, SIDECAR);
      const timer = setTimeout(() => { c.destroy(); resolve('nothing within 3000 ms'); }, 3000);
      c.once('data', (d: Buffer) => { clearTimeout(timer); resolve(d.toString('latin1')); c.destroy(); });
      c.on('error', (e) => { clearTimeout(timer); resolve(`error ${e.message}`); });
    });
    assert.is(greeting, '220 cart ready\r\n');
    // The sniffed port still tells HTTP apart: a request line reaches the HTTP chain (no application there: 503 from the HCM).
    const r = await get(sniffed, '/x', {}, 'GET', undefined, SIDECAR);
    assert.is(r.status, 503, 'answered by the HTTP connection manager, not closed by a tcp_proxy');
  } finally {
    await proxy?.close();
    await xds?.close();
    await new Promise((r) => greeter.close(r));
  }
});

test('GIVEN MeshConfig protocolDetectionTimeout 300ms and a server-first application on a sniffed port WHEN a client connects and waits THEN after the timeout the chain is chosen with what is known (continue_on_listener_filters_timeout): plaintext TCP, and the greeting arrives', async () => {
  const sniffed = await freePort(SIDECAR);
  const greeter = net.createServer((s) => { s.on('error', () => {}); s.end('220 cart ready\r\n'); });
  await new Promise<void>((r) => greeter.listen(sniffed, APP, r));
  let xds: Awaited<ReturnType<typeof startXds>> | undefined;
  let proxy: Awaited<ReturnType<typeof startTestProxy>> | undefined;
  try {
    const objects: Obj[] = [
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cart', namespace: NS },
        spec: { template: { metadata: { labels: { app: 'cart' } }, spec: { containers: [{ name: 'app', ports: [{ containerPort: sniffed }] }] } } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'cart', namespace: NS }, spec: { selector: { app: 'cart' }, ports: [{ name: 'smtp', port: sniffed }] } },
      { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'off', namespace: NS }, spec: { mtls: { mode: 'DISABLE' } } },
    ];
    const context = meshContextOrThrow({ meshConfig: { text: 'protocolDetectionTimeout: 300ms\n', file: 'mesh.yaml' } });
    const set = translateProxy(buildProxyView(graphOf(objects, { context }), describeProxy({ name: 'cart', namespace: NS, labels: { app: 'cart' }, serviceAccount: 'cart' })), []);
    const { listeners, clusters } = inboundResources(set, SIDECAR, APP);
    xds = await startXds({ clusters, endpoints: [], listeners, routes: [], secrets: [] });
    proxy = await startTestProxy(xds.port);
    await proxy.waitReady(30_000);
    assert.equal(proxy.ads.nacks.map((n) => n.message), []);
    const t0 = Date.now();
    const greeting = await new Promise<string>((resolve) => {
      const c = net.connect(sniffed, SIDECAR);
      const timer = setTimeout(() => { c.destroy(); resolve('nothing within 5000 ms'); }, 5000);
      c.once('data', (d: Buffer) => { clearTimeout(timer); resolve(d.toString('latin1')); c.destroy(); });
      c.on('error', (e) => { clearTimeout(timer); resolve(`error ${e.message}`); });
    });
    assert.is(greeting, '220 cart ready\r\n');
    assert.ok(Date.now() - t0 >= 250, 'the http_inspector waited for the protocol detection timeout first');
  } finally {
    await proxy?.close();
    await xds?.close();
    await new Promise((r) => greeter.close(r));
  }
});

test.run();
