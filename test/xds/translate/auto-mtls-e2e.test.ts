/**
 * Auto mTLS over real sockets, as istiod builds it: a translated cluster with no DestinationRule TLS
 * carries `transport_socket_matches`, and its endpoints say which of them run a sidecar
 * (`security.istio.io/tlsMode: istio` → `envoy.transport_socket_match` metadata). The reference
 * proxy, fed by our ADS server, speaks ISTIO_MUTUAL to the sidecar endpoint and plaintext to the
 * other, from the same cluster.
 */
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type * as tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { createExtensions } from '../../../src/proxy/extensions.js';
import type { SecurityTls } from '../../../src/proxy/tls/provider.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { UpstreamTlsContextSchema } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { type Any, anyUnpack } from '@bufbuild/protobuf/wkt';
import { graphOf } from '../../mesh/_graph.js';
import { deploy, dr, ns, svc } from '../../mesh/view-fixtures.js';
import { get, startEcho, startTestProxy, startXds } from '../../proxy/_harness.js';
import { waitSecrets } from '../../proxy/security/_e2e.js';
import { caSecret, certSecret, testPki } from '../../proxy/security/_pki.js';
import { createCa, issueWorkloadCertificate } from '../../../src/pki/index.js';
import { onLoopback } from './_loopback-sidecar.js';

const REVIEWS = 'reviews.prod.svc.cluster.local';
const CLIENT_ID = 'spiffe://cluster.local/ns/prod/sa/client';

/** A stand-in for a sidecar's inbound: HTTPS that demands a client certificate from the mesh CA; answers the caller's URI SAN. */
async function mtlsBackend(cert: { certificateChainPem: string; privateKeyPem: string }, ca: string): Promise<{ port: number; peers: string[]; close(): Promise<void> }> {
  const peers: string[] = [];
  const srv = https.createServer({ cert: cert.certificateChainPem, key: cert.privateKeyPem, ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as tls.TLSSocket).getPeerCertificate().subjectaltname ?? '';
    peers.push(peer);
    res.writeHead(200, { 'x-backend': 'sidecar' });
    res.end(peer);
  });
  const port = await new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as AddressInfo).port)));
  return { port, peers, close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); }) };
}

test('GIVEN one endpoint with a sidecar and one without behind one service WHEN the translated cluster is used by the reference proxy THEN the first gets mTLS and the second plaintext', async () => {
  const pki = await testPki();
  // The sidecar's certificate names the workload's service account (the Deployment's: `default`).
  const sidecar = await mtlsBackend(await pki.workload('prod', 'default'), pki.ca.rootCertificatePem);
  const plain = await startEcho('plain');
  const cleanups: (() => unknown)[] = [() => sidecar.close(), () => plain.close()];
  try {
    // ROUND_ROBIN (a DestinationRule without tls, so auto mTLS still decides): both endpoints take turns.
    const g = graphOf([ns('prod'), svc('reviews', 'prod'), deploy('reviews', 'prod', { app: 'reviews' }), dr('reviews', 'prod', { host: 'reviews', trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } })]);
    const set = translateProxy(buildProxyView(g, describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' }, serviceAccount: 'client' })), [
      { name: 'reviews-sidecar', namespace: 'prod', address: '127.0.0.1', labels: { app: 'reviews', 'security.istio.io/tlsMode': 'istio' }, ports: { http: sidecar.port } },
      { name: 'reviews-plain', namespace: 'prod', address: '127.0.0.1', labels: { app: 'reviews' }, ports: { http: plain.port } },
    ]);
    const cluster = set.clusters.find((c) => c.name === `outbound|9080||${REVIEWS}`)!;
    assert.equal(cluster.transportSocketMatches.map((m) => m.name), ['tlsMode-istio', 'tlsMode-disabled']);
    const listeners = set.listeners.filter((l) => l.name === '0.0.0.0_9080');
    listeners.forEach(onLoopback);
    const secrets = [certSecret('default', await pki.workload('prod', 'client')), caSecret('ROOTCA', pki.ca.rootCertificatePem)];
    const xds = await startXds({ ...set, listeners, secrets });
    cleanups.push(() => xds.close());
    const ext = createExtensions();
    const proxy = await startTestProxy(xds.port, { extensions: ext });
    cleanups.push(() => proxy.close());
    await proxy.waitReady(30_000);
    await waitSecrets(proxy, ext.tls as SecurityTls, ['default', 'ROOTCA']);
    const port = proxy.listenerAddress('0.0.0.0_9080')!.port;

    const answers: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await get(port, '/reviews', { host: `${REVIEWS}:9080` });
      assert.is(r.status, 200, JSON.stringify(r));
      answers.push(String(r.headers['x-backend']));
    }
    assert.ok(answers.includes('sidecar') && answers.includes('plain'), `both endpoints answered: ${answers.join(',')}`);
    assert.ok(sidecar.peers.length > 0 && sidecar.peers.every((p) => p === `URI:${CLIENT_ID}`), `the sidecar endpoint saw the client's SPIFFE ID: ${sidecar.peers.join(',')}`);
    assert.is(plain.received.length, answers.filter((a) => a === 'plain').length, 'the plaintext endpoint received every request routed to it as HTTP');
    assert.equal(proxy.ads.nacks.map((n) => n.message), []);
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
});

test('GIVEN the sidecar endpoint loses its tlsMode label WHEN requests reach it THEN it gets plaintext, which its mTLS-only inbound refuses (the choice is per endpoint, not per cluster)', async () => {
  const pki = await testPki();
  const sidecar = await mtlsBackend(await pki.server('reviews.prod.svc.cluster.local'), pki.ca.rootCertificatePem);
  const cleanups: (() => unknown)[] = [() => sidecar.close()];
  try {
    const g = graphOf([ns('prod'), svc('reviews', 'prod'), deploy('reviews', 'prod', { app: 'reviews' })]);
    const set = translateProxy(buildProxyView(g, describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' }, serviceAccount: 'client' })), [
      { name: 'reviews-sidecar', namespace: 'prod', address: '127.0.0.1', labels: { app: 'reviews' }, ports: { http: sidecar.port } },
    ]);
    const listeners = set.listeners.filter((l) => l.name === '0.0.0.0_9080');
    listeners.forEach(onLoopback);
    const secrets = [certSecret('default', await pki.workload('prod', 'client')), caSecret('ROOTCA', pki.ca.rootCertificatePem)];
    const xds = await startXds({ ...set, listeners, secrets });
    cleanups.push(() => xds.close());
    const ext = createExtensions();
    const proxy = await startTestProxy(xds.port, { extensions: ext });
    cleanups.push(() => proxy.close());
    await proxy.waitReady(30_000);
    const r = await get(proxy.listenerAddress('0.0.0.0_9080')!.port, '/reviews', { host: `${REVIEWS}:9080` });
    assert.ok(r.status >= 500, `plaintext to an mTLS-only endpoint fails: ${r.status}`);
    assert.equal(sidecar.peers, []);
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
});

/**
 * One request through a client sidecar toward a single mTLS endpoint of reviews whose certificate
 * names `serverSa` (a service account of cluster.local, or a whole SPIFFE id), with the MeshConfig
 * `mesh` in the istio ConfigMap when given.
 */
async function callReviews(serverSa: string, drSpec: Record<string, unknown> | undefined, mesh?: string): Promise<{ status: number; peers: string[]; sans: string[] }> {
  const pki = await testPki();
  // A whole SPIFFE id is issued by a CA of its own trust domain, whose root the client trusts too (as during a migration).
  const other = serverSa.startsWith('spiffe://') ? await createCa({ trustDomain: new URL(serverSa).host, ttlSeconds: 86_400 }) : undefined;
  const cert = other ? await issueWorkloadCertificate(other, { spiffeId: serverSa, ttlSeconds: 3600 }) : await pki.workload('prod', serverSa);
  const roots = other ? `${pki.ca.rootCertificatePem}\n${other.rootCertificatePem}` : pki.ca.rootCertificatePem;
  const sidecar = await mtlsBackend(cert, pki.ca.rootCertificatePem);
  const cleanups: (() => unknown)[] = [() => sidecar.close()];
  try {
    const meshConfig = mesh === undefined ? [] : [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh } }];
    const g = graphOf([...meshConfig, ns('prod'), svc('reviews', 'prod'), deploy('reviews', 'prod', { app: 'reviews' }), ...(drSpec ? [dr('reviews', 'prod', { host: 'reviews', ...drSpec })] : [])]);
    const set = translateProxy(buildProxyView(g, describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' }, serviceAccount: 'client' })), [
      { name: 'reviews-1', namespace: 'prod', address: '127.0.0.1', labels: { app: 'reviews', 'security.istio.io/tlsMode': 'istio' }, ports: { http: sidecar.port } },
    ]);
    const cluster = set.clusters.find((c) => c.name === `outbound|9080||${REVIEWS}`)!;
    const socket = cluster.transportSocket ?? cluster.transportSocketMatches[0]!.transportSocket!;
    const ctx = anyUnpack(socket.configType.value as Any, UpstreamTlsContextSchema)!;
    const v = ctx.commonTlsContext!.validationContextType;
    const sans = v.case === 'combinedValidationContext' ? v.value.defaultValidationContext!.matchSubjectAltNames.map((m) => String(m.matchPattern.value)) : [];
    const listeners = set.listeners.filter((l) => l.name === '0.0.0.0_9080');
    listeners.forEach(onLoopback);
    const secrets = [certSecret('default', await pki.workload('prod', 'client')), caSecret('ROOTCA', roots)];
    const xds = await startXds({ ...set, listeners, secrets });
    cleanups.push(() => xds.close());
    const ext = createExtensions();
    const proxy = await startTestProxy(xds.port, { extensions: ext });
    cleanups.push(() => proxy.close());
    await proxy.waitReady(30_000);
    await waitSecrets(proxy, ext.tls as SecurityTls, ['default', 'ROOTCA']);
    const r = await get(proxy.listenerAddress('0.0.0.0_9080')!.port, '/reviews', { host: `${REVIEWS}:9080` });
    return { status: r.status, peers: sidecar.peers, sans };
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

test('GIVEN auto mTLS toward reviews (service account default) WHEN the endpoint presents a mesh certificate of another service account THEN the client refuses it (503, nothing reaches the server); its own identity passes', async () => {
  const ok = await callReviews('default', undefined);
  assert.equal(ok.sans, ['spiffe://cluster.local/ns/prod/sa/default'], 'the cluster verifies the SPIFFE ids of the workloads behind the service');
  assert.is(ok.status, 200);
  const imposter = await callReviews('imposter', undefined);
  assert.is(imposter.status, 503, 'a certificate of another identity is refused');
  assert.equal(imposter.peers, [], 'the request never reached the imposter');
});

test('GIVEN ISTIO_MUTUAL with DestinationRule subjectAltNames WHEN translated and used THEN those names replace the service accounts', async () => {
  const spec = { trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL', subjectAltNames: ['spiffe://cluster.local/ns/prod/sa/imposter'] } } };
  const r = await callReviews('imposter', spec);
  assert.equal(r.sans, ['spiffe://cluster.local/ns/prod/sa/imposter']);
  assert.is(r.status, 200);
  assert.is((await callReviews('default', spec)).status, 503, 'the service account is no longer accepted');
});

test('GIVEN MeshConfig trustDomainAliases (a trust domain migration) WHEN the endpoint presents its identity in the alias domain THEN the client accepts it, as istiod expands the verified service accounts (spiffe.ExpandWithTrustDomains); without the alias it refuses it', async () => {
  const migrated = 'spiffe://old.example/ns/prod/sa/default';
  const withAlias = await callReviews(migrated, undefined, 'trustDomainAliases: [old.example]\n');
  assert.equal(withAlias.sans, ['spiffe://cluster.local/ns/prod/sa/default', migrated], 'the service account in the trust domain and in its alias');
  assert.is(withAlias.status, 200);
  const without = await callReviews(migrated, undefined);
  assert.is(without.status, 503, 'without the alias the old domain\'s identity is refused');
  assert.equal(without.peers, []);
});

test.run();
