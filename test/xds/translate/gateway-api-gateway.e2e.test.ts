/**
 * A Gateway API ingress over real sockets: the proxy istiod deploys for Gateway `public` (class istio),
 * translated and served by our ADS server to the reference proxy in front of echo backends. An HTTPRoute
 * attached to its HTTP listener sends `x-canary: true` to v2 and splits the rest 90/10 between v1 and v2;
 * a backendRef into another namespace without a ReferenceGrant answers 500, as the configuration istiod
 * builds makes Envoy do. An HTTPS listener terminating with its certificateRef serves the certificate SDS
 * delivers under `kubernetes-gateway://<ns>/<secret>`. Only the listener addresses change (to 127.0.0.1:0).
 */
import * as https from 'node:https';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCa, issueServerCertificate } from '../../../src/pki/index.js';
import { buildTlsCertificateSecret } from '../../../src/xds/sds/secrets.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { svc } from '../../mesh/view-fixtures.js';
import { get, startEcho, startTestProxy, startXds, until } from '../../proxy/_harness.js';
import { onLoopback } from './_loopback-sidecar.js';

const GW = 'gateway.networking.k8s.io/v1';
const backend = (name: string, extra: Record<string, unknown> = {}) => ({ name, port: 9080, ...extra });
const gatewayWith = (listener: Record<string, unknown>) => ({ apiVersion: GW, kind: 'Gateway', metadata: { name: 'public', namespace: 'shop' }, spec: { gatewayClassName: 'istio', listeners: [listener] } });
const webRoute = (sectionName: string) => ({
  apiVersion: GW, kind: 'HTTPRoute', metadata: { name: 'web', namespace: 'shop' },
  spec: {
    parentRefs: [{ name: 'public', sectionName }], hostnames: ['shop.example.com'],
    rules: [
      { matches: [{ headers: [{ name: 'x-canary', value: 'true' }] }], backendRefs: [backend('web-v2')] },
      { matches: [{ path: { type: 'PathPrefix', value: '/billing' } }], backendRefs: [backend('billing', { namespace: 'finance' })] },
      { backendRefs: [backend('web-v1', { weight: 90 }), backend('web-v2', { weight: 10 })] },
    ],
  },
});
const objects = [svc('web-v1', 'shop'), svc('web-v2', 'shop'), svc('billing', 'finance'), gatewayWith({ name: 'http', port: 80, protocol: 'HTTP' }), webRoute('http')];

test('GIVEN a Gateway of class istio and an HTTPRoute WHEN requests go through public-istio THEN x-canary reaches v2, about 90 % of the rest v1 and 10 % v2, a backend in another namespace without a ReferenceGrant answers 500', async () => {
  const v1 = await startEcho('web-v1');
  const v2 = await startEcho('web-v2');
  const billing = await startEcho('billing');
  const cleanups: (() => unknown)[] = [() => v1.close(), () => v2.close(), () => billing.close()];
  try {
    const g = graphOf(objects);
    const router = proxiesOf(g).find((p) => p.type === 'router')!;
    assert.equal([router.namespace, router.name], ['shop', 'public-istio']);
    const set = translateProxy(buildProxyView(g, router), [
      { name: 'web-v1-1', namespace: 'shop', address: '127.0.0.1', labels: { app: 'web-v1' }, ports: { http: v1.port } },
      { name: 'web-v2-1', namespace: 'shop', address: '127.0.0.1', labels: { app: 'web-v2' }, ports: { http: v2.port } },
      { name: 'billing-1', namespace: 'finance', address: '127.0.0.1', labels: { app: 'billing' }, ports: { http: billing.port } },
    ]);
    assert.equal(set.listeners.map((l) => l.name), ['0.0.0.0_80']);
    set.listeners.forEach(onLoopback);
    const xds = await startXds(set);
    cleanups.push(() => xds.close());
    const proxy = await startTestProxy(xds.port, { role: 'gateway' });
    cleanups.push(() => proxy.close());
    await until(() => proxy.state() === 'LIVE', 8000, `proxy LIVE (${proxy.diagnostics.join('; ')})`);
    const port = proxy.listenerAddress('0.0.0.0_80')!.port;
    const host = { host: 'shop.example.com' };

    const canary = await get(port, '/', { ...host, 'x-canary': 'true' });
    assert.equal([canary.status, canary.headers['x-backend']], [200, 'web-v2']);
    const refused = await get(port, '/billing', host);
    assert.is(refused.status, 500, proxy.diagnostics.join('; '));
    assert.is(billing.received.length, 0);
    const unknown = await get(port, '/', { host: 'other.example.com' });
    assert.is(unknown.status, 404, 'no listener hostname or route hostname covers other.example.com');

    const counts: Record<string, number> = {};
    const n = 400;
    for (let i = 0; i < n; i++) {
      const r = await get(port, '/cart', host);
      counts[String(r.headers['x-backend'])] = (counts[String(r.headers['x-backend'])] ?? 0) + 1;
    }
    assert.equal(Object.keys(counts).sort(), ['web-v1', 'web-v2'], JSON.stringify(counts));
    // Binomial(400, 0.9): mean 360, standard deviation 6; 330..390 is five standard deviations.
    assert.ok(counts['web-v1']! >= 330 && counts['web-v1']! <= 390, `web-v1 got ${counts['web-v1']} of ${n}`);
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
});

function httpsGet(port: number, servername: string, ca: string): Promise<{ status: number; backend: string; san: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, servername, ca, path: '/', headers: { host: servername, 'x-canary': 'true' }, agent: false, timeout: 3000 }, (res) => {
      const san = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().subjectaltname ?? '';
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, backend: String(res.headers['x-backend'] ?? ''), san }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

test('GIVEN an HTTPS listener with tls Terminate and a certificateRef WHEN a client connects with SNI shop.example.com THEN the gateway presents the Secret\'s certificate (SDS kubernetes-gateway://shop/shop-cert) and routes the HTTPRoute inside', async () => {
  const ca = await createCa({ trustDomain: 'cluster.local' });
  const cert = await issueServerCertificate(ca, { dnsNames: ['shop.example.com'] });
  const v2 = await startEcho('web-v2');
  const cleanups: (() => unknown)[] = [() => v2.close()];
  try {
    const g = graphOf([
      svc('web-v1', 'shop'), svc('web-v2', 'shop'),
      gatewayWith({ name: 'https', port: 443, protocol: 'HTTPS', hostname: 'shop.example.com', tls: { mode: 'Terminate', certificateRefs: [{ name: 'shop-cert' }] } }),
      webRoute('https'),
    ]);
    const set = translateProxy(buildProxyView(g, proxiesOf(g).find((p) => p.type === 'router')!), [
      { name: 'web-v2-1', namespace: 'shop', address: '127.0.0.1', labels: { app: 'web-v2' }, ports: { http: v2.port } },
    ]);
    assert.equal(set.listeners.map((l) => l.name), ['0.0.0.0_443']);
    set.listeners.forEach(onLoopback);
    const xds = await startXds({ ...set, secrets: [buildTlsCertificateSecret('kubernetes-gateway://shop/shop-cert', cert.certificateChainPem, cert.privateKeyPem)] });
    cleanups.push(() => xds.close());
    const proxy = await startTestProxy(xds.port, { role: 'gateway' });
    cleanups.push(() => proxy.close());
    await until(() => proxy.state() === 'LIVE', 8000, `proxy LIVE (${proxy.diagnostics.join('; ')})`);
    const port = proxy.listenerAddress('0.0.0.0_443')!.port;
    assert.equal(await httpsGet(port, 'shop.example.com', ca.rootCertificatePem), { status: 200, backend: 'web-v2', san: 'DNS:shop.example.com' });
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
});

test.run();
