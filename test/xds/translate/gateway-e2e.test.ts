/**
 * A translated gateway over real sockets, served by our ADS server to the reference proxy: the
 * SIMPLE server terminates TLS with the certificate files its Gateway names and routes to the
 * backend, and the plaintext server with `httpsRedirect` answers 301 to https. (That an SNI no
 * server covers matches no chain is proven on the decoded config in gateway-listeners.test.ts.)
 * Only the listener addresses change (to 127.0.0.1:0): tests never bind the Gateway's fixed ports.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { createCa, issueServerCertificate } from '../../../src/pki/index.js';
import type { Listener } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { deploy, gw, route, svc, vs } from '../../mesh/view-fixtures.js';
import { get, startEcho, startTestProxy, startXds, until } from '../../proxy/_harness.js';

function onLoopback(l: Listener): void {
  const a = l.address!.address;
  if (a.case === 'socketAddress') { a.value.address = '127.0.0.1'; a.value.portSpecifier = { case: 'portValue', value: 0 }; }
}

function httpsGet(port: number, servername: string, ca: string): Promise<{ status: number; backend: string; san: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, servername, ca, path: '/cart', headers: { host: servername }, agent: false, timeout: 3000 }, (res) => {
      const san = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().subjectaltname ?? '';
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, backend: String(res.headers['x-backend'] ?? ''), san }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

test('GIVEN a Gateway with httpsRedirect on 80 and SIMPLE on 443 WHEN its translated config runs in the reference proxy THEN https reaches the backend with the Gateway certificate and http answers 301', async () => {
  const ca = await createCa({ trustDomain: 'cluster.local' });
  const cert = await issueServerCertificate(ca, { dnsNames: ['shop.example.com'] });
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-gw-'));
  writeFileSync(join(dir, 'tls.crt'), cert.certificateChainPem);
  writeFileSync(join(dir, 'tls.key'), cert.privateKeyPem);
  const web = await startEcho('web');
  const cleanups: (() => unknown)[] = [() => web.close(), () => rmSync(dir, { recursive: true, force: true })];
  try {
    const g = graphOf([
      deploy('ingress', 'istio-system', { istio: 'ingressgateway' }),
      svc('web', 'prod', [{ port: 8080, name: 'http' }]),
      gw('edge', 'istio-system', [
        { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/shop.example.com'], tls: { httpsRedirect: true } },
        { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*/shop.example.com'], tls: { mode: 'SIMPLE', serverCertificate: join(dir, 'tls.crt'), privateKey: join(dir, 'tls.key') } },
      ]),
      vs('web', 'prod', { hosts: ['shop.example.com'], gateways: ['istio-system/edge'], http: [{ route: [route('web')] }] }),
    ]);
    const set = translateProxy(buildProxyView(g, proxiesOf(g).find((p) => p.type === 'router')!), [
      { name: 'web-1', namespace: 'prod', address: '127.0.0.1', labels: { app: 'web' }, ports: { http: web.port } },
    ]);
    assert.equal(set.listeners.map((l) => l.name), ['0.0.0.0_80', '0.0.0.0_443']);
    set.listeners.forEach(onLoopback);
    const xds = await startXds(set);
    cleanups.push(() => xds.close());
    const proxy = await startTestProxy(xds.port, { role: 'gateway' });
    cleanups.push(() => proxy.close());
    await until(() => proxy.state() === 'LIVE', 8000, `proxy LIVE (${proxy.diagnostics.join('; ')})`);
    const httpsPort = proxy.listenerAddress('0.0.0.0_443')!.port;
    const httpPort = proxy.listenerAddress('0.0.0.0_80')!.port;

    assert.equal(await httpsGet(httpsPort, 'shop.example.com', ca.rootCertificatePem), { status: 200, backend: 'web', san: 'DNS:shop.example.com' });
    const plain = await get(httpPort, '/cart', { host: 'shop.example.com' });
    assert.equal([plain.status, plain.headers.location], [301, 'https://shop.example.com/cart']);
    assert.is(web.received.length, 1, 'the redirected request never reached the backend');
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
});

test.run();
