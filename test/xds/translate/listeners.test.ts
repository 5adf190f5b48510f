import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Any, anyUnpack } from '@bufbuild/protobuf/wkt';
import { buildProxyView, describeProxy, proxiesOf } from '../../../src/mesh/view/index.js';
import { VirtualHost_TlsRequirementType } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { HttpConnectionManagerSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { DownstreamTlsContextSchema } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { deploy, gw, route, svc, vs } from '../../mesh/view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const REVIEWS = 'reviews.prod.svc.cluster.local';

test('GIVEN a sidecar WHEN translated THEN each HTTP port has 0.0.0.0_<port> with an HCM that takes RDS "<port>" over ADS, router last', () => {
  const set = translateProxy(buildProxyView(graphOf([svc('reviews', 'prod'), svc('db', 'prod', [{ port: 5432, name: 'tcp-pg' }])]), client), []);
  assert.equal(set.listeners.map((l) => l.name), ['0.0.0.0_5432', '0.0.0.0_9080']);
  const f = set.listeners[1]!.filterChains[0]!.filters[0]!;
  assert.is(f.configType.case, 'typedConfig');
  const hcm = anyUnpack(f.configType.value as Any, HttpConnectionManagerSchema)!;
  assert.equal([hcm.routeSpecifier.case, hcm.routeSpecifier.case === 'rds' && hcm.routeSpecifier.value.routeConfigName, hcm.routeSpecifier.case === 'rds' && hcm.routeSpecifier.value.configSource?.configSourceSpecifier.case], ['rds', '9080', 'ads']);
  assert.equal(hcm.httpFilters.map((h) => h.name), ['envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
  assert.is(set.listeners[0]!.filterChains[0]!.filters[0]!.name, 'envoy.filters.network.tcp_proxy');
});

test('GIVEN a proxyless gRPC node WHEN translated THEN listeners are api_listeners <fqdn>:<port> with route configurations of the same name', () => {
  const g = graphOf([svc('reviews', 'prod'), vs('reviews', 'prod', { hosts: ['reviews'], http: [{ route: [route('reviews')], timeout: '2s' }] })]);
  const set = translateProxy(buildProxyView(g, client), [], { proxyless: true });
  assert.equal(set.listeners.map((l) => [l.name, l.filterChains.length]), [[`${REVIEWS}:9080`, 0]]);
  const hcm = anyUnpack(set.listeners[0]!.apiListener!.apiListener!, HttpConnectionManagerSchema)!;
  assert.is(hcm.routeSpecifier.case === 'rds' && hcm.routeSpecifier.value.routeConfigName, `${REVIEWS}:9080`);
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
