/**
 * Outbound cluster fields as istiod's `cluster_traffic_policy.go` and `cluster_tls.go` set them, one
 * DestinationRule setting at a time, and where a TCP proxy takes its timeouts from (`networkfilter.go`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import type { Cluster } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { TcpProxySchema } from '../../../src/xds/gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { TlsParameters_TlsProtocol } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import { type UpstreamTlsContext, UpstreamTlsContextSchema } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { type HttpProtocolOptions, HttpProtocolOptionsSchema } from '../../../src/xds/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import { compileCluster } from '../../../src/proxy/config/cluster-config.js';
import { millis } from '../../../src/xds/translate/_common.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { dr, svc } from '../../mesh/view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const gateway = describeProxy({ type: 'router', name: 'egress', namespace: 'prod', labels: { istio: 'egressgateway' } });
const REVIEWS = 'reviews.prod.svc.cluster.local';
const PORTS = [{ port: 9080, name: 'http' }, { port: 9090, name: 'grpc' }, { port: 9000, name: 'tcp' }];

function translate(trafficPolicy: Record<string, unknown>, proxy = client, extra: Record<string, unknown> = {}) {
  return translateProxy(buildProxyView(graphOf([svc('reviews', 'prod', PORTS), dr('reviews', 'prod', { host: 'reviews', trafficPolicy, ...extra })]), proxy), []);
}

function cluster(trafficPolicy: Record<string, unknown>, port = 9080, proxy = client, extra: Record<string, unknown> = {}): Cluster {
  return translate(trafficPolicy, proxy, extra).clusters.find((c) => c.name === `outbound|${port}||${REVIEWS}`)!;
}

function httpOptions(c: Cluster): HttpProtocolOptions | undefined {
  const any = c.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
  return any ? anyUnpack(any, HttpProtocolOptionsSchema) : undefined;
}

function tlsOf(c: Cluster): UpstreamTlsContext | undefined {
  return c.transportSocket?.configType.case === 'typedConfig' ? anyUnpack(c.transportSocket.configType.value, UpstreamTlsContextSchema) : undefined;
}

test('GIVEN connectionPool tcp.idleTimeout and tcp.maxConnectionDuration WHEN translated THEN the cluster\'s common_http_protocol_options carry them (http.idleTimeout wins when both are set), as istiod applyConnectionPool', () => {
  const common = (pool: Record<string, unknown>) => {
    const o = httpOptions(cluster({ connectionPool: pool }))?.commonHttpProtocolOptions;
    return [millis(o?.idleTimeout), millis(o?.maxConnectionDuration)];
  };
  assert.equal(common({ tcp: { idleTimeout: '7s', maxConnectionDuration: '90s' } }), [7000, 90_000]);
  assert.equal(common({ tcp: { idleTimeout: '7s' }, http: { idleTimeout: '3s' } }), [3000, undefined]);
});

test('GIVEN http.maxConcurrentStreams and http2KeepAlive WHEN translated THEN only HTTP/2 clusters get them in http2_protocol_options; an HTTP/1.1 cluster still gets its common options', () => {
  const pool = { connectionPool: { http: { maxConcurrentStreams: 42, http2KeepAlive: { interval: '10s', timeout: '2s' }, maxRequestsPerConnection: 3 } } };
  const grpc = httpOptions(cluster(pool, 9090))!;
  const h2 = grpc.upstreamProtocolOptions.case === 'explicitHttpConfig' && grpc.upstreamProtocolOptions.value.protocolConfig.case === 'http2ProtocolOptions' ? grpc.upstreamProtocolOptions.value.protocolConfig.value : undefined;
  assert.equal([h2?.maxConcurrentStreams, millis(h2?.connectionKeepalive?.interval), millis(h2?.connectionKeepalive?.timeout)], [42, 10_000, 2000]);
  const http = httpOptions(cluster(pool, 9080))!;
  assert.equal([http.upstreamProtocolOptions.case === 'explicitHttpConfig' ? http.upstreamProtocolOptions.value.protocolConfig.case : '-', http.commonHttpProtocolOptions?.maxRequestsPerConnection], ['httpProtocolOptions', 3]);
});

test('GIVEN http.useClientProtocol on a grpc port WHEN translated THEN the cluster uses the downstream protocol (and no h2 upgrade); without pool settings an HTTP/1.1 cluster has no protocol options at all', () => {
  assert.is(httpOptions(cluster({ connectionPool: { http: { useClientProtocol: true, h2UpgradePolicy: 'UPGRADE' } } }, 9090))!.upstreamProtocolOptions.case, 'useDownstreamProtocolConfig');
  assert.is(httpOptions(cluster({ loadBalancer: { simple: 'ROUND_ROBIN' } }, 9080)), undefined);
});

test('GIVEN MeshConfig tcpKeepalive and a DestinationRule tcpKeepalive WHEN translated THEN upstream_connection_options.tcp_keepalive takes the mesh\'s fields, each overridden by the rule\'s (seconds), as istiod applyTCPKeepalive', () => {
  const mesh = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: 'tcpKeepalive:\n  probes: 9\n  time: 600s\n' } };
  const g = graphOf([mesh, svc('reviews', 'prod', PORTS), dr('reviews', 'prod', { host: 'reviews', trafficPolicy: { connectionPool: { tcp: { tcpKeepalive: { time: '30s', interval: '5s' } } } } })]);
  const c = translateProxy(buildProxyView(g, client), []).clusters.find((x) => x.name === `outbound|9000||${REVIEWS}`)!;
  const ka = c.upstreamConnectionOptions?.tcpKeepalive;
  assert.equal([ka?.keepaliveProbes, ka?.keepaliveTime, ka?.keepaliveInterval], [9, 30, 5]);
  assert.is(cluster({ loadBalancer: { simple: 'RANDOM' } }).upstreamConnectionOptions, undefined, 'neither sets one: none');
});

test('GIVEN outlierDetection settings WHEN translated THEN fields left out stay out (Envoy\'s defaults), maxEjectionPercent 0 is left out (Envoy\'s 10 %), a written 0 threshold is not enforced, local-origin failures count only when split', () => {
  const od = (o: Record<string, unknown>) => cluster({ outlierDetection: o }).outlierDetection!;
  const empty = od({});
  assert.equal([empty.consecutive5xx, empty.enforcingConsecutive5xx, empty.consecutiveGatewayFailure, empty.interval, empty.baseEjectionTime, empty.maxEjectionPercent, empty.enforcingSuccessRate], [undefined, undefined, undefined, undefined, undefined, undefined, 0]);
  assert.is(od({ maxEjectionPercent: 0 }).maxEjectionPercent, undefined);
  const zero = od({ consecutive5xxErrors: 0, consecutiveGatewayErrors: 3 });
  assert.equal([zero.consecutive5xx, zero.enforcingConsecutive5xx, zero.consecutiveGatewayFailure, zero.enforcingConsecutiveGatewayFailure], [0, 0, 3, 100]);
  const split = od({ splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 4 });
  assert.equal([split.splitExternalLocalOriginErrors, split.consecutiveLocalOriginFailure, split.enforcingConsecutiveLocalOriginFailure, split.enforcingLocalOriginSuccessRate], [true, 4, 100, 0]);
  const unsplit = od({ consecutiveLocalOriginFailures: 4 });
  assert.equal([unsplit.splitExternalLocalOriginErrors, unsplit.consecutiveLocalOriginFailure], [false, undefined]);
  assert.is(cluster({ outlierDetection: { minHealthPercent: 40 } }).commonLbConfig?.healthyPanicThreshold?.value, 40);
  assert.is(cluster({ outlierDetection: {} }).commonLbConfig?.healthyPanicThreshold?.value, 0, 'panic mode off by default');
});

test('GIVEN tls SIMPLE without sni, caCertificates or subjectAltNames WHEN translated THEN auto_sni and auto_san_validation are on, the CA is the system roots over SDS (file-root:system), TLS 1.2-1.3, no ALPN; on a grpc port ALPN h2', () => {
  const c = cluster({ tls: { mode: 'SIMPLE' } });
  const ctx = tlsOf(c)!;
  const v = ctx.commonTlsContext!.validationContextType;
  assert.equal([ctx.sni, v.case, v.case === 'combinedValidationContext' ? v.value.validationContextSdsSecretConfig?.name : '-'], ['', 'combinedValidationContext', 'file-root:system']);
  const p = ctx.commonTlsContext!.tlsParams!;
  assert.equal([p.tlsMinimumProtocolVersion, p.tlsMaximumProtocolVersion, ctx.commonTlsContext!.alpnProtocols], [TlsParameters_TlsProtocol.TLSv1_2, TlsParameters_TlsProtocol.TLSv1_3, []]);
  const up = httpOptions(c)!.upstreamHttpProtocolOptions!;
  assert.equal([up.autoSni, up.autoSanValidation], [true, true]);
  assert.equal(tlsOf(cluster({ tls: { mode: 'SIMPLE' } }, 9090))!.commonTlsContext!.alpnProtocols, ['h2']);
});

test('GIVEN tls SIMPLE with sni, or with subjectAltNames, or insecureSkipVerify WHEN translated THEN auto_sni only without sni, auto_san_validation only without both and without insecureSkipVerify, which also drops the CA', () => {
  const auto = (tls: Record<string, unknown>) => {
    const up = httpOptions(cluster({ tls: { mode: 'SIMPLE', ...tls } }))?.upstreamHttpProtocolOptions;
    return [up?.autoSni ?? false, up?.autoSanValidation ?? false];
  };
  assert.equal(auto({ sni: 'reviews.example.com' }), [false, false]);
  assert.equal(auto({ subjectAltNames: ['reviews.example.com'] }), [true, false]);
  assert.equal(auto({ insecureSkipVerify: true }), [true, false]);
  const v = tlsOf(cluster({ tls: { mode: 'SIMPLE', insecureSkipVerify: true } }))!.commonTlsContext!.validationContextType;
  assert.equal([v.case, v.case === 'validationContext' ? v.value.trustedCa : 'x'], ['validationContext', undefined]);
  const sans = tlsOf(cluster({ tls: { mode: 'SIMPLE', subjectAltNames: ['spiffe://x/y'] } }))!.commonTlsContext!.validationContextType;
  assert.equal(sans.case === 'combinedValidationContext' ? sans.value.defaultValidationContext?.matchSubjectAltNames.map((m) => m.matchPattern.value) : [], ['spiffe://x/y'], 'untyped: any SAN type matches');
});

test('GIVEN tls MUTUAL with files WHEN translated THEN the client certificate and CA come over SDS as the agent serves files (file-cert:<cert>~<key>, file-root:<ca>)', () => {
  const ctx = tlsOf(cluster({ tls: { mode: 'MUTUAL', clientCertificate: '/c.pem', privateKey: '/k.pem', caCertificates: '/ca.pem' } }))!;
  const v = ctx.commonTlsContext!.validationContextType;
  assert.equal([ctx.commonTlsContext!.tlsCertificateSdsSecretConfigs.map((s) => s.name), v.case === 'combinedValidationContext' ? v.value.validationContextSdsSecretConfig?.name : '-'], [['file-cert:/c.pem~/k.pem'], 'file-root:/ca.pem']);
});

test('GIVEN tls SIMPLE with credentialName in a DestinationRule without workloadSelector WHEN translated for a sidecar THEN the cluster is plaintext (istiod does not hand credentials to every sidecar); for a gateway, or from a rule with a workloadSelector, it uses the credential', () => {
  const tls = { tls: { mode: 'SIMPLE', credentialName: 'reviews-cred' } };
  assert.is(cluster(tls).transportSocket, undefined, 'sidecar, no workloadSelector');
  const gw = tlsOf(cluster(tls, 9080, gateway))!.commonTlsContext!.validationContextType;
  assert.is(gw.case === 'combinedValidationContext' ? gw.value.validationContextSdsSecretConfig?.name : '-', 'kubernetes://reviews-cred-cacert');
  assert.ok(tlsOf(cluster(tls, 9080, client, { workloadSelector: { matchLabels: { app: 'client' } } })), 'a rule selecting the client');
});

test('GIVEN ISTIO_MUTUAL on an http and a grpc port WHEN translated THEN ALPN is istio-peer-exchange, istio (plus h2 on the HTTP/2 cluster) and TLS 1.2-1.3', () => {
  const http = tlsOf(cluster({ tls: { mode: 'ISTIO_MUTUAL' } }))!.commonTlsContext!;
  const grpc = tlsOf(cluster({ tls: { mode: 'ISTIO_MUTUAL' } }, 9090))!.commonTlsContext!;
  assert.equal([http.alpnProtocols, grpc.alpnProtocols, http.tlsParams?.tlsMinimumProtocolVersion], [['istio-peer-exchange', 'istio'], ['istio-peer-exchange', 'istio', 'h2'], TlsParameters_TlsProtocol.TLSv1_2]);
});

test('GIVEN connectionPool limits WHEN the translated clusters are compiled by the reference proxy THEN its upstream pools get them (test/proxy/connection-limits proves them over sockets)', () => {
  const pool = { connectionPool: { tcp: { maxConnectionDuration: '90s' }, http: { maxConcurrentStreams: 42, http2KeepAlive: { interval: '10s', timeout: '2s' }, maxRequestsPerConnection: 3 } } };
  const grpc = compileCluster(cluster(pool, 9090));
  assert.equal([grpc.protocol, grpc.http2, grpc.maxRequestsPerConnection, grpc.maxConnectionDurationMs], ['http2', { maxConcurrentStreams: 42, keepalive: { intervalMs: 10_000, timeoutMs: 2000 } }, 3, 90_000]);
  const http = compileCluster(cluster(pool, 9080));
  assert.equal([http.protocol, http.http2.maxConcurrentStreams, http.maxConnectionDurationMs], ['http1', 2147483647, 90_000]);
});

test('GIVEN a DestinationRule whose top-level tcp pool sets idleTimeout and maxConnectionDuration (and a port-level one that differs) WHEN a sidecar\'s tcp listener is translated THEN tcp_proxy carries the top-level values, as istiod (port-level settings are not read there)', () => {
  const set = translate({
    connectionPool: { tcp: { idleTimeout: '45s', maxConnectionDuration: '10m' } },
    portLevelSettings: [{ port: { number: 9000 }, connectionPool: { tcp: { idleTimeout: '5s' } } }],
  });
  const proxies = set.listeners.flatMap((l) => l.filterChains).flatMap((fc) => fc.filters).filter((f) => f.name === 'envoy.filters.network.tcp_proxy')
    .map((f) => anyUnpack(f.configType.value as never, TcpProxySchema)!).filter((t) => t.clusterSpecifier.case === 'cluster' && t.clusterSpecifier.value === `outbound|9000||${REVIEWS}`);
  assert.ok(proxies.length > 0, 'a tcp_proxy to the tcp port');
  for (const t of proxies) assert.equal([millis(t.idleTimeout), millis(t.maxDownstreamConnectionDuration)], [45_000, 600_000]);
  assert.is(millis(httpOptions(set.clusters.find((c) => c.name === `outbound|9000||${REVIEWS}`)!)?.commonHttpProtocolOptions?.idleTimeout), 5000, 'the cluster takes the port-level pool');
});

test.run();
