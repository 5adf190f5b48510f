/**
 * End to end through a real proxy fed by our ADS server (with SDS secrets): a gateway listener with a
 * SIMPLE and a MUTUAL TLS server (SNI-matched chains, certificates from `kubernetes://<credentialName>`),
 * TLS passthrough routed by SNI to two backends, and plain TCP proxying.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createExtensions } from '../../../src/proxy/extensions.js';
import type { SecurityTls } from '../../../src/proxy/tls/provider.js';
import { startEcho, startTestProxy, startXds } from '../_harness.js';
import { chain, hcm, httpsGet, listener, roundTrip, staticCluster, tcpEcho, tcpProxy, tlsEcho, waitSecrets } from './_e2e.js';
import { caSecret, certSecret, testPki } from './_pki.js';

test('GIVEN a gateway with SIMPLE, MUTUAL, SNI passthrough and TCP listeners WHEN clients connect THEN each is served or refused as Envoy would', async () => {
  const pki = await testPki();
  const web = await startEcho('web');
  const a = await tlsEcho('A', await pki.server('a.example.com'));
  const b = await tlsEcho('B', await pki.server('b.example.com'));
  const raw = await tcpEcho('tcp');
  const simpleCert = await pki.server('simple.example.com');
  const mutualCert = await pki.server('mutual.example.com');
  const sds = (name: string) => ({ name, sdsConfig: { ads: {} } });
  const resources = {
    clusters: [staticCluster('web', [web.port]), staticCluster('sni-a', [a.port]), staticCluster('sni-b', [b.port]), staticCluster('tcp', [raw.port])],
    endpoints: [],
    listeners: [
      listener('gateway-443', [
        chain('simple', { serverNames: ['simple.example.com'] }, [hcm('web')], { commonTlsContext: { alpnProtocols: ['h2', 'http/1.1'], tlsCertificateSdsSecretConfigs: [sds('kubernetes://simple')] } }),
        chain('mutual', { serverNames: ['mutual.example.com'] }, [hcm('web')], { requireClientCertificate: true, commonTlsContext: { alpnProtocols: ['h2', 'http/1.1'], tlsCertificateSdsSecretConfigs: [sds('kubernetes://mutual')], validationContextSdsSecretConfig: sds('kubernetes://mutual-cacert') } }),
      ]),
      listener('passthrough-443', [
        chain('a', { serverNames: ['a.example.com'] }, [tcpProxy({ statPrefix: 'a', cluster: 'sni-a' })]),
        chain('b', { serverNames: ['*.b.example.com', 'b.example.com'] }, [tcpProxy({ statPrefix: 'b', cluster: 'sni-b' })]),
      ]),
      listener('tcp-9000', [chain('tcp', {}, [tcpProxy({ statPrefix: 'tcp', cluster: 'tcp' })])]),
    ],
    routes: [],
    secrets: [certSecret('kubernetes://simple', simpleCert), certSecret('kubernetes://mutual', mutualCert), caSecret('kubernetes://mutual-cacert', pki.ca.rootCertificatePem)],
  };
  const xds = await startXds(resources);
  const ext = createExtensions();
  const proxy = await startTestProxy(xds.port, { extensions: ext });
  try {
    await proxy.waitReady(30_000);
    await waitSecrets(proxy, ext.tls as SecurityTls, ['kubernetes://simple', 'kubernetes://mutual', 'kubernetes://mutual-cacert']);
    const gw = proxy.listenerAddress('gateway-443')!.port;
    const ca = pki.ca.rootCertificatePem;

    // SIMPLE: served over TLS with the gateway certificate.
    const simple = await httpsGet(gw, { ca, servername: 'simple.example.com' });
    assert.is(simple.status, 200, JSON.stringify(simple));
    assert.is(JSON.parse(simple.body!).name, 'web');

    // MUTUAL: no client certificate, a certificate from another CA: refused; a valid one: served.
    const none = await httpsGet(gw, { ca, servername: 'mutual.example.com' });
    assert.ok(none.error, `no client certificate must be refused, got ${JSON.stringify(none)}`);
    const wrongCert = await pki.workload('shop', 'x', pki.wrongCa);
    const wrong = await httpsGet(gw, { ca, servername: 'mutual.example.com', cert: wrongCert.certificateChainPem, key: wrongCert.privateKeyPem });
    assert.ok(wrong.error, `a certificate from another CA must be refused, got ${JSON.stringify(wrong)}`);
    const goodCert = await pki.workload('shop', 'client');
    const good = await httpsGet(gw, { ca, servername: 'mutual.example.com', cert: goodCert.certificateChainPem, key: goodCert.privateKeyPem });
    assert.is(good.status, 200, JSON.stringify(good));
    // An SNI no chain names: no chain, the connection is closed.
    assert.ok((await httpsGet(gw, { ca, servername: 'other.example.com', checkServerIdentity: () => undefined })).error);

    // SNI routing: TLS passed through untouched; each backend terminates with its own certificate.
    const pt = proxy.listenerAddress('passthrough-443')!.port;
    assert.is(await roundTrip(pt, 'hi', { ca, servername: 'a.example.com' }), 'A:hi');
    assert.is(await roundTrip(pt, 'hi', { ca, servername: 'b.example.com' }), 'B:hi');
    assert.is(await roundTrip(pt, 'hi', { ca, servername: 'x.b.example.com', checkServerIdentity: () => undefined }), 'B:hi');

    // Plain TCP proxying.
    assert.is(await roundTrip(proxy.listenerAddress('tcp-9000')!.port, 'ping'), 'tcp:ping');
    const t0 = Date.now();
    while (!proxy.log.some((e) => e.upstreamCluster === 'tcp') && Date.now() - t0 < 30_000) { proxy.accessLog?.flush(); await new Promise((r) => setTimeout(r, 20)); }
    const tcpLine = proxy.log.find((e) => e.upstreamCluster === 'tcp');
    assert.ok(tcpLine, `tcp_proxy access log entries: ${JSON.stringify(proxy.log.map((e) => e.upstreamCluster))}`);
    assert.equal([tcpLine!.flags, tcpLine!.bytesReceived, tcpLine!.bytesSent], [[], 4, 8]);
    assert.equal(proxy.ads.nacks.map((n) => n.message), []);
  } finally {
    await proxy.close();
    await xds.close();
    await web.close();
    a.close(); b.close(); raw.close();
  }
});

test.run();
