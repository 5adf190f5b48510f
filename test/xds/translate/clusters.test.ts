import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { Cluster_DiscoveryType, Cluster_LbPolicy, type Cluster } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { HttpProtocolOptionsSchema } from '../../../src/xds/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import { UpstreamTlsContextSchema } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { deploy, dr, ns, svc } from '../../mesh/view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const REVIEWS = 'reviews.prod.svc.cluster.local';

function clusters(drSpec: Record<string, unknown>): Map<string, Cluster> {
  const set = translateProxy(buildProxyView(graphOf([svc('reviews', 'prod'), dr('reviews', 'prod', { host: 'reviews', ...drSpec })]), client), []);
  return new Map(set.clusters.map((c) => [c.name, c]));
}

test('GIVEN a service WHEN translated THEN its cluster is EDS over ADS, named outbound|<port>|<subset>|<fqdn>, LEAST_REQUEST, unlimited circuit breakers', () => {
  const set = translateProxy(buildProxyView(graphOf([svc('reviews', 'prod')]), client), []);
  const c = set.clusters.find((x) => x.name === `outbound|9080||${REVIEWS}`)!;
  assert.ok(c, set.clusters.map((x) => x.name).join(', '));
  assert.equal([c.clusterDiscoveryType, c.edsClusterConfig?.serviceName, c.edsClusterConfig?.edsConfig?.configSourceSpecifier.case, c.lbPolicy],
    [{ case: 'type', value: Cluster_DiscoveryType.EDS }, c.name, 'ads', Cluster_LbPolicy.LEAST_REQUEST]);
  assert.is(c.circuitBreakers!.thresholds[0]!.maxConnections, 2 ** 32 - 1);
  assert.is(c.outlierDetection, undefined);
  assert.equal(set.clusters.map((x) => x.name).filter((n) => !n.startsWith('outbound|')), ['BlackHoleCluster', 'PassthroughCluster']);
});

test('GIVEN a DestinationRule with connectionPool, outlierDetection and a ring-hash subset WHEN translated THEN the clusters carry circuit breakers, ejection and RING_HASH', () => {
  const cs = clusters({
    trafficPolicy: {
      connectionPool: { tcp: { maxConnections: 10, connectTimeout: '2s' }, http: { http1MaxPendingRequests: 5, http2MaxRequests: 20, maxRetries: 3, idleTimeout: '30s', maxRequestsPerConnection: 7 } },
      outlierDetection: { consecutive5xxErrors: 3, interval: '5s', baseEjectionTime: '1m', maxEjectionPercent: 50 },
    },
    subsets: [{ name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user', minimumRingSize: 2048 } } } }],
  });
  const top = cs.get(`outbound|9080||${REVIEWS}`)!;
  const t = top.circuitBreakers!.thresholds[0]!;
  assert.equal([t.maxConnections, t.maxPendingRequests, t.maxRequests, t.maxRetries, top.connectTimeout?.seconds], [10, 5, 20, 3, 2n]);
  const od = top.outlierDetection!;
  assert.equal([od.consecutive5xx, od.interval?.seconds, od.baseEjectionTime?.seconds, od.maxEjectionPercent], [3, 5n, 60n, 50]);
  assert.ok(top.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'], 'idle timeout and max requests per connection go to HttpProtocolOptions');
  const v2 = cs.get(`outbound|9080|v2|${REVIEWS}`)!;
  assert.equal([v2.lbPolicy, v2.lbConfig.case, v2.lbConfig.case === 'ringHashLbConfig' ? v2.lbConfig.value.minimumRingSize : null], [Cluster_LbPolicy.RING_HASH, 'ringHashLbConfig', 2048n]);
  assert.is(v2.circuitBreakers!.thresholds[0]!.maxConnections, 10, 'the subset inherits the top-level pool');
});

test('GIVEN tls ISTIO_MUTUAL and SIMPLE WHEN translated THEN the upstream TLS context uses SDS default/ROOTCA, or the given SNI and the CA file as the agent serves it (SDS file-root:<path>)', () => {
  const cs = clusters({
    trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
    subsets: [{ name: 'ext', labels: { version: 'ext' }, trafficPolicy: { tls: { mode: 'SIMPLE', sni: 'reviews.example.com', caCertificates: '/etc/ca.pem' } } }],
  });
  const mtls = anyUnpack(cs.get(`outbound|9080||${REVIEWS}`)!.transportSocket!.configType.value!, UpstreamTlsContextSchema)!;
  assert.equal([mtls.sni, mtls.commonTlsContext?.tlsCertificateSdsSecretConfigs[0]?.name, mtls.commonTlsContext?.validationContextType.case], [`outbound_.9080_._.${REVIEWS}`, 'default', 'combinedValidationContext']);
  const simple = anyUnpack(cs.get(`outbound|9080|ext|${REVIEWS}`)!.transportSocket!.configType.value!, UpstreamTlsContextSchema)!;
  const vc = simple.commonTlsContext?.validationContextType;
  assert.equal([simple.sni, vc?.case, vc?.case === 'combinedValidationContext' ? vc.value.validationContextSdsSecretConfig?.name : null], ['reviews.example.com', 'combinedValidationContext', 'file-root:/etc/ca.pem']);
});

test('GIVEN DestinationRule TLS SIMPLE, MUTUAL, ISTIO_MUTUAL and none WHEN translated THEN only the SIMPLE and MUTUAL clusters carry istio metadata alpn_override "false", so istio.alpn leaves their ALPN alone (istiod AddALPNOverrideToMetadata)', () => {
  const cs = clusters({
    trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
    subsets: [
      { name: 'simple', labels: { version: 'simple' }, trafficPolicy: { tls: { mode: 'SIMPLE', sni: 'reviews.example.com' } } },
      { name: 'mutual', labels: { version: 'mutual' }, trafficPolicy: { tls: { mode: 'MUTUAL', clientCertificate: '/etc/c.pem', privateKey: '/etc/k.pem' } } },
      { name: 'mesh', labels: { version: 'mesh' } },
    ],
  });
  const istio = (subset: string) => cs.get(`outbound|9080|${subset}|${REVIEWS}`)!.metadata?.filterMetadata.istio;
  assert.equal(['', 'simple', 'mutual', 'mesh'].map((s) => [s, istio(s)]), [['', undefined], ['simple', { alpn_override: 'false' }], ['mutual', { alpn_override: 'false' }], ['mesh', undefined]]);
  assert.ok(cs.get(`outbound|9080|simple|${REVIEWS}`)!.metadata?.filterMetadata.meshproof, 'the meshproof metadata stays');
});

test('GIVEN no DestinationRule TLS WHEN translated THEN auto mTLS is transport_socket_matches (per endpoint), except external, DISABLE namespaces and passthrough, as istiod', () => {
  const pa = (namespace: string, mode: string, selector?: Record<string, string>) => ({
    apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: `pa-${namespace}-${mode}`, namespace },
    spec: { ...(selector ? { selector: { matchLabels: selector } } : {}), mtls: { mode } },
  });
  const se = (resolution: string, location = 'MESH_INTERNAL') => ({
    apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'reviews', namespace: 'prod' },
    spec: { hosts: [REVIEWS], location, resolution, ports: [{ number: 9080, name: 'http', protocol: 'HTTP' }], ...(resolution === 'STATIC' ? { endpoints: [{ address: '10.0.0.9' }] } : {}), workloadSelector: resolution === 'NONE' ? { labels: { app: 'reviews' } } : undefined },
  });
  const matches = 'matches:tlsMode-istio,tlsMode-disabled';
  const table: [string, Record<string, unknown>[], string][] = [
    ['membership unknown', [svc('reviews', 'prod')], matches],
    ['sidecars behind the service', [ns('prod'), svc('reviews', 'prod'), deploy('reviews', 'prod', { app: 'reviews' })], matches],
    ['no sidecar behind the service', [ns('prod', {}), svc('reviews', 'prod'), deploy('reviews', 'prod', { app: 'reviews' })], matches],
    ['namespace PeerAuthentication DISABLE', [ns('prod'), svc('reviews', 'prod'), deploy('reviews', 'prod', { app: 'reviews' }), pa('prod', 'DISABLE')], 'plaintext'],
    ['mesh PeerAuthentication DISABLE', [ns('prod'), svc('reviews', 'prod'), pa('istio-system', 'DISABLE')], 'plaintext'],
    ['mesh DISABLE, namespace STRICT', [ns('prod'), svc('reviews', 'prod'), pa('istio-system', 'DISABLE'), pa('prod', 'STRICT')], matches],
    ['workload-level DISABLE (istiod reads namespace level only)', [ns('prod'), svc('reviews', 'prod'), pa('prod', 'DISABLE', { app: 'reviews' })], matches],
    ['MESH_EXTERNAL ServiceEntry', [se('STATIC', 'MESH_EXTERNAL')], 'plaintext'],
    ['MESH_INTERNAL STATIC ServiceEntry', [se('STATIC')], matches],
    ['passthrough (resolution NONE), sidecars behind it', [ns('prod'), se('NONE'), deploy('reviews', 'prod', { app: 'reviews' })], 'socket:envoy.transport_sockets.tls'],
    ['passthrough (resolution NONE), no sidecar', [ns('prod', {}), se('NONE'), deploy('reviews', 'prod', { app: 'reviews' })], 'plaintext'],
  ];
  for (const [what, bodies, want] of table) {
    const c = translateProxy(buildProxyView(graphOf(bodies), client), []).clusters.find((x) => x.name === `outbound|9080||${REVIEWS}`);
    assert.ok(c, `${what}: cluster exists`);
    const got = c.transportSocketMatches.length > 0 ? `matches:${c.transportSocketMatches.map((m) => m.name).join(',')}` : c.transportSocket ? `socket:${c.transportSocket.name}` : 'plaintext';
    assert.is(got, want, what);
  }
});

test('GIVEN workloads with and without the sidecar label WHEN endpoints are translated THEN only tlsMode istio endpoints carry envoy.transport_socket_match metadata', () => {
  const g = graphOf([ns('prod'), svc('reviews', 'prod'), deploy('reviews', 'prod', { app: 'reviews' })]);
  const set = translateProxy(buildProxyView(g, client), [
    { name: 'with', namespace: 'prod', address: '10.0.0.1', labels: { app: 'reviews', 'security.istio.io/tlsMode': 'istio' }, ports: {} },
    { name: 'without', namespace: 'prod', address: '10.0.0.2', labels: { app: 'reviews' }, ports: {} },
    { name: 'disabled', namespace: 'prod', address: '10.0.0.3', labels: { app: 'reviews', 'security.istio.io/tlsMode': 'disabled' }, ports: {} },
  ]);
  const cla = set.endpoints.find((e) => e.clusterName === `outbound|9080||${REVIEWS}`)!;
  const meta = cla.endpoints.flatMap((l) => l.lbEndpoints).map((e) => {
    const a = e.hostIdentifier.case === 'endpoint' ? e.hostIdentifier.value.address?.address : undefined;
    return [a?.case === 'socketAddress' ? a.value.address : '?', e.metadata?.filterMetadata['envoy.transport_socket_match'] ?? null];
  });
  assert.equal(meta, [['10.0.0.1', { tlsMode: 'istio' }], ['10.0.0.2', null], ['10.0.0.3', null]]);
});

/** The upstream protocol a cluster's HttpProtocolOptions choose: `downstream`, `h2`, `http1`, or `-` without options. */
function upstreamProtocol(c: Cluster): string {
  const any = c.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
  const up = any ? anyUnpack(any, HttpProtocolOptionsSchema)!.upstreamProtocolOptions : undefined;
  if (!up) return '-';
  if (up.case === 'useDownstreamProtocolConfig') return up.value.httpProtocolOptions && up.value.http2ProtocolOptions ? 'downstream' : 'downstream without h1/h2 options';
  return up.case === 'explicitHttpConfig' && up.value.protocolConfig.case === 'http2ProtocolOptions' ? 'h2' : 'http1';
}

test('GIVEN a service with a sniffed port (named "web"), an http, a grpc and a tcp port WHEN translated for a sidecar, a proxyless client and a gateway THEN only the sidecar\'s sniffed-port cluster uses the downstream protocol (istiod setUpstreamProtocol), also under h2UpgradePolicy UPGRADE; grpc is h2 everywhere; a rule\'s UPGRADE makes the tcp port h2 too (istiod shouldH2Upgrade trusts the rule)', () => {
  const ports = [{ port: 8080, name: 'web' }, { port: 9080, name: 'http' }, { port: 9090, name: 'grpc' }, { port: 9000, name: 'tcp' }];
  const protocolsOf = (proxy: ReturnType<typeof describeProxy>, drSpec?: Record<string, unknown>, proxyless = false) => {
    const g = graphOf([svc('reviews', 'prod', ports), ...(drSpec ? [dr('reviews', 'prod', { host: 'reviews', ...drSpec })] : [])]);
    const set = translateProxy(buildProxyView(g, proxy), [], { proxyless });
    return ports.map((p) => upstreamProtocol(set.clusters.find((c) => c.name === `outbound|${p.port}||${REVIEWS}`)!));
  };
  assert.equal(protocolsOf(client), ['downstream', '-', 'h2', '-'], 'sidecar');
  assert.equal(protocolsOf(client, { trafficPolicy: { connectionPool: { http: { h2UpgradePolicy: 'UPGRADE' } } } }), ['downstream', 'h2', 'h2', 'h2'], 'UPGRADE leaves the sniffed port as it is (setH2Options keeps options already set)');
  assert.equal(protocolsOf(client, undefined, true), ['-', '-', 'h2', '-'], 'proxyless (grpcgen sets no protocol options)');
  const gateway = describeProxy({ type: 'router', name: 'ingress', namespace: 'istio-system', labels: { istio: 'ingressgateway' } });
  assert.equal(protocolsOf(gateway), ['-', '-', 'h2', '-'], 'gateway: no use_downstream_protocol (protocol detection is off there)');
});

test('GIVEN two DestinationRules for one host in its namespace with different exportTo WHEN sidecars in web and in another namespace are translated THEN each gets the clusters of the one rule exported to it, not a merge (istiod ENABLE_ENHANCED_DESTINATIONRULE_MERGE)', () => {
  const graph = graphOf([
    svc('reviews', 'prod'),
    dr('reviews-versions', 'prod', { host: 'reviews', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } }, subsets: [{ name: 'v1', labels: { version: 'v1' } }] }),
    dr('reviews-web', 'prod', { host: 'reviews', exportTo: ['web'], trafficPolicy: { connectionPool: { tcp: { maxConnections: 10 } } } }),
  ]);
  const of = (namespace: string) => new Map(translateProxy(buildProxyView(graph, describeProxy({ name: 'client', namespace, labels: { app: 'client' } })), []).clusters.map((c) => [c.name, c]));
  const web = of('web');
  const top = web.get(`outbound|9080||${REVIEWS}`)!;
  assert.equal([top.lbPolicy, top.circuitBreakers!.thresholds[0]!.maxConnections, web.has(`outbound|9080|v1|${REVIEWS}`)], [Cluster_LbPolicy.LEAST_REQUEST, 10, false]);
  const other = of('other');
  const otherTop = other.get(`outbound|9080||${REVIEWS}`)!;
  assert.equal([otherTop.lbPolicy, otherTop.circuitBreakers!.thresholds[0]!.maxConnections, other.has(`outbound|9080|v1|${REVIEWS}`)], [Cluster_LbPolicy.RANDOM, 2 ** 32 - 1, true]);
});

test.run();
