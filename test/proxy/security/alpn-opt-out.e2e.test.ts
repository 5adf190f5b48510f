/**
 * `istio.alpn` over real sockets with a TLS backend that records the ALPN each ClientHello offers:
 * a cluster without metadata gets the filter's list for HTTP/1.1, a cluster whose
 * `metadata.filter_metadata.istio.alpn_override` is `"false"` (istiod's mark for TLS a
 * DestinationRule originates) does not. Without an override the HTTP/1.1 pool offers what undici's
 * connector offers, `http/1.1`, not the cluster's `alpn_protocols` (a known gap, see the README).
 */
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { create } from '@bufbuild/protobuf';
import { anyPack, anyUnpack } from '@bufbuild/protobuf/wkt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createExtensions } from '../../../src/proxy/extensions.js';
import type { Filter } from '../../../src/xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import { HttpConnectionManagerSchema, HttpFilterSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { alpnFilter } from '../../../src/xds/translate/alpn.js';
import { get, startTestProxy, startXds } from '../_harness.js';
import { chain, hcm, listener, staticCluster } from './_e2e.js';
import { testPki } from './_pki.js';

/** `hcm(cluster)` with istio.alpn first, as the translator emits it. */
function hcmWithAlpn(cluster: string): Filter {
  const f = hcm(cluster);
  const m = anyUnpack(f.configType.value as never, HttpConnectionManagerSchema)!;
  m.httpFilters.unshift(create(HttpFilterSchema, alpnFilter()));
  return { ...f, configType: { case: 'typedConfig', value: anyPack(HttpConnectionManagerSchema, m) } } as Filter;
}

test('GIVEN HCMs with istio.alpn routing to two TLS clusters (alpn_protocols istio-peer-exchange, istio), one marked istio.alpn_override "false" WHEN a request goes through each THEN the unmarked cluster\'s connection offers istio-http/1.1, istio, http/1.1 and the marked one no override', async () => {
  const pki = await testPki();
  const cert = await pki.server('web.example.com');
  const offered: string[][] = [];
  const server = https.createServer({ cert: cert.certificateChainPem, key: cert.privateKeyPem, ALPNCallback: ({ protocols }) => { offered.push(protocols); return protocols.includes('http/1.1') ? 'http/1.1' : undefined; } } as https.ServerOptions, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const tlsCtx = { sni: 'web.example.com', commonTlsContext: { alpnProtocols: ['istio-peer-exchange', 'istio'], validationContext: { trustedCa: { inlineString: pki.ca.rootCertificatePem } } } };
  const marked = staticCluster('own', [port], { tls: tlsCtx });
  marked.metadata = { $typeName: 'envoy.config.core.v3.Metadata', filterMetadata: { istio: { alpn_override: 'false' } }, typedFilterMetadata: {} };
  const xds = await startXds({
    clusters: [staticCluster('mesh', [port], { tls: tlsCtx }), marked], endpoints: [], routes: [], secrets: [],
    listeners: [listener('to-mesh', [chain('c', {}, [hcmWithAlpn('mesh')])]), listener('to-own', [chain('c', {}, [hcmWithAlpn('own')])])],
  });
  const proxy = await startTestProxy(xds.port, { extensions: createExtensions() });
  try {
    await proxy.waitReady(30_000);
    assert.equal(proxy.ads.nacks.map((n) => n.message), []);
    const viaMesh = await get(proxy.listenerAddress('to-mesh')!.port, '/', { host: 'web' });
    assert.is(viaMesh.status, 200, JSON.stringify(viaMesh));
    assert.equal(offered, [['istio-http/1.1', 'istio', 'http/1.1']], 'the override for HTTP/1.1');
    const viaOwn = await get(proxy.listenerAddress('to-own')!.port, '/', { host: 'web' });
    assert.is(viaOwn.status, 200, JSON.stringify(viaOwn));
    assert.equal(offered.slice(1), [['http/1.1']], 'no override: the HTTP/1.1 pool\'s own ALPN');
  } finally {
    await proxy.close();
    await xds.close();
    server.closeAllConnections();
    server.close();
  }
});

test.run();
