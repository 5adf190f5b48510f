/**
 * Over real sockets, sidecar to sidecar: a client sidecar (the translated outbound side of
 * web/frontend) sends HTTP to cart's sidecar (the translated inbound side) on a port with no declared
 * protocol, over Istio mTLS (auto mTLS: cart's endpoint carries `security.istio.io/tlsMode: istio`).
 * The sniffed port's outbound cluster uses the downstream's protocol (istiod `setUpstreamProtocol`),
 * so an HTTP/1.1 caller goes upstream as HTTP/1.1 and an HTTP/2 (h2c) caller as HTTP/2.
 * The client's `istio.alpn` filter makes the upstream TLS connection offer `istio-http/1.1` (HTTP/1.1
 * upstream) or `istio-h2` (HTTP/2 upstream) instead of the cluster's `istio-peer-exchange, istio`, so
 * cart's sidecar picks the port's HTTP chain, whose RBAC keeps the path-only ALLOW rule. Without the
 * override the request would meet the TCP chain, where that rule is dropped, and be refused.
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as tls from 'node:tls';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { inboundResources } from '../../../src/verify/runtime/inbound.js';
import { HttpProtocolOptionsSchema } from '../../../src/xds/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { freePort, get, loopbackNeighbours, startDualProtocolApp } from '../_harness.js';
import { startSidecar } from './_e2e.js';
import { testPki } from './_pki.js';

type Obj = Record<string, unknown>;
const NS = 'shop';
const HOST = `cart.${NS}.svc.cluster.local`;
const PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
/** The sidecar, its application and the client sidecar on neighbouring loopback addresses. */
const [SIDECAR, APP, CLIENT] = loopbackNeighbours(3);

/** cart behind Service port "web" (no protocol: sniffed), ALLOW only /public/* (an HTTP-only rule); web/frontend calls it. */
function mesh(port: number): Obj[] {
  return [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cart', namespace: NS },
      spec: { template: { metadata: { labels: { app: 'cart' } }, spec: { serviceAccountName: 'cart', containers: [{ name: 'app', ports: [{ containerPort: port }] }] } } } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'cart', namespace: NS }, spec: { selector: { app: 'cart' }, ports: [{ name: 'web', port }] } },
    { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'public-only', namespace: NS },
      spec: { selector: { matchLabels: { app: 'cart' } }, rules: [{ to: [{ operation: { paths: ['/public/*'] } }] }] } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'frontend', namespace: 'web' },
      spec: { template: { metadata: { labels: { app: 'frontend' } }, spec: { serviceAccountName: 'frontend', containers: [{ name: 'app' }] } } } },
  ];
}

/** A request over HTTP/2 with prior knowledge (h2c), as an HTTP/2 caller of a plaintext port sends it. */
function getH2(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${CLIENT}:${port}`);
    session.on('error', reject);
    const req = session.request({ ':path': path, ':authority': host });
    let status = 0;
    let body = '';
    req.on('response', (h) => { status = Number(h[':status']); });
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => { session.close(); resolve({ status, body }); });
    req.on('error', reject);
    // A stream reset without 'end' or 'error' must fail the test with a reason, not leave it pending (uvu then exits early).
    req.on('close', () => { session.close(); reject(new Error(`HTTP/2 stream to ${host}${path} closed before its end (status ${status}, rst code ${req.rstCode})`)); });
    req.end();
  });
}

/** Writes `bytes` on a fresh TLS connection to cart's sidecar; what came back before the close. */
function exchange(port: number, bytes: string, o: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const c = tls.connect({ host: SIDECAR, port, ...o }, () => c.write(bytes));
    const timer = setTimeout(() => { c.destroy(); resolve(`timeout after ${JSON.stringify(got)}`); }, 5000);
    c.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    c.once('close', () => { clearTimeout(timer); resolve(got === '' ? 'closed' : got); });
    c.on('error', () => {});
  });
}

for (const upstream of ['HTTP/1.1', 'HTTP/2'] as const) {
  test(`GIVEN a client sidecar whose cluster to cart uses the downstream protocol over auto mTLS, and cart's sidecar with a path-only ALLOW rule on a sniffed port WHEN an ${upstream} caller sends GETs through the client sidecar THEN they go upstream as ${upstream} and istio.alpn offers ${upstream === 'HTTP/2' ? 'istio-h2' : 'istio-http/1.1'}: the HTTP chain admits /public (200) and refuses /admin (403); raw TCP over mTLS with Istio's TCP ALPN is still closed`, async () => {
    const port = await freePort(SIDECAR);
    // cart's application speaks HTTP/1.1 and h2c: its sidecar's inbound cluster uses the caller's protocol (istiod setUpstreamProtocol).
    const app = await startDualProtocolApp(APP, port);
    const { received, versions } = app;
    const started: { close(): Promise<void> }[] = [];
    try {
      const g = graphOf(mesh(port));
      const pki = await testPki();
      // cart's sidecar: the inbound side only, as verify's runtime serves it.
      const serverSet = translateProxy(buildProxyView(g, describeProxy({ name: 'cart', namespace: NS, labels: { app: 'cart' }, serviceAccount: 'cart' })), []);
      const inbound = inboundResources(serverSet, SIDECAR, APP);
      const serverSide = await startSidecar({ clusters: inbound.clusters, endpoints: [], listeners: inbound.listeners, routes: [] }, await pki.workload(NS, 'cart'), pki.ca.rootCertificatePem);
      started.push(serverSide);
      const server = serverSide.proxy;
      // frontend's sidecar: the outbound listener of the port, moved to the client's address.
      const instances = [{ name: 'cart', namespace: NS, address: SIDECAR, labels: { app: 'cart', 'security.istio.io/tlsMode': 'istio' }, ports: {} }];
      const clientSet = translateProxy(buildProxyView(g, describeProxy({ name: 'frontend', namespace: 'web', labels: { app: 'frontend' }, serviceAccount: 'frontend' })), instances);
      const listener = clientSet.listeners.find((l) => l.name === `0.0.0.0_${port}`)!;
      const sa = listener.address!.address;
      if (sa.case === 'socketAddress') sa.value.address = CLIENT;
      const clusters = clientSet.clusters.filter((c) => !c.name.startsWith('inbound|') && c.name !== 'InboundPassthroughCluster');
      const cart = clusters.find((c) => c.name === `outbound|${port}||${HOST}`)!;
      const options = cart.typedExtensionProtocolOptions[PROTOCOL_OPTIONS];
      assert.is(options && anyUnpack(options, HttpProtocolOptionsSchema)?.upstreamProtocolOptions.case, 'useDownstreamProtocolConfig', 'the sniffed port\'s cluster as translated');
      const client = await pki.workload('web', 'frontend');
      const clientSide = await startSidecar({ clusters, endpoints: clientSet.endpoints, listeners: [listener], routes: clientSet.routes }, client, pki.ca.rootCertificatePem);
      started.push(clientSide);
      const sidecar = clientSide.proxy;
      await Promise.all([serverSide.ready(), clientSide.ready()]);
      assert.equal([...server.ads.nacks, ...sidecar.ads.nacks].map((n) => n.message), []);

      const call = (path: string) => (upstream === 'HTTP/2' ? getH2(port, path, HOST) : get(port, path, { host: HOST }, 'GET', undefined, CLIENT));
      const open = await call('/public/items');
      assert.equal([open.status, open.body], [200, JSON.stringify({ app: 'cart', url: '/public/items' })], 'admitted by the HTTP chain');
      const closed = await call('/admin');
      assert.equal([closed.status, closed.body], [403, 'RBAC: access denied'], 'refused by the HTTP chain\'s RBAC, answered through the client sidecar');
      assert.equal(received, ['/public/items']);
      assert.equal(versions, [upstream === 'HTTP/2' ? '2.0' : '1.1'], 'the application got the caller\'s protocol');
      server.accessLog?.flush();
      const t0 = Date.now();
      while (server.log.length < 2 && Date.now() - t0 < 5000) { server.accessLog?.flush(); await new Promise((r) => setTimeout(r, 20)); }
      assert.equal(server.log.map((e) => [e.path, e.protocol]), [['/public/items', upstream], ['/admin', upstream]], `cart's sidecar received ${upstream} on the HTTP chain`);

      const mtls: tls.ConnectionOptions = { ca: pki.ca.rootCertificatePem, cert: client.certificateChainPem, key: client.privateKeyPem, checkServerIdentity: () => undefined, ALPNProtocols: ['istio-peer-exchange', 'istio'] };
      assert.is(await exchange(port, `GET /public/tcp HTTP/1.1\r\nhost: ${HOST}\r\n\r\n`, mtls), 'closed', 'TCP over mTLS: the TCP chain, whose network RBAC has no usable ALLOW rule');
    } finally {
      for (const s of started.reverse()) await s.close();
      await app.close();
    }
  });
}

test.run();
