/**
 * `tls_params` on the proxy's TLS contexts (Envoy TlsParameters: protocol versions, cipher suites, ECDH
 * curves), over real node:tls sockets: a gateway's `minProtocolVersion` or `cipherSuites` (or
 * MeshConfig `tlsDefaults`, `meshMTLS`) must refuse the clients they exclude, not only be emitted.
 */
import { create, fromJson } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type FilterChain, FilterChainSchema } from '../../../src/xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import { type DownstreamTlsContextJson, DownstreamTlsContextSchema, UpstreamTlsContextSchema } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { DownstreamTls } from '../../../src/proxy/tls/downstream.js';
import { SecretStore } from '../../../src/proxy/tls/secrets.js';
import { UpstreamTls } from '../../../src/proxy/tls/upstream.js';
import { certSecret, type TestPki, testPki } from './_pki.js';

let pki: TestPki;
const ADS = { ads: {} };

test.before(async () => { pki = await testPki(); });

/** A SIMPLE server chain with an SDS certificate (set in `secrets`) and the given `tls_params` (proto JSON). */
async function chainWith(secrets: SecretStore, tlsParams: Record<string, unknown> | undefined): Promise<FilterChain> {
  secrets.set(certSecret('kubernetes://gw', await pki.server('gw.example.com')));
  const ctx = { commonTlsContext: { tlsCertificateSdsSecretConfigs: [{ name: 'kubernetes://gw', sdsConfig: ADS }], ...(tlsParams ? { tlsParams } : {}) } } as DownstreamTlsContextJson;
  return create(FilterChainSchema, { name: 'c', transportSocket: { name: 'envoy.transport_sockets.tls', configType: { case: 'typedConfig', value: anyPack(DownstreamTlsContextSchema, fromJson(DownstreamTlsContextSchema, ctx)) } } });
}

/** A TLS server built as the proxy builds one; each client gets `ok` once the handshake is done. */
async function serve(dt: DownstreamTls, chain: FilterChain): Promise<{ port: number; close(): void }> {
  const srv = net.createServer((raw) => {
    raw.on('error', () => {});
    const t = new tls.TLSSocket(raw, { isServer: true, ...dt.options(chain) });
    t.on('error', () => raw.destroy());
    t.once('secure', () => t.end('ok'));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
}

function call(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const c = tls.connect({ host: '127.0.0.1', port, ca: pki.ca.rootCertificatePem, servername: 'gw.example.com', ...opts });
    let got = '';
    c.on('data', (d) => { got += d; });
    c.on('end', () => resolve(got || 'closed'));
    c.on('error', (e) => resolve(`error: ${(e as Error & { code?: string }).code ?? e.message}`));
  });
}

test('GIVEN a server context with tls_minimum_protocol_version TLSv1_3 WHEN a TLS 1.2-only client and a TLS 1.3 client connect THEN only the TLS 1.3 one is served (and without tls_params both are)', async () => {
  for (const [params, want] of [[{ tlsMinimumProtocolVersion: 'TLSv1_3' }, ['error', 'ok']], [undefined, ['ok', 'ok']]] as const) {
    const secrets = new SecretStore();
    const dt = new DownstreamTls(secrets);
    const s = await serve(dt, await chainWith(secrets, params));
    try {
      const got = [await call(s.port, { maxVersion: 'TLSv1.2' }), await call(s.port, { minVersion: 'TLSv1.3' })];
      assert.equal(got.map((g) => (g.startsWith('error') ? 'error' : g)), want, `${JSON.stringify(params)}: ${got.join(' / ')}`);
    } finally { s.close(); }
  }
});

test('GIVEN a TLS 1.2 server context with cipher_suites [ECDHE-ECDSA-AES128-GCM-SHA256] WHEN clients offer only another suite, and that one THEN only the listed suite is served', async () => {
  const secrets = new SecretStore();
  const dt = new DownstreamTls(secrets);
  const s = await serve(dt, await chainWith(secrets, { tlsMaximumProtocolVersion: 'TLSv1_2', cipherSuites: ['[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]'] }));
  try {
    const other = await call(s.port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
    assert.ok(other.startsWith('error'), `another suite was served: ${other}`);
    assert.is(await call(s.port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }), 'ok');
  } finally { s.close(); }
});

test('GIVEN a server context naming a cipher suite and a curve OpenSSL does not know WHEN its options are asked THEN BAD_CONFIG naming tls_params (the listener is refused, as Envoy refuses it)', async () => {
  for (const params of [{ cipherSuites: ['NOT-A-CIPHER'] }, { ecdhCurves: ['P-999'] }]) {
    const secrets = new SecretStore();
    const dt = new DownstreamTls(secrets);
    const chain = await chainWith(secrets, params);
    assert.throws(() => dt.options(chain), (e: Error & { code?: string }) => e.code === 'BAD_CONFIG' && /tls_params/.test(e.message), JSON.stringify(params));
  }
});

test('GIVEN an upstream context with cipher_suites and ecdh_curves WHEN its client options are built THEN node:tls gets them (groups flattened)', () => {
  const up = new UpstreamTls(new SecretStore());
  const ctx = fromJson(UpstreamTlsContextSchema, { commonTlsContext: { tlsParams: { tlsMinimumProtocolVersion: 'TLSv1_2', cipherSuites: ['[A|B]', 'C'], ecdhCurves: ['X25519', 'P-256'] } } });
  const o = up.fromContext(ctx);
  assert.equal([o.minVersion, o.ciphers, o.ecdhCurve], ['TLSv1.2', 'A:B:C', 'X25519:P-256']);
});

test.run();
