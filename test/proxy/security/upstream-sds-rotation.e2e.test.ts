/**
 * An SDS update applies to the next new connection, as in Envoy (open connections keep the
 * certificate they started with): a proxy whose `default` and `ROOTCA` secrets are replaced (a new
 * mesh CA, as after `xds serve` restarts without `--ca-cert`) connects upstream with the new client
 * certificate and verifies the server against the new root (HTTP/1.1, HTTP/2 and tcp_proxy), and
 * its ISTIO_MUTUAL listener serves the new certificate and admits only clients of the new root.
 * Real proxy, real ADS, backends that require a client certificate.
 */
import { create } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CertificateAuthority, IssuedCertificate } from '../../../src/pki/index.js';
import { createExtensions } from '../../../src/proxy/extensions.js';
import type { SecurityTls } from '../../../src/proxy/tls/provider.js';
import { HttpProtocolOptionsSchema } from '../../../src/xds/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import { get, startTestProxy, startXds } from '../_harness.js';
import { chain, hcm, httpsGet, listener, staticCluster, tcpProxy } from './_e2e.js';
import { caSecret, certSecret, testPki } from './_pki.js';

const sds = (name: string) => ({ name, sdsConfig: { ads: {} } });
const BACKEND = 'spiffe://cluster.local/ns/shop/sa/backend';
/** Istio's ISTIO_MUTUAL client context (translator `istioMutualClientContext`). */
const ISTIO_MUTUAL_CLIENT = {
  commonTlsContext: {
    tlsCertificateSdsSecretConfigs: [sds('default')],
    combinedValidationContext: { defaultValidationContext: { matchTypedSubjectAltNames: [{ sanType: 'URI' as const, matcher: { exact: BACKEND } }] }, validationContextSdsSecretConfig: sds('ROOTCA') },
  },
};

interface Backend { port: number; serveWith(cert: IssuedCertificate, ca: CertificateAuthority): void; close(): void }

/**
 * A backend that requires a client certificate from `ca` and answers with its subjectaltname; it
 * closes each HTTP/1.1 connection after the response and each HTTP/2 session after one stream, so
 * every request needs a new connection. `serveWith` switches certificate and CA for new handshakes.
 */
async function mtlsBackend(protocol: 'http1' | 'http2', cert: IssuedCertificate, ca: CertificateAuthority): Promise<Backend> {
  const opts = (c: IssuedCertificate, a: CertificateAuthority): tls.SecureContextOptions => ({ cert: c.certificateChainPem, key: c.privateKeyPem, ca: a.rootCertificatePem });
  const sockets = new Set<net.Socket>();
  const peer = (s: tls.TLSSocket) => s.getPeerCertificate().subjectaltname ?? 'none';
  const srv = protocol === 'http1'
    ? https.createServer({ ...opts(cert, ca), requestCert: true, rejectUnauthorized: true }, (req, res) => { res.setHeader('connection', 'close'); res.end(peer(req.socket as tls.TLSSocket)); })
    : http2.createSecureServer({ ...opts(cert, ca), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      res.end(peer(req.socket as unknown as tls.TLSSocket));
      res.stream.session?.close();
    });
  srv.on('secureConnection', (s: net.Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    serveWith: (c, a) => srv.setSecureContext(opts(c, a)),
    close: () => { for (const s of sockets) s.destroy(); srv.close(); },
  };
}

async function rotationCase(protocol: 'http1' | 'http2' | 'tcp_proxy'): Promise<void> {
  const pki = await testPki();
  const [oldCa, newCa] = [pki.ca, pki.wrongCa];
  const backend = await mtlsBackend(protocol === 'http2' ? 'http2' : 'http1', await pki.workload('shop', 'backend', oldCa), oldCa);
  const cluster = staticCluster('backend', [backend.port], { tls: ISTIO_MUTUAL_CLIENT });
  if (protocol === 'http2') {
    cluster.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'] = anyPack(HttpProtocolOptionsSchema, create(HttpProtocolOptionsSchema, {
      upstreamProtocolOptions: { case: 'explicitHttpConfig', value: { protocolConfig: { case: 'http2ProtocolOptions', value: {} } } },
    }));
  }
  const secretsBy = async (ca: CertificateAuthority) => [certSecret('default', await pki.workload('shop', 'frontend', ca)), caSecret('ROOTCA', ca.rootCertificatePem)];
  const filter = protocol === 'tcp_proxy' ? tcpProxy({ statPrefix: 'backend', cluster: 'backend' }) : hcm('backend');
  const set = async (ca: CertificateAuthority) => ({ clusters: [cluster], endpoints: [], routes: [], secrets: await secretsBy(ca), listeners: [listener('out', [chain('plain', {}, [filter])])] });
  const xds = await startXds(await set(oldCa));
  const ext = createExtensions();
  const proxy = await startTestProxy(xds.port, { extensions: ext });
  const root = () => (ext.tls as SecurityTls).secrets.validationContext('ROOTCA')?.ctx.trustedCa?.specifier.value;
  try {
    await proxy.waitReady(30_000);
    const deadline = Date.now() + 30_000;
    while (root() !== oldCa.rootCertificatePem) { if (Date.now() > deadline) throw new Error('ROOTCA not received'); await new Promise((r) => setTimeout(r, 10)); }
    const port = proxy.listenerAddress('out')!.port;
    const before = await get(port, '/', { host: 'backend' });
    assert.is(before.status, 200, JSON.stringify(before));
    assert.match(before.body, 'URI:spiffe://cluster.local/ns/shop/sa/frontend');

    // GIVEN the mesh CA replaced: the backend now presents and trusts only the new one
    backend.serveWith(await pki.workload('shop', 'backend', newCa), newCa);
    // WHEN SDS sends the new `default` and `ROOTCA`
    xds.publish(await set(newCa));
    const deadline2 = Date.now() + 30_000;
    while (root() !== newCa.rootCertificatePem) { if (Date.now() > deadline2) throw new Error('new ROOTCA not received'); await new Promise((r) => setTimeout(r, 10)); }

    // THEN the next request's new connection uses them
    const after = await get(port, '/', { host: 'backend' });
    assert.is(after.status, 200, `a new ${protocol} upstream connection after the SDS update must use the new certificate and root: ${JSON.stringify(after)}`);
  } finally {
    await proxy.close();
    await xds.close();
    backend.close();
  }
}

test('GIVEN an HTTP/1.1 ISTIO_MUTUAL cluster WHEN SDS replaces default and ROOTCA (new CA) THEN the next new upstream connection uses the new certificate and root', async () => {
  await rotationCase('http1');
});

test('GIVEN an HTTP/2 ISTIO_MUTUAL cluster WHEN SDS replaces default and ROOTCA (new CA) THEN the next new upstream session uses the new certificate and root', async () => {
  await rotationCase('http2');
});

test('GIVEN a tcp_proxy to an ISTIO_MUTUAL cluster WHEN SDS replaces default and ROOTCA (new CA) THEN the next upstream connection uses the new certificate and root', async () => {
  await rotationCase('tcp_proxy');
});

test('GIVEN an ISTIO_MUTUAL listener WHEN SDS replaces default and ROOTCA (new CA) THEN the next handshake serves the new certificate, admits a client of the new root and refuses one of the old', async () => {
  const pki = await testPki();
  const [oldCa, newCa] = [pki.ca, pki.wrongCa];
  const app = http.createServer((_req, res) => res.end('app'));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const server = { requireClientCertificate: true, commonTlsContext: { tlsCertificateSdsSecretConfigs: [sds('default')], validationContextSdsSecretConfig: sds('ROOTCA') } };
  const set = async (ca: CertificateAuthority) => ({
    clusters: [staticCluster('app', [(app.address() as net.AddressInfo).port])], endpoints: [], routes: [],
    secrets: [certSecret('default', await pki.workload('shop', 'backend', ca)), caSecret('ROOTCA', ca.rootCertificatePem)],
    listeners: [listener('in', [chain('mtls', {}, [hcm('app')], server)])],
  });
  const client = async (ca: CertificateAuthority) => {
    const c = await pki.workload('shop', 'frontend', ca);
    return { cert: c.certificateChainPem, key: c.privateKeyPem, ca: ca.rootCertificatePem, checkServerIdentity: () => undefined };
  };
  const xds = await startXds(await set(oldCa));
  const ext = createExtensions();
  const proxy = await startTestProxy(xds.port, { extensions: ext });
  const root = () => (ext.tls as SecurityTls).secrets.validationContext('ROOTCA')?.ctx.trustedCa?.specifier.value;
  const waitRoot = async (pem: string) => {
    const deadline = Date.now() + 30_000;
    while (root() !== pem) { if (Date.now() > deadline) throw new Error('ROOTCA not received'); await new Promise((r) => setTimeout(r, 10)); }
  };
  try {
    await proxy.waitReady(30_000);
    await waitRoot(oldCa.rootCertificatePem);
    const port = proxy.listenerAddress('in')!.port;
    assert.equal(await httpsGet(port, await client(oldCa)), { status: 200, body: 'app' });
    xds.publish(await set(newCa));
    await waitRoot(newCa.rootCertificatePem);
    assert.equal(await httpsGet(port, await client(newCa)), { status: 200, body: 'app' }, 'a client of the new root must be served with the new certificate');
    const old = await httpsGet(port, await client(oldCa));
    assert.ok(old.error !== undefined, `a client of the old root must fail the handshake: ${JSON.stringify(old)}`);
  } finally {
    await proxy.close();
    await xds.close();
    app.close();
  }
});

test.run();
