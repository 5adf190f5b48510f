/** Downstream and upstream TLS from Envoy contexts, SDS secrets and peer identities, over real node:tls sockets. */
import { create, fromJson, type JsonObject } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClusterSchema, type Cluster } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { type FilterChain, FilterChainSchema } from '../../../src/xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import { ListenerSchema } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { type DownstreamTlsContextJson, DownstreamTlsContextSchema, type UpstreamTlsContextJson, UpstreamTlsContextSchema } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { SecretSchema } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { DownstreamTls } from '../../../src/proxy/tls/downstream.js';
import { certificateNames, parseSubjectAltName, peerNames, peerSpiffeId } from '../../../src/proxy/tls/peer.js';
import { SECRET_TYPE_URL, SecretStore } from '../../../src/proxy/tls/secrets.js';
import { UpstreamTls } from '../../../src/proxy/tls/upstream.js';
import { caSecret, certSecret, type TestPki, testPki } from './_pki.js';

let pki: TestPki;
const ADS = { ads: {} };
const chainWith = (ctx: DownstreamTlsContextJson): FilterChain => create(FilterChainSchema, {
  name: 'c', transportSocket: { name: 'envoy.transport_sockets.tls', configType: { case: 'typedConfig', value: anyPack(DownstreamTlsContextSchema, fromJson(DownstreamTlsContextSchema, ctx)) } },
});
const upstreamSocket = (ctx: UpstreamTlsContextJson) => ({ name: 'envoy.transport_sockets.tls', configType: { case: 'typedConfig' as const, value: anyPack(UpstreamTlsContextSchema, fromJson(UpstreamTlsContextSchema, ctx)) } });

/** A server terminating TLS as the proxy does: options per connection, verifyPeer after the handshake; answers the peer's SPIFFE ID. */
async function serve(dt: DownstreamTls, chain: FilterChain): Promise<{ port: number; close(): void; refused: string[] }> {
  const refused: string[] = [];
  const srv = net.createServer((raw) => {
    raw.on('error', () => {});
    const t = new tls.TLSSocket(raw, { isServer: true, ...dt.options(chain) });
    t.on('error', (e) => { refused.push(e.message); raw.destroy(); });
    t.once('secure', () => {
      const why = dt.verifyPeer(chain, t);
      if (why) { refused.push(why); t.destroy(); return; }
      t.end(`peer=${peerSpiffeId(t) ?? 'none'}`);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close(), refused };
}

/** Connects, returns what the server said, or the error text. */
function call(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const c = tls.connect({ host: '127.0.0.1', port, ...opts });
    let got = '';
    c.on('data', (d) => { got += d; });
    c.on('end', () => resolve(got || 'closed without data'));
    c.on('error', (e) => resolve(`error: ${e.message}`));
  });
}

test.before(async () => { pki = await testPki(); });

test('GIVEN a SIMPLE context with certificate files WHEN a client connects THEN served with that certificate, no client certificate asked', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'meshproof-tls-'));
  const srv = await pki.server('shop.example.com');
  writeFileSync(path.join(dir, 'cert.pem'), srv.certificateChainPem);
  writeFileSync(path.join(dir, 'key.pem'), srv.privateKeyPem);
  const dt = new DownstreamTls(new SecretStore());
  const chain = chainWith({ commonTlsContext: { tlsCertificates: [{ certificateChain: { filename: path.join(dir, 'cert.pem') }, privateKey: { filename: path.join(dir, 'key.pem') } }] } });
  const s = await serve(dt, chain);
  try {
    assert.is(await call(s.port, { ca: pki.ca.rootCertificatePem, servername: 'shop.example.com' }), 'peer=none');
    assert.is(dt.options(chain).requestCert, false);
  } finally { s.close(); rmSync(dir, { recursive: true }); }
});

test('GIVEN MUTUAL with SDS certificate and CA WHEN clients come without a certificate, with a wrong-CA one, and with a valid one THEN only the valid one is served, its SPIFFE ID known', async () => {
  const secrets = new SecretStore();
  const dt = new DownstreamTls(secrets);
  const chain = chainWith({ requireClientCertificate: true, commonTlsContext: { tlsCertificateSdsSecretConfigs: [{ name: 'kubernetes://gw', sdsConfig: ADS }], validationContextSdsSecretConfig: { name: 'kubernetes://gw-cacert', sdsConfig: ADS } } });
  assert.throws(() => dt.options(chain), (e: Error & { code?: string }) => e.code === 'SECRET_NOT_READY' && /SDS secret "kubernetes:\/\/gw" \(tls_certificate\) has not been received/.test(e.message));
  secrets.set(certSecret('kubernetes://gw', await pki.server('gw.example.com')));
  secrets.set(caSecret('kubernetes://gw-cacert', pki.ca.rootCertificatePem));
  const s = await serve(dt, chain);
  try {
    const base = { ca: pki.ca.rootCertificatePem, servername: 'gw.example.com' };
    assert.match(await call(s.port, base), /error|closed without data/);
    const wrong = await pki.workload('shop', 'a', pki.wrongCa);
    assert.match(await call(s.port, { ...base, cert: wrong.certificateChainPem, key: wrong.privateKeyPem }), /error|closed without data/);
    const good = await pki.workload('shop', 'frontend');
    assert.is(await call(s.port, { ...base, cert: good.certificateChainPem, key: good.privateKeyPem }), 'peer=spiffe://cluster.local/ns/shop/sa/frontend');
  } finally { s.close(); }
});

test('GIVEN OPTIONAL_MUTUAL WHEN no certificate, then a wrong-CA certificate THEN the first is served, the second refused', async () => {
  const secrets = new SecretStore();
  secrets.set(certSecret('kubernetes://gw', await pki.server('gw.example.com')));
  secrets.set(caSecret('kubernetes://gw-cacert', pki.ca.rootCertificatePem));
  const dt = new DownstreamTls(secrets);
  const chain = chainWith({ commonTlsContext: { tlsCertificateSdsSecretConfigs: [{ name: 'kubernetes://gw' }], validationContextSdsSecretConfig: { name: 'kubernetes://gw-cacert' } } });
  const s = await serve(dt, chain);
  try {
    assert.is(await call(s.port, { ca: pki.ca.rootCertificatePem, servername: 'gw.example.com' }), 'peer=none');
    const wrong = await pki.workload('shop', 'a', pki.wrongCa);
    assert.match(await call(s.port, { ca: pki.ca.rootCertificatePem, cert: wrong.certificateChainPem, key: wrong.privateKeyPem }), /error|closed without data/);
    assert.match(s.refused.join('\n'), /client certificate rejected/);
  } finally { s.close(); }
});

test('GIVEN a server context with match_typed_subject_alt_names WHEN a peer of another namespace connects THEN refused, naming the wanted and the actual SAN', async () => {
  const secrets = new SecretStore();
  secrets.set(certSecret('default', await pki.workload('shop', 'backend')));
  secrets.set(caSecret('ROOTCA', pki.ca.rootCertificatePem));
  const dt = new DownstreamTls(secrets);
  const chain = chainWith({ requireClientCertificate: true, commonTlsContext: { tlsCertificateSdsSecretConfigs: [{ name: 'default' }], combinedValidationContext: { defaultValidationContext: { matchTypedSubjectAltNames: [{ sanType: 'URI', matcher: { prefix: 'spiffe://cluster.local/ns/shop/' } }] }, validationContextSdsSecretConfig: { name: 'ROOTCA' } } } });
  const s = await serve(dt, chain);
  try {
    const other = await pki.workload('other', 'x');
    assert.match(await call(s.port, { ca: pki.ca.rootCertificatePem, cert: other.certificateChainPem, key: other.privateKeyPem, checkServerIdentity: () => undefined }), /error|closed without data/);
    assert.match(s.refused.join('\n'), /want URI:prefix="spiffe:\/\/cluster.local\/ns\/shop\/", peer has URI:spiffe:\/\/cluster.local\/ns\/other\/sa\/x/);
    const same = await pki.workload('shop', 'frontend');
    assert.is(await call(s.port, { ca: pki.ca.rootCertificatePem, cert: same.certificateChainPem, key: same.privateKeyPem, checkServerIdentity: () => undefined }), 'peer=spiffe://cluster.local/ns/shop/sa/frontend');
  } finally { s.close(); }
});

test('GIVEN an SDS certificate rotated WHEN a new connection comes THEN it gets the new certificate', async () => {
  const secrets = new SecretStore();
  const first = await pki.server('gw.example.com');
  const second = await pki.server('gw.example.com');
  secrets.set(certSecret('kubernetes://gw', first));
  const dt = new DownstreamTls(secrets);
  const chain = chainWith({ commonTlsContext: { tlsCertificateSdsSecretConfigs: [{ name: 'kubernetes://gw' }] } });
  const serial = async () => {
    const s = await serve(dt, chain);
    try {
      return await new Promise<string>((resolve, reject) => {
        const c = tls.connect({ host: '127.0.0.1', port: s.port, ca: pki.ca.rootCertificatePem, servername: 'gw.example.com' }, () => { resolve(c.getPeerCertificate().serialNumber.toLowerCase().replace(/^0+/, '')); c.destroy(); });
        c.on('error', reject);
      });
    } finally { s.close(); }
  };
  assert.is(await serial(), first.serialNumber.toLowerCase().replace(/^0+/, ''));
  const apply = secrets.apply([anyPack(SecretSchema, certSecret('kubernetes://gw', second))], 'v2');
  assert.equal(apply, []);
  assert.is(await serial(), second.serialNumber.toLowerCase().replace(/^0+/, ''));
});

test('GIVEN bad SDS responses WHEN applied THEN each is refused with the secret name and the last good one kept', async () => {
  const secrets = new SecretStore();
  const good = certSecret('default', await pki.workload('shop', 'a'));
  secrets.set(good);
  const bad = create(SecretSchema, { name: 'default', type: { case: 'tlsCertificate', value: { certificateChain: { specifier: { case: 'inlineString', value: 'not a pem' } }, privateKey: { specifier: { case: 'inlineString', value: 'nope' } } } } });
  const errs = secrets.apply([anyPack(SecretSchema, bad), { $typeName: 'google.protobuf.Any', typeUrl: 'type.googleapis.com/x', value: new Uint8Array() } as never], 'v3');
  assert.is(errs.length, 2, errs.join('\n'));
  assert.match(errs[0]!, /^Secret "default": /);
  assert.match(errs[1]!, /^resources\[1\]: type type.googleapis.com\/x in an SDS response; expected/);
  assert.is(secrets.get('default')?.secret, good);
  assert.is(SECRET_TYPE_URL, 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret');
});

test('GIVEN listeners and clusters referencing SDS names WHEN asked what to subscribe THEN default, ROOTCA and the gateway credentials', () => {
  const listener = create(ListenerSchema, { name: 'l', filterChains: [chainWith({ requireClientCertificate: true, commonTlsContext: { tlsCertificateSdsSecretConfigs: [{ name: 'kubernetes://gw' }], validationContextSdsSecretConfig: { name: 'kubernetes://gw-cacert' } } })] });
  const cluster = create(ClusterSchema, { name: 'c', transportSocketMatches: [{ name: 'tlsMode-istio', match: { tlsMode: 'istio' }, transportSocket: upstreamSocket({ commonTlsContext: { tlsCertificateSdsSecretConfigs: [{ name: 'default' }], combinedValidationContext: { defaultValidationContext: {}, validationContextSdsSecretConfig: { name: 'ROOTCA' } } } }) }, { name: 'tlsMode-disabled', match: {}, transportSocket: { name: 'envoy.transport_sockets.raw_buffer' } }] });
  assert.equal(new SecretStore().names([listener], [cluster]), ['ROOTCA', 'default', 'kubernetes://gw', 'kubernetes://gw-cacert']);
});

/** An mTLS server as a peer sidecar: requires a client certificate from the mesh CA, answers the client's identity. */
async function meshServer(ns: string, sa: string): Promise<{ port: number; close(): void }> {
  const me = await pki.workload(ns, sa);
  const srv = tls.createServer({ cert: me.certificateChainPem, key: me.privateKeyPem, ca: pki.ca.rootCertificatePem, requestCert: true, rejectUnauthorized: true }, (s) => s.end(`client=${peerSpiffeId(s)}`));
  srv.on('tlsClientError', () => {});
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
}

const istioMutual = (san: string): UpstreamTlsContextJson => ({
  sni: 'outbound_.8080_._.reviews.shop.svc.cluster.local',
  commonTlsContext: {
    alpnProtocols: ['istio-peer-exchange', 'istio'],
    tlsCertificateSdsSecretConfigs: [{ name: 'default' }],
    combinedValidationContext: { defaultValidationContext: { matchTypedSubjectAltNames: [{ sanType: 'URI', matcher: { exact: san } }] }, validationContextSdsSecretConfig: { name: 'ROOTCA' } },
  },
});

test('GIVEN an ISTIO_MUTUAL cluster WHEN connecting to the right and to the wrong workload THEN the first is verified by its SPIFFE URI, the second refused', async () => {
  const secrets = new SecretStore();
  secrets.set(certSecret('default', await pki.workload('shop', 'frontend')));
  secrets.set(caSecret('ROOTCA', pki.ca.rootCertificatePem));
  const up = new UpstreamTls(secrets);
  const cluster: Cluster = create(ClusterSchema, { name: 'outbound|8080||reviews.shop.svc.cluster.local', transportSocket: upstreamSocket(istioMutual('spiffe://cluster.local/ns/shop/sa/reviews')) });
  const right = await meshServer('shop', 'reviews');
  const wrong = await meshServer('shop', 'ratings');
  try {
    const opts = up.options(cluster, undefined)!;
    assert.is(opts.servername, 'outbound_.8080_._.reviews.shop.svc.cluster.local');
    assert.is(await call(right.port, opts), 'client=spiffe://cluster.local/ns/shop/sa/frontend');
    assert.match(await call(wrong.port, opts), /^error: peer certificate SAN does not match: want URI:exact="spiffe:\/\/cluster.local\/ns\/shop\/sa\/reviews", peer has URI:spiffe:\/\/cluster.local\/ns\/shop\/sa\/ratings/);
  } finally { right.close(); wrong.close(); }
});

test('GIVEN auto mTLS transport_socket_matches WHEN endpoints with and without tlsMode: istio THEN TLS for the first, plaintext for the second', async () => {
  const secrets = new SecretStore();
  secrets.set(certSecret('default', await pki.workload('shop', 'frontend')));
  secrets.set(caSecret('ROOTCA', pki.ca.rootCertificatePem));
  const up = new UpstreamTls(secrets);
  const cluster = create(ClusterSchema, { name: 'c', transportSocketMatches: [{ name: 'tlsMode-istio', match: { tlsMode: 'istio' }, transportSocket: upstreamSocket(istioMutual('spiffe://cluster.local/ns/shop/sa/reviews')) }, { name: 'tlsMode-disabled', match: {}, transportSocket: { name: 'envoy.transport_sockets.raw_buffer' } }] });
  assert.ok(up.options(cluster, { tlsMode: 'istio' } as JsonObject)?.cert);
  assert.is(up.options(cluster, undefined), undefined);
  assert.is(up.options(cluster, { tlsMode: 'disabled' } as JsonObject), undefined);
});

test('GIVEN certificate names WHEN parsed THEN URI, DNS and IP SANs, RFC 2253 subject; quoted values kept whole', async () => {
  const w = await pki.workload('shop', 'a');
  assert.equal(certificateNames(w.certificatePem).uriSans, ['spiffe://cluster.local/ns/shop/sa/a']);
  const s = certificateNames((await pki.server('a.example.com')).certificatePem);
  assert.equal([s.dnsSans, s.ipSans, s.subject], [['a.example.com'], ['127.0.0.1'], 'CN=a.example.com']);
  assert.equal(parseSubjectAltName('URI:"spiffe://x/a, b", DNS:y').uriSans, ['spiffe://x/a, b']);
  assert.equal(peerNames({ getPeerCertificate: () => ({}) } as unknown as tls.TLSSocket), null);
});

test.run();
