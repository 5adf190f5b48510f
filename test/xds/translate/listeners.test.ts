import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Any, anyUnpack } from '@bufbuild/protobuf/wkt';
import { buildProxyView, describeProxy, proxiesOf } from '../../../src/mesh/view/index.js';
import { FilterConfig_Protocol, FilterConfigSchema } from '../../../src/xds/gen/envoy/config/filter/http/alpn/v2alpha1/config_pb.js';
import { VirtualHost_TlsRequirementType } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { HttpConnectionManagerSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { DownstreamTlsContextSchema } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { deploy, gw, route, svc, vs } from '../../mesh/view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const REVIEWS = 'reviews.prod.svc.cluster.local';

test('GIVEN a sidecar WHEN translated THEN each HTTP port has 0.0.0.0_<port> with an HCM that takes RDS "<port>" over ADS, istio.alpn before fault and CORS, router last', () => {
  const set = translateProxy(buildProxyView(graphOf([svc('reviews', 'prod'), svc('db', 'prod', [{ port: 5432, name: 'tcp-pg' }])]), client), []);
  assert.equal(set.listeners.map((l) => l.name), ['0.0.0.0_5432', '0.0.0.0_9080']);
  const f = set.listeners[1]!.filterChains[0]!.filters[0]!;
  assert.is(f.configType.case, 'typedConfig');
  const hcm = anyUnpack(f.configType.value as Any, HttpConnectionManagerSchema)!;
  assert.equal([hcm.routeSpecifier.case, hcm.routeSpecifier.case === 'rds' && hcm.routeSpecifier.value.routeConfigName, hcm.routeSpecifier.case === 'rds' && hcm.routeSpecifier.value.configSource?.configSourceSpecifier.case], ['rds', '9080', 'ads']);
  assert.equal(hcm.httpFilters.map((h) => h.name), ['istio.alpn', 'envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
  const alpn = anyUnpack(hcm.httpFilters[0]!.configType.value as Any, FilterConfigSchema)!;
  assert.equal(alpn.alpnOverride.map((o) => [FilterConfig_Protocol[o.upstreamProtocol], o.alpnOverride]), [
    ['HTTP10', ['istio-http/1.0', 'istio', 'http/1.0']], ['HTTP11', ['istio-http/1.1', 'istio', 'http/1.1']], ['HTTP2', ['istio-h2', 'istio', 'h2']],
  ], 'istiod mtlsHTTP10ALPN, mtlsHTTP11ALPN, mtlsHTTP2ALPN');
  // The reviews pod's own inbound HTTP chains (a sidecar's inbound class): no istio.alpn.
  const server = translateProxy(buildProxyView(graphOf([svc('reviews', 'prod')]), describeProxy({ name: 'reviews', namespace: 'prod', labels: { app: 'reviews' } })), []);
  const inbound = server.listeners.find((l) => l.name === 'virtualInbound')!.filterChains.flatMap((c) => c.filters).filter((x) => x.name === 'envoy.filters.network.http_connection_manager')
    .map((x) => anyUnpack(x.configType.value as Any, HttpConnectionManagerSchema)!.httpFilters.map((h) => h.name));
  assert.ok(inbound.length > 0, 'the inbound listener has HTTP chains');
  for (const names of inbound) assert.equal(names, ['envoy.filters.http.router'], 'inbound HCMs: no istio.alpn');
  assert.is(set.listeners[0]!.filterChains[0]!.filters[0]!.name, 'envoy.filters.network.tcp_proxy');
});

test('GIVEN a proxyless gRPC node WHEN translated THEN listeners are api_listeners <fqdn>:<port> with route configurations of the same name', () => {
  const g = graphOf([svc('reviews', 'prod'), vs('reviews', 'prod', { hosts: ['reviews'], http: [{ route: [route('reviews')], timeout: '2s' }] })]);
  const set = translateProxy(buildProxyView(g, client), [], { proxyless: true });
  assert.equal(set.listeners.map((l) => [l.name, l.filterChains.length]), [[`${REVIEWS}:9080`, 0]]);
  const hcm = anyUnpack(set.listeners[0]!.apiListener!.apiListener!, HttpConnectionManagerSchema)!;
  assert.is(hcm.routeSpecifier.case === 'rds' && hcm.routeSpecifier.value.routeConfigName, `${REVIEWS}:9080`);
  assert.not.ok(hcm.httpFilters.some((h) => h.name === 'istio.alpn'), 'grpcgen builds no istio.alpn');
  assert.equal(set.routes.map((r) => [r.name, r.virtualHosts[0]!.domains]), [[`${REVIEWS}:9080`, [`${REVIEWS}:9080`, REVIEWS]]]);
});

test('GIVEN a Gateway with HTTP (httpsRedirect), SIMPLE and MUTUAL servers WHEN the router is translated THEN TLS chains match SNI and MUTUAL requires client certificates', () => {
  const g = graphOf([
    svc('reviews', 'prod'),
    deploy('ingress', 'istio-system', { istio: 'ingressgateway' }),
    gw('public', 'istio-system', [
      { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/shop.example.com'], tls: { httpsRedirect: true } },
      { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*/shop.example.com'], tls: { mode: 'SIMPLE', credentialName: 'shop-cert' } },
      { port: { number: 443, name: 'https-partner', protocol: 'HTTPS' }, hosts: ['*/partner.example.com'], tls: { mode: 'MUTUAL', credentialName: 'partner-cert' } },
    ]),
    vs('shop', 'prod', { hosts: ['shop.example.com', 'partner.example.com'], gateways: ['istio-system/public'], http: [{ route: [route('reviews')] }] }),
  ]);
  const router = proxiesOf(g).find((p) => p.type === 'router')!;
  const set = translateProxy(buildProxyView(g, router), []);
  assert.equal(set.listeners.map((l) => [l.name, l.filterChains.length, l.listenerFilters.map((f) => f.name)]), [
    ['0.0.0.0_80', 1, []], ['0.0.0.0_443', 2, ['envoy.filters.listener.tls_inspector']],
  ]);
  const https = set.listeners.find((l) => l.name === '0.0.0.0_443')!;
  const tls = https.filterChains.map((c) => [c.filterChainMatch?.serverNames, anyUnpack(c.transportSocket!.configType.value!, DownstreamTlsContextSchema)!]);
  assert.equal(tls.map(([names, ctx]) => [names, (ctx as { requireClientCertificate?: boolean }).requireClientCertificate, (ctx as { commonTlsContext?: { tlsCertificateSdsSecretConfigs: { name: string }[]; validationContextType: { case?: string } } }).commonTlsContext?.tlsCertificateSdsSecretConfigs[0]?.name, (ctx as { commonTlsContext?: { validationContextType: { case?: string } } }).commonTlsContext?.validationContextType.case]), [
    [['shop.example.com'], false, 'kubernetes://shop-cert', undefined],
    [['partner.example.com'], true, 'kubernetes://partner-cert', 'combinedValidationContext'],
  ]);
  const http80 = set.routes.find((r) => r.name === 'http.80')!;
  assert.equal(http80.virtualHosts.map((v) => [v.domains[0], v.requireTls]), [['shop.example.com', VirtualHost_TlsRequirementType.ALL]]);
  assert.equal(set.routes.map((r) => r.name).sort(), ['http.80', 'https.443.https-partner.public.istio-system', 'https.443.https.public.istio-system']);
});

test.run();
