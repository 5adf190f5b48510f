import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { TlsParameters_TlsProtocol } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import { VirtualHost_TlsRequirementType } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { checkSnapshot } from '../../../src/xds/snapshot-check.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import { graphOf } from '../../mesh/_graph.js';
import { assertRoundTrip } from './_roundtrip.js';
import { deploy, dr, gw, route, svc, vs } from '../../mesh/view-fixtures.js';
import { selectRoute, targetOf } from './_select.js';
import { checkFilterChains } from '../../../src/proxy/filter-chain-match.js';
import { downstreamTls, duplicateChainMatches, selectChain, tcpTarget } from './_chains.js';

const ingress = deploy('ingress', 'istio-system', { istio: 'ingressgateway' });
/** A Gateway server; its port name (unique per Gateway, as Istio's validation demands) is `<protocol>-<port>-<first host label>`. */
const server = (port: number, protocol: string, hosts: string[], tls?: Record<string, unknown>) => ({ port: { number: port, name: `${protocol.toLowerCase()}-${port}-${(hosts[0] ?? '').split('/').pop()!.split('.')[0]!.replace('*', 'any')}`, protocol }, hosts, ...(tls ? { tls } : {}) });
const translate = (objects: Record<string, unknown>[]) => {
  const g = graphOf([ingress, ...objects]);
  const set = translateProxy(buildProxyView(g, proxiesOf(g).find((p) => p.type === 'router')!), []);
  assert.equal(checkSnapshot(createSnapshot(set)), []);
  assert.equal(duplicateChainMatches(set.listeners), []);
  assertRoundTrip(set);
  return set;
};
const at = (sni?: string) => ({ ip: '192.0.2.1', port: 443, ...(sni !== undefined ? { sni } : {}) });

test('GIVEN a PASSTHROUGH server and tls routes WHEN translated THEN a chain per sniHosts forwards by tcp_proxy without terminating; a duplicate SNI is skipped; a wrong SNI matches nothing', () => {
  const set = translate([
    svc('a', 'prod', [{ port: 8443, name: 'tls' }]), svc('b', 'prod', [{ port: 8443, name: 'tls' }]),
    gw('pass', 'istio-system', [server(443, 'TLS', ['*/*.example.com'], { mode: 'PASSTHROUGH' })]),
    vs('a', 'prod', { hosts: ['a.example.com'], gateways: ['istio-system/pass'], tls: [{ match: [{ port: 443, sniHosts: ['a.example.com'] }], route: [{ destination: { host: 'a', port: { number: 8443 } }, weight: 75 }, { destination: { host: 'b', port: { number: 8443 } }, weight: 25 }] }] }),
    vs('b', 'prod', { hosts: ['b.example.com', 'a.example.com'], gateways: ['istio-system/pass'], tls: [
      { match: [{ sniHosts: ['b.example.com'] }], route: [route('b', { port: { number: 8443 } })] },
      { match: [{ sniHosts: ['a.example.com'] }], route: [route('b', { port: { number: 8443 } })] },
    ] }, { creationTimestamp: '2026-01-02T00:00:00Z' }),
  ]);
  const l = set.listeners.find((x) => x.name === '0.0.0.0_443')!;
  assert.equal(l.listenerFilters.map((f) => f.name), ['envoy.filters.listener.tls_inspector']);
  assert.is(tcpTarget(selectChain(set.listeners, at('a.example.com'))), 'outbound|8443||a.prod.svc.cluster.local=75,outbound|8443||b.prod.svc.cluster.local=25');
  assert.is(tcpTarget(selectChain(set.listeners, at('b.example.com'))), 'outbound|8443||b.prod.svc.cluster.local');
  assert.is(downstreamTls(selectChain(set.listeners, at('a.example.com'))), undefined, 'passthrough does not terminate');
  assert.is(selectChain(set.listeners, at('c.example.com')), undefined);
  assert.is(selectChain(set.listeners, at()), undefined);
});

test('GIVEN two TLS servers on one port that both declare the host a.example.com WHEN translated THEN the later server is skipped whole, as istiod MergeGateways does (CheckDuplicates: "duplicate host names"), so the listener has one chain per SNI and Envoy accepts it', () => {
  const simple = { mode: 'SIMPLE', credentialName: 'a-cert' };
  const set = translate([
    svc('a', 'prod', [{ port: 80, name: 'http' }]),
    gw('a', 'istio-system', [server(443, 'HTTPS', ['*/a.example.com'], simple), { ...server(443, 'HTTPS', ['*/a.example.com', '*/b.example.com'], simple), port: { number: 443, name: 'https-2', protocol: 'HTTPS' } }]),
    gw('c', 'istio-system', [server(443, 'HTTPS', ['*/c.example.com'], simple)]),
    vs('a', 'prod', { hosts: ['a.example.com', 'b.example.com', 'c.example.com'], gateways: ['istio-system/a', 'istio-system/c'], http: [{ route: [route('a')] }] }),
  ]);
  const l = set.listeners.find((x) => x.name === '0.0.0.0_443')!;
  assert.equal(l.filterChains.map((c) => [c.name, c.filterChainMatch?.serverNames]), [['https.443.https-443-a.a.istio-system', ['a.example.com']], ['https.443.https-443-c.c.istio-system', ['c.example.com']]]);
  assert.equal(checkFilterChains(l), []);
  assert.not.ok(set.routes.some((r) => r.name === 'https.443.https-2.a.istio-system'), set.routes.map((r) => r.name).join(' '));
  assert.is(selectChain(set.listeners, at('b.example.com')), undefined, 'b.example.com came only with the skipped server');
});

test('GIVEN a TLS server with host */a.example.com and a later one with a.example.com on the same port WHEN translated THEN the later one is skipped, as istiod compares the hosts after sanitizeServerHostNamespace drops the * namespace (CheckDuplicates)', () => {
  const simple = { mode: 'SIMPLE', credentialName: 'a-cert' };
  const set = translate([
    svc('a', 'prod', [{ port: 80, name: 'http' }]),
    gw('a', 'istio-system', [server(443, 'HTTPS', ['*/a.example.com'], simple)]),
    gw('c', 'istio-system', [server(443, 'HTTPS', ['a.example.com'], simple)]),
    vs('a', 'prod', { hosts: ['a.example.com'], gateways: ['istio-system/a', 'istio-system/c'], http: [{ route: [route('a')] }] }),
  ]);
  const l = set.listeners.find((x) => x.name === '0.0.0.0_443')!;
  assert.equal(l.filterChains.map((c) => [c.name, c.filterChainMatch?.serverNames]), [['https.443.https-443-a.a.istio-system', ['a.example.com']]]);
  assert.equal(checkFilterChains(l), []);
});

test('GIVEN Gateways a (created later) and b (created first) both serving a.example.com with TLS on port 443 WHEN translated THEN b\'s server is kept and a\'s skipped: istiod merges Gateways by creation time, then name (initGateways sortConfigByCreationTime)', () => {
  const simple = { mode: 'SIMPLE', credentialName: 'a-cert' };
  const born = (o: Record<string, unknown>, t: string) => ({ ...o, metadata: { ...(o.metadata as object), creationTimestamp: t } });
  const set = translate([
    svc('a', 'prod', [{ port: 80, name: 'http' }]),
    born(gw('a', 'istio-system', [server(443, 'HTTPS', ['a.example.com'], simple)]), '2024-01-05T00:00:00Z'),
    born(gw('b', 'istio-system', [server(443, 'HTTPS', ['a.example.com'], simple)]), '2024-01-02T00:00:00Z'),
    vs('a', 'prod', { hosts: ['a.example.com'], gateways: ['istio-system/a', 'istio-system/b'], http: [{ route: [route('a')] }] }),
  ]);
  const l = set.listeners.find((x) => x.name === '0.0.0.0_443')!;
  assert.equal(l.filterChains.map((c) => c.name), ['https.443.https-443-a.b.istio-system']);
});

test('GIVEN SIMPLE (files, TLS 1.2+, ciphers), MUTUAL (credentialName), OPTIONAL_MUTUAL and ISTIO_MUTUAL servers WHEN translated THEN each chain carries the DownstreamTlsContext Istio builds', () => {
  const set = translate([
    svc('web', 'prod'),
    gw('tls', 'istio-system', [
      server(443, 'HTTPS', ['*/simple.example.com'], { mode: 'SIMPLE', serverCertificate: '/etc/certs/tls.crt', privateKey: '/etc/certs/tls.key', minProtocolVersion: 'TLSV1_2', maxProtocolVersion: 'TLSV1_3', cipherSuites: ['ECDHE-RSA-AES256-GCM-SHA384'] }),
      server(443, 'HTTPS', ['*/mutual.example.com'], { mode: 'MUTUAL', credentialName: 'mutual-cred', subjectAltNames: ['spiffe://partner/client'] }),
      server(443, 'HTTPS', ['*/ca.example.com'], { mode: 'MUTUAL', credentialName: 'ca-cred', caCertCredentialName: 'partner-ca', caCrl: '/etc/certs/crl.pem', ecdhCurves: ['P-256'] }),
      server(443, 'HTTPS', ['*/optional.example.com'], { mode: 'OPTIONAL_MUTUAL', caCertificates: '/etc/certs/ca.crt', serverCertificate: '/etc/certs/tls.crt', privateKey: '/etc/certs/tls.key' }),
      server(443, 'HTTPS', ['*/mesh.example.com'], { mode: 'ISTIO_MUTUAL' }),
    ]),
    vs('web', 'prod', { hosts: ['*.example.com'], gateways: ['istio-system/tls'], http: [{ route: [route('web')] }] }),
  ]);
  const simple = downstreamTls(selectChain(set.listeners, at('simple.example.com')))!;
  assert.equal([simple.requireClientCertificate, simple.commonTlsContext?.tlsCertificates[0]?.certificateChain?.specifier, simple.commonTlsContext?.validationContextType.case],
    [false, { case: 'filename', value: '/etc/certs/tls.crt' }, undefined]);
  assert.equal([simple.commonTlsContext?.tlsParams?.tlsMinimumProtocolVersion, simple.commonTlsContext?.tlsParams?.tlsMaximumProtocolVersion, simple.commonTlsContext?.tlsParams?.cipherSuites],
    [TlsParameters_TlsProtocol.TLSv1_2, TlsParameters_TlsProtocol.TLSv1_3, ['ECDHE-RSA-AES256-GCM-SHA384']]);
  const mutual = downstreamTls(selectChain(set.listeners, at('mutual.example.com')))!;
  const mv = mutual.commonTlsContext?.validationContextType;
  assert.is(mutual.requireClientCertificate, true);
  assert.equal(mutual.commonTlsContext?.tlsCertificateSdsSecretConfigs.map((c) => c.name), ['kubernetes://mutual-cred']);
  assert.equal(mv?.case === 'combinedValidationContext' && [mv.value.validationContextSdsSecretConfig?.name, mv.value.defaultValidationContext?.matchSubjectAltNames.map((m) => m.matchPattern.value)], ['kubernetes://mutual-cred-cacert', ['spiffe://partner/client']]);
  assert.is(mutual.commonTlsContext?.tlsParams, undefined, 'no tls_params unless versions or ciphers are set');
  const ca = downstreamTls(selectChain(set.listeners, at('ca.example.com')))!;
  const cv = ca.commonTlsContext?.validationContextType;
  assert.equal([cv?.case === 'combinedValidationContext' && cv.value.validationContextSdsSecretConfig?.name, cv?.case === 'combinedValidationContext' && cv.value.defaultValidationContext?.crl?.specifier, ca.commonTlsContext?.tlsParams?.ecdhCurves],
    ['kubernetes://partner-ca', { case: 'filename', value: '/etc/certs/crl.pem' }, ['P-256']]);
  const optional = downstreamTls(selectChain(set.listeners, at('optional.example.com')))!;
  const ov = optional.commonTlsContext?.validationContextType;
  assert.equal([optional.requireClientCertificate, ov?.case === 'validationContext' && ov.value.trustedCa?.specifier], [false, { case: 'filename', value: '/etc/certs/ca.crt' }]);
  const mesh = downstreamTls(selectChain(set.listeners, at('mesh.example.com')))!;
  const iv = mesh.commonTlsContext?.validationContextType;
  assert.equal([mesh.requireClientCertificate, mesh.commonTlsContext?.tlsCertificateSdsSecretConfigs.map((c) => c.name), iv?.case === 'combinedValidationContext' && iv.value.validationContextSdsSecretConfig?.name], [true, ['default'], 'ROOTCA']);
  assert.is(selectChain(set.listeners, at('other.example.com')), undefined, 'no server covers this SNI');
});

test('GIVEN httpsRedirect on the plaintext server WHEN translated THEN each of its hosts redirects to https at route level (require_tls ALL too), while the HTTPS server still forwards', () => {
  const set = translate([
    svc('web', 'prod'),
    gw('web', 'istio-system', [
      server(80, 'HTTP', ['*/shop.example.com', '*/static.example.com'], { httpsRedirect: true }),
      server(80, 'HTTP', ['*/plain.example.com']),
      server(443, 'HTTPS', ['*/shop.example.com'], { mode: 'SIMPLE', credentialName: 'shop' }),
    ]),
    vs('web', 'prod', { hosts: ['shop.example.com', 'plain.example.com'], gateways: ['istio-system/web'], http: [{ route: [route('web')] }] }),
  ]);
  const http = set.routes.find((r) => r.name === 'http.80')!;
  const shop = selectRoute(http, { authority: 'shop.example.com', path: '/cart' })!;
  assert.equal([shop.action.case, shop.action.case === 'redirect' && shop.action.value.schemeRewriteSpecifier], ['redirect', { case: 'httpsRedirect', value: true }]);
  assert.is(http.virtualHosts.find((v) => v.domains.includes('shop.example.com'))!.requireTls, VirtualHost_TlsRequirementType.ALL);
  assert.is(targetOf(selectRoute(http, { authority: 'static.example.com', path: '/' })), 'redirect', 'a redirect host without VirtualService');
  assert.is(targetOf(selectRoute(http, { authority: 'plain.example.com', path: '/' })), 'outbound|9080||web.prod.svc.cluster.local', 'the other server is not redirected');
  const https = set.routes.find((r) => r.name.startsWith('https.443'))!;
  assert.is(targetOf(selectRoute(https, { authority: 'shop.example.com', path: '/cart' })), 'outbound|9080||web.prod.svc.cluster.local');
});

test('GIVEN a TCP server and a TLS server that terminates WHEN translated THEN both forward by tcp_proxy, the TLS one behind its context', () => {
  const set = translate([
    svc('db', 'prod', [{ port: 5432, name: 'tcp-pg' }]),
    gw('db', 'istio-system', [server(5432, 'TCP', ['*']), server(6432, 'TLS', ['*/db.example.com'], { mode: 'SIMPLE', credentialName: 'db' })]),
    vs('db', 'prod', { hosts: ['*'], gateways: ['istio-system/db'], tcp: [{ match: [{ port: 5432 }], route: [route('db')] }, { match: [{ port: 6432 }], route: [route('db')] }] }),
  ]);
  assert.is(tcpTarget(selectChain(set.listeners, { ip: '192.0.2.1', port: 5432 })), 'outbound|5432||db.prod.svc.cluster.local');
  const tls = selectChain(set.listeners, { ip: '192.0.2.1', port: 6432, sni: 'db.example.com' });
  assert.equal([tcpTarget(tls), downstreamTls(tls)?.commonTlsContext?.tlsCertificateSdsSecretConfigs[0]?.name], ['outbound|5432||db.prod.svc.cluster.local', 'kubernetes://db']);
});

test('GIVEN an AUTO_PASSTHROUGH server WHEN translated THEN a chain per mesh cluster (and subset) behind its hosts matches outbound_.<port>_.<subset>_.<fqdn>', () => {
  const set = translate([
    svc('reviews', 'prod'),
    dr('reviews', 'prod', { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }] }),
    gw('east-west', 'istio-system', [server(15443, 'TLS', ['*.local'], { mode: 'AUTO_PASSTHROUGH' })]),
  ]);
  const hit = (sni: string) => tcpTarget(selectChain(set.listeners, { ip: '192.0.2.1', port: 15443, sni }));
  assert.equal(set.listeners.find((l) => l.name === '0.0.0.0_15443')!.filterChains.map((c) => c.filterChainMatch?.applicationProtocols.includes('istio')), [true, true]);
  assert.is(hit('outbound_.9080_._.reviews.prod.svc.cluster.local'), 'outbound|9080||reviews.prod.svc.cluster.local');
  assert.is(hit('outbound_.9080_.v1_.reviews.prod.svc.cluster.local'), 'outbound|9080|v1|reviews.prod.svc.cluster.local');
  assert.is(hit('reviews.prod.svc.cluster.local'), 'none', 'only the Istio SNI form matches');
});



test('GIVEN an AuthorizationPolicy selecting the gateway pods WHEN translated THEN every HTTP chain of the gateway runs its RBAC filter first, then istio.alpn (istiod adds it for every class but SidecarInbound), router last; without the policy there is no RBAC', async () => {
  const { HttpConnectionManagerSchema } = await import('../../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js');
  const { anyUnpack } = await import('@bufbuild/protobuf/wkt');
  const objects = [
    svc('web', 'prod'),
    gw('web', 'istio-system', [server(80, 'HTTP', ['*/shop.example.com']), server(443, 'HTTPS', ['*/shop.example.com'], { mode: 'SIMPLE', credentialName: 'shop' })]),
    vs('web', 'prod', { hosts: ['shop.example.com'], gateways: ['istio-system/web'], http: [{ route: [route('web')] }] }),
  ];
  const deny = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'block-admin', namespace: 'istio-system' }, spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] } };
  const filtersOf = (set: ReturnType<typeof translate>) => set.listeners.flatMap((l) => l.filterChains).flatMap((c) => c.filters).filter((f) => f.name === 'envoy.filters.network.http_connection_manager')
    .map((f) => anyUnpack(f.configType.value as never, HttpConnectionManagerSchema)!.httpFilters.map((h) => h.name));
  const withPolicy = filtersOf(translate([...objects, deny]));
  assert.is(withPolicy.length, 2, 'the HTTP and the HTTPS chain');
  for (const names of withPolicy) assert.equal(names, ['envoy.filters.http.rbac', 'istio.alpn', 'envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
  for (const names of filtersOf(translate(objects))) assert.not.ok(names.includes('envoy.filters.http.rbac'));
});


test('GIVEN a DENY AuthorizationPolicy on the gateway WHEN TCP, PASSTHROUGH and AUTO_PASSTHROUGH servers are translated THEN the TCP and PASSTHROUGH chains run envoy.filters.network.rbac before tcp_proxy and name the rule, AUTO_PASSTHROUGH runs none (istiod buildCompleteNetworkFilters, builtAutoPassthroughFilterChains)', () => {
  const deny = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'block', namespace: 'istio-system' }, spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'DENY', rules: [{ from: [{ source: { ipBlocks: ['198.51.100.0/24'] } }] }] } };
  const objects = [
    svc('db', 'prod', [{ port: 5432, name: 'tcp-db' }]), svc('a', 'prod', [{ port: 8443, name: 'tls' }]),
    gw('edge', 'istio-system', [
      server(31400, 'TCP', ['*/db.example.com']),
      server(443, 'TLS', ['*/a.example.com'], { mode: 'PASSTHROUGH' }),
      server(15443, 'TLS', ['*.local'], { mode: 'AUTO_PASSTHROUGH' }),
    ]),
    vs('db', 'prod', { hosts: ['db.example.com'], gateways: ['istio-system/edge'], tcp: [{ route: [route('db', { port: { number: 5432 } })] }] }),
    vs('a', 'prod', { hosts: ['a.example.com'], gateways: ['istio-system/edge'], tls: [{ match: [{ sniHosts: ['a.example.com'] }], route: [route('a', { port: { number: 8443 } })] }] }),
  ];
  const names = (ch: ReturnType<typeof selectChain>) => ch?.filters.map((f) => f.name);
  const set = translate([...objects, deny]);
  const tcp = selectChain(set.listeners, { ip: '192.0.2.1', port: 31400 });
  const pass = selectChain(set.listeners, { ip: '192.0.2.1', port: 443, sni: 'a.example.com' });
  const auto = selectChain(set.listeners, { ip: '192.0.2.1', port: 15443, sni: 'outbound_.5432_._.db.prod.svc.cluster.local' });
  assert.equal(names(tcp), ['envoy.filters.network.rbac', 'envoy.filters.network.tcp_proxy']);
  assert.equal(names(pass), ['envoy.filters.network.rbac', 'envoy.filters.network.tcp_proxy']);
  assert.equal(names(auto), ['envoy.filters.network.tcp_proxy']);
  const rbac = (ch: typeof tcp) => Object.keys((ch!.metadata!.filterMetadata.meshproof as { rbac: Record<string, unknown> }).rbac);
  assert.equal(rbac(tcp), ['ns[istio-system]-policy[block]-rule[0]']);
  assert.equal(rbac(pass), ['ns[istio-system]-policy[block]-rule[0]']);
  assert.ok((tcp!.metadata!.filterMetadata.meshproof as { origin?: unknown }).origin, 'the route origin is kept next to the rules');
  // Without the policy, the chains are as before: tcp_proxy alone, no rules.
  const open = translate(objects);
  assert.equal(names(selectChain(open.listeners, { ip: '192.0.2.1', port: 31400 })), ['envoy.filters.network.tcp_proxy']);
  assert.is((selectChain(open.listeners, { ip: '192.0.2.1', port: 31400 })!.metadata!.filterMetadata.meshproof as { rbac?: unknown }).rbac, undefined);
});

test.run();
