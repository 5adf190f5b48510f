/**
 * End to end through a real proxy fed by our ADS server: sidecar inbound chains as the translator
 * emits them for PeerAuthentication (STRICT: only a `tls` chain; PERMISSIVE: `tls` and `raw_buffer`)
 * with the workload certificate from SDS `default`/`ROOTCA`, AuthorizationPolicy as Istio's RBAC
 * filters (DENY before ALLOW), and an outbound hop with auto mTLS (ISTIO_MUTUAL by `tlsMode: istio`)
 * into the same proxy's inbound listener.
 */
import * as http2 from 'node:http2';
import * as tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RBACJson } from '../../../src/xds/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import { createExtensions } from '../../../src/proxy/extensions.js';
import type { SecurityTls } from '../../../src/proxy/tls/provider.js';
import { get, startEcho, startTestProxy, startXds } from '../_harness.js';
import { chain, hcm, httpsGet, listener, staticCluster, waitSecrets } from './_e2e.js';
import { caSecret, certSecret, testPki } from './_pki.js';

const sds = (name: string) => ({ name, sdsConfig: { ads: {} } });
/** Istio's ISTIO_MUTUAL server context (translator `istioMutualServerContext(true)`). */
const ISTIO_MUTUAL_SERVER = { requireClientCertificate: true, commonTlsContext: { alpnProtocols: ['h2', 'http/1.1'], tlsCertificateSdsSecretConfigs: [sds('default')], validationContextSdsSecretConfig: sds('ROOTCA') } };
const FRONTEND = 'spiffe://cluster.local/ns/shop/sa/frontend';
/** Istio's RBAC filters for: DENY principal shop/evil; ALLOW namespace shop. */
const RBAC: RBACJson[] = [
  { rules: { action: 'DENY' as const, policies: { 'ns[shop]-policy[deny-evil]-rule[0]': { permissions: [{ andRules: { rules: [{ any: true }] } }], principals: [{ andIds: { ids: [{ orIds: { ids: [{ authenticated: { principalName: { exact: 'spiffe://cluster.local/ns/shop/sa/evil' } } }] } }] } }] } } } },
  { rules: { action: 'ALLOW' as const, policies: { 'ns[shop]-policy[allow-shop]-rule[0]': { permissions: [{ andRules: { rules: [{ any: true }] } }], principals: [{ andIds: { ids: [{ orIds: { ids: [{ authenticated: { principalName: { safeRegex: { regex: '.*/ns/shop/.*' } } } }] } }] } }] } } } },
];
const ISTIO_MUTUAL_CLIENT = {
  sni: 'outbound_.8080_._.app.shop.svc.cluster.local',
  commonTlsContext: {
    alpnProtocols: ['istio-peer-exchange', 'istio'],
    tlsCertificateSdsSecretConfigs: [sds('default')],
    combinedValidationContext: { defaultValidationContext: { matchTypedSubjectAltNames: [{ sanType: 'URI' as const, matcher: { exact: FRONTEND } }] }, validationContextSdsSecretConfig: sds('ROOTCA') },
  },
};

test('GIVEN STRICT and PERMISSIVE inbound chains with AuthorizationPolicy RBAC and an auto-mTLS outbound hop WHEN callers come THEN plaintext is refused on STRICT, principals decide 403 or 200, PERMISSIVE takes both', async () => {
  const pki = await testPki();
  const app = await startEcho('app');
  const inbound = (ports: number[]) => staticCluster('inbound|8080||', ports);
  const outbound = (port: number) => staticCluster('outbound|8080||app.shop.svc.cluster.local', [port], {
    matches: [{ name: 'tlsMode-istio', match: { tlsMode: 'istio' }, tls: ISTIO_MUTUAL_CLIENT }, { name: 'tlsMode-disabled', match: {} }],
    metadata: [{ tlsMode: 'istio' }],
  });
  const listeners = [
    listener('strict', [chain('inbound_0.0.0.0_8080_mtls', { transportProtocol: 'tls' }, [hcm('inbound|8080||', RBAC)], ISTIO_MUTUAL_SERVER)]),
    listener('permissive', [
      chain('inbound_0.0.0.0_8080_mtls', { transportProtocol: 'tls' }, [hcm('inbound|8080||')], ISTIO_MUTUAL_SERVER),
      chain('inbound_0.0.0.0_8080_plaintext', { transportProtocol: 'raw_buffer' }, [hcm('inbound|8080||')]),
    ]),
    listener('outbound', [chain('outbound', {}, [hcm('outbound|8080||app.shop.svc.cluster.local')])]),
  ];
  const secrets = [certSecret('default', await pki.workload('shop', 'frontend')), caSecret('ROOTCA', pki.ca.rootCertificatePem)];
  // The outbound cluster points at the strict listener, whose port is known once it is bound.
  const xds = await startXds({ clusters: [inbound([app.port]), outbound(1)], endpoints: [], listeners, routes: [], secrets });
  const ext = createExtensions();
  const proxy = await startTestProxy(xds.port, { extensions: ext });
  try {
    await proxy.waitReady(30_000);
    await waitSecrets(proxy, ext.tls as SecurityTls, ['default', 'ROOTCA']);
    const strict = proxy.listenerAddress('strict')!.port;
    const permissive = proxy.listenerAddress('permissive')!.port;
    const ca = pki.ca.rootCertificatePem;
    const as = async (ns: string, sa: string) => { const c = await pki.workload(ns, sa); return { ca, cert: c.certificateChainPem, key: c.privateKeyPem, checkServerIdentity: () => undefined }; };

    // STRICT: plaintext finds no chain and is closed.
    const plain = await get(strict, '/').then((r) => `status ${r.status}`, (e: Error) => `error ${e.message}`);
    assert.match(plain, /^error /);
    // AuthorizationPolicy: the DENY policy names shop/evil; ALLOW admits namespace shop only.
    const evil = await httpsGet(strict, await as('shop', 'evil'));
    assert.equal([evil.status, evil.body], [403, 'RBAC: access denied']);
    const outsider = await httpsGet(strict, await as('other', 'client'));
    assert.equal([outsider.status, outsider.body], [403, 'RBAC: access denied']);
    const frontend = await httpsGet(strict, await as('shop', 'frontend'));
    assert.is(frontend.status, 200, JSON.stringify(frontend));
    assert.is(JSON.parse(frontend.body!).name, 'app');
    // No client certificate at all: the handshake is refused.
    assert.ok((await httpsGet(strict, { ca, checkServerIdentity: () => undefined })).error);

    // PERMISSIVE: both plaintext and mTLS are served.
    assert.is((await get(permissive, '/')).status, 200);
    assert.is((await httpsGet(permissive, await as('other', 'client'))).status, 200);

    // HTTP/2 over Istio's mTLS ALPN (no h2 negotiated): the server finds the h2 preface, as Envoy's AUTO codec.
    const h2Status = await new Promise<string>((resolve) => {
      void as('shop', 'frontend').then((o) => {
        // node:http2 forces ALPN h2 on connections it makes; bring one that offers Istio's ALPN only.
        const session = http2.connect(`https://127.0.0.1:${permissive}`, { createConnection: () => tls.connect({ host: '127.0.0.1', port: permissive, ...o, ALPNProtocols: ['istio-peer-exchange', 'istio'] }) });
        session.on('error', (e) => resolve(`error ${e.message}`));
        const req = session.request({ ':path': '/h2' });
        req.on('response', (h) => { resolve(String(h[':status'])); session.close(); });
        req.on('error', (e) => resolve(`error ${e.message}`));
        req.end();
      });
    });
    assert.is(h2Status, '200');

    // Outbound hop: plaintext in, ISTIO_MUTUAL (tlsMode: istio endpoint) to the strict listener, verified by SPIFFE URI.
    xds.publish({ clusters: [inbound([app.port]), outbound(strict)], endpoints: [], listeners, routes: [], secrets });
    const t0 = Date.now();
    let hop = await get(proxy.listenerAddress('outbound')!.port, '/hop');
    while (hop.status !== 200 && Date.now() - t0 < 30_000) { await new Promise((r) => setTimeout(r, 50)); hop = await get(proxy.listenerAddress('outbound')!.port, '/hop'); }
    assert.is(hop.status, 200, JSON.stringify(hop));
    assert.is(JSON.parse(hop.body).url, '/hop');
    const t1 = Date.now();
    while (!proxy.log.some((e) => e.path === '/hop' && e.downstreamPeerUriSan) && Date.now() - t1 < 30_000) { proxy.accessLog?.flush(); await new Promise((r) => setTimeout(r, 20)); }
    const inboundLine = proxy.log.find((e) => e.path === '/hop' && e.upstreamCluster === 'inbound|8080||');
    assert.is(inboundLine?.downstreamPeerUriSan, FRONTEND, 'the inbound side logs the caller SPIFFE ID');
    const denied = proxy.log.find((e) => e.status === 403);
    assert.match(denied?.details ?? '', /^rbac_access_denied_matched_policy\[(ns\[shop\]-policy\[deny-evil\]-rule\[0\]|none)\]$/);
    assert.equal(proxy.ads.nacks.map((n) => n.message), []);
  } finally {
    await proxy.close();
    await xds.close();
    await app.close();
  }
});

test.run();
