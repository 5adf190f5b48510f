/**
 * Clusters: one Envoy `Cluster` per upstream (host, port, subset) the proxy's view needs, with the
 * DestinationRule traffic policy translated (Istio `pilot/pkg/networking/core/cluster*.go`).
 */
import type { JsonObject, JsonValue, MessageInitShape } from '@bufbuild/protobuf';
import { type Cluster, ClusterSchema, Cluster_CommonLbConfigSchema, Cluster_DiscoveryType, Cluster_DnsLookupFamily, Cluster_LbPolicy, Cluster_TransportSocketMatchSchema } from '../gen/envoy/config/cluster/v3/cluster_pb.js';
import { DurationSchema } from '@bufbuild/protobuf/wkt';
import { CircuitBreakersSchema } from '../gen/envoy/config/cluster/v3/circuit_breaker_pb.js';
import { OutlierDetectionSchema } from '../gen/envoy/config/cluster/v3/outlier_detection_pb.js';
import { RoutingPriority } from '../gen/envoy/config/core/v3/base_pb.js';
import { ConfigSourceSchema } from '../gen/envoy/config/core/v3/config_source_pb.js';
import { SubjectAltNameMatcher_SanType } from '../gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import { UpstreamTlsContextSchema } from '../gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { HttpProtocolOptionsSchema } from '../gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import { outboundClusterName, type ClientTlsView, type ClusterView, type LoadBalancerView, type Origin, type ProxyView, type ServiceView } from '../../mesh/view/index.js';
import { ADS_SOURCE, METADATA_NAMESPACE, duration, originJson } from './_common.js';
import { createMessage as create } from '../create-message.js';
import { packAny } from '../encode.js';
import { buildStaticLoadAssignment } from './endpoints.js';
import { type ClusterParts, FRESH_PARTS } from './_parts.js';
import { servicesByHost } from './_services-by-host.js';

export { type ClusterParts, FRESH_PARTS, SHARED_PARTS } from './_parts.js';

export { outboundClusterName };

const DISCOVERY: Record<ClusterView['discovery'], Cluster_DiscoveryType> = {
  EDS: Cluster_DiscoveryType.EDS, STRICT_DNS: Cluster_DiscoveryType.STRICT_DNS,
  LOGICAL_DNS: Cluster_DiscoveryType.LOGICAL_DNS, ORIGINAL_DST: Cluster_DiscoveryType.ORIGINAL_DST,
};

/** Where requests for unknown hosts go (Istio's `BlackHoleCluster`: STATIC, no endpoints, Envoy answers 503). */
export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';

/** Where ALLOW_ANY sends unknown hosts (Istio's `PassthroughCluster`: ORIGINAL_DST). */
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';

const TLS_SOCKET = 'envoy.transport_sockets.tls';
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/**
 * Every cluster of the view, sorted by name, plus `BlackHoleCluster`. EDS over ADS for services
 * (Kubernetes and ServiceEntry `STATIC` alike, endpoints from `buildClusterLoadAssignments`);
 * ServiceEntry `resolution: DNS` → `STRICT_DNS` and `DNS_ROUND_ROBIN` → `LOGICAL_DNS`, both with an
 * inline `load_assignment` of host names Envoy resolves (proxyless gRPC clients resolve neither:
 * grpc-js-xds wants EDS with IPs); `NONE` → `ORIGINAL_DST`; `PassthroughCluster` on sidecars.
 */
export function buildClusters(view: ProxyView, proxyless = false): Cluster[] {
  const services = servicesByHost(view);
  const client = outboundClient(view, proxyless);
  return [...view.clusters.map((c) => buildOutboundCluster(c, services.get(c.host), client)), ...buildDefaultClusters(view)];
}

/**
 * Who an outbound cluster is built for. istiod builds them alike but for two things: the upstream
 * protocol of a sniffed port (the downstream's on sidecars only, `setUpstreamProtocol`) and the
 * `lb_policy`s proxyless gRPC accepts.
 */
export type OutboundClient = 'sidecar' | 'proxyless' | 'router';

/** The {@link OutboundClient} of a view (`proxyless` applies to sidecars only). */
export function outboundClient(view: ProxyView, proxyless: boolean): OutboundClient {
  return view.proxy.type === 'router' ? 'router' : proxyless ? 'proxyless' : 'sidecar';
}

/** The clusters every proxy has besides its outbound ones: `BlackHoleCluster`, and `PassthroughCluster` on sidecars. */
export function buildDefaultClusters(view: ProxyView): Cluster[] {
  const out = [create(ClusterSchema, { name: BLACKHOLE_CLUSTER, clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.STATIC }, connectTimeout: duration(10_000) })];
  if (view.proxy.type === 'sidecar') {
    out.push(create(ClusterSchema, { name: PASSTHROUGH_CLUSTER, clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.ORIGINAL_DST }, lbPolicy: Cluster_LbPolicy.CLUSTER_PROVIDED, connectTimeout: duration(10_000) }));
  }
  return out;
}

/** A `Cluster` under construction: the init object `create(ClusterSchema, init)` turns into the message once. */
export type ClusterInit = MessageInitShape<typeof ClusterSchema> & { name: string };

/**
 * One outbound cluster `outbound|<port>|<subset>|<fqdn>` with its traffic policy, for `client`: a
 * proxyless gRPC client's `lb_policy` support is ROUND_ROBIN and RING_HASH only (grpc-js-xds 1.14
 * refuses LEAST_REQUEST): other simple policies become ROUND_ROBIN, as istiod's grpcgen does.
 * The message is created once from one init object (each `apply*` adds its concern to the init).
 */
export function buildOutboundCluster(c: ClusterView, service: ServiceView | undefined, client: OutboundClient = 'sidecar', parts: ClusterParts = FRESH_PARTS): Cluster {
  const p = c.policy;
  const pool = p.connectionPool;
  const name = outboundClusterName(c.port, c.subset, c.host);
  const cluster: ClusterInit = {
    name,
    clusterDiscoveryType: { case: 'type', value: DISCOVERY[c.discovery] },
    connectTimeout: parts.part(`duration ${pool.connectTimeoutMs}`, DurationSchema, () => create(DurationSchema, duration(pool.connectTimeoutMs))),
    circuitBreakers: parts.part(`circuitBreakers ${pool.maxConnections} ${pool.http1MaxPendingRequests} ${pool.http2MaxRequests} ${pool.maxRetries}`, CircuitBreakersSchema, () => create(CircuitBreakersSchema, {
      thresholds: [{
        priority: RoutingPriority.DEFAULT,
        maxConnections: pool.maxConnections,
        maxPendingRequests: pool.http1MaxPendingRequests,
        maxRequests: pool.http2MaxRequests,
        maxRetries: pool.maxRetries,
        trackRemaining: true,
      }],
    })),
    metadata: { filterMetadata: { [METADATA_NAMESPACE]: clusterMetadata(c, parts !== FRESH_PARTS) } },
  };
  if (c.discovery === 'EDS') cluster.edsClusterConfig = { edsConfig: parts.part('ads', ConfigSourceSchema, () => create(ConfigSourceSchema, ADS_SOURCE)), serviceName: name };
  if (c.discovery === 'STRICT_DNS' || c.discovery === 'LOGICAL_DNS') {
    // LOGICAL_DNS takes exactly one endpoint (Envoy refuses more): the first, as Istio validates.
    const eps = c.discovery === 'LOGICAL_DNS' ? (c.endpoints ?? []).slice(0, 1) : (c.endpoints ?? []);
    cluster.loadAssignment = buildStaticLoadAssignment(name, eps);
    cluster.dnsLookupFamily = Cluster_DnsLookupFamily.V4_ONLY;
  }
  applyLoadBalancer(cluster, p.loadBalancer);
  // ORIGINAL_DST (resolution NONE, or `simple: PASSTHROUGH`, which the view turns into it) needs CLUSTER_PROVIDED.
  if (c.discovery === 'ORIGINAL_DST') cluster.lbPolicy = Cluster_LbPolicy.CLUSTER_PROVIDED;
  if (client === 'proxyless' && cluster.lbPolicy !== Cluster_LbPolicy.RING_HASH) cluster.lbPolicy = Cluster_LbPolicy.ROUND_ROBIN;
  applyOutlierDetection(cluster, c, parts);
  applyHttpProtocolOptions(cluster, c, service, client === 'sidecar');
  applyUpstreamTls(cluster, c, p.tls, service?.serviceAccounts ?? [], parts);
  return create(ClusterSchema, cluster);
}

/** The metadata's `destinationRule` list per list of rule origins (the view shares one per rule), for read-only clusters. */
const RULE_ORIGINS = new WeakMap<readonly Origin[], JsonValue[]>();

function clusterMetadata(c: ClusterView, shared: boolean): JsonObject {
  const md: JsonObject = { host: c.host, port: c.port };
  if (c.subset) md.subset = c.subset;
  if (c.destinationRule) {
    const rules = c.destinationRule.rules;
    let list = shared ? RULE_ORIGINS.get(rules) : undefined;
    if (!list) {
      list = rules.map(originJson);
      if (shared) RULE_ORIGINS.set(rules, list);
    }
    md.destinationRule = list;
  }
  return md;
}

/**
 * `loadBalancer` → `lb_policy` (Istio `loadbalancer.go`): `simple` (default LEAST_REQUEST; PASSTHROUGH
 * → CLUSTER_PROVIDED, see {@link buildOutboundCluster}), `consistentHash` → RING_HASH with
 * `ringHash.minimumRingSize` (or the deprecated `minimumRingSize`, default 1024) or MAGLEV with
 * `maglev.tableSize`; `warmupDurationSecs` → `slow_start_config.slow_start_window` (ROUND_ROBIN, LEAST_REQUEST).
 */
export function applyLoadBalancer(cluster: ClusterInit, lb: LoadBalancerView): void {
  if (lb.consistentHash) {
    const ch = lb.consistentHash as { maglev?: { tableSize?: number }; minimumRingSize?: number; ringHash?: { minimumRingSize?: number } };
    if (ch.maglev !== undefined) {
      cluster.lbPolicy = Cluster_LbPolicy.MAGLEV;
      const table = typeof ch.maglev?.tableSize === 'number' ? ch.maglev.tableSize : undefined;
      if (table !== undefined) cluster.lbConfig = { case: 'maglevLbConfig', value: { tableSize: BigInt(table) } };
      return;
    }
    cluster.lbPolicy = Cluster_LbPolicy.RING_HASH;
    const size = ch.ringHash?.minimumRingSize ?? ch.minimumRingSize ?? 1024;
    cluster.lbConfig = { case: 'ringHashLbConfig', value: { minimumRingSize: BigInt(size) } };
    return;
  }
  const slowStart = lb.warmupDurationMs !== undefined ? { slowStartConfig: { slowStartWindow: duration(lb.warmupDurationMs) } } : undefined;
  switch ((lb.simple ?? 'LEAST_REQUEST').toUpperCase()) {
    case 'ROUND_ROBIN':
      cluster.lbPolicy = Cluster_LbPolicy.ROUND_ROBIN;
      if (slowStart) cluster.lbConfig = { case: 'roundRobinLbConfig', value: slowStart };
      break;
    case 'RANDOM': cluster.lbPolicy = Cluster_LbPolicy.RANDOM; break;
    case 'PASSTHROUGH': cluster.lbPolicy = Cluster_LbPolicy.CLUSTER_PROVIDED; break;
    default:
      cluster.lbPolicy = Cluster_LbPolicy.LEAST_REQUEST;
      if (slowStart) cluster.lbConfig = { case: 'leastRequestLbConfig', value: slowStart };
  }
}

/** Istio `OutlierDetection` → Envoy `outlier_detection`; gateway errors are enforced only when set. */
export function applyOutlierDetection(cluster: ClusterInit, c: ClusterView, parts: ClusterParts = FRESH_PARTS): void {
  const od = c.policy.outlierDetection;
  if (!od) return;
  const key = `${od.consecutive5xxErrors} ${od.consecutiveGatewayErrors} ${od.intervalMs} ${od.baseEjectionTimeMs} ${od.maxEjectionPercent} ${od.splitExternalLocalOriginErrors}`;
  cluster.outlierDetection = parts.part(`outlierDetection ${key}`, OutlierDetectionSchema, () => create(OutlierDetectionSchema, {
    consecutive5xx: od.consecutive5xxErrors,
    enforcingConsecutive5xx: od.consecutive5xxErrors > 0 ? 100 : 0,
    consecutiveGatewayFailure: od.consecutiveGatewayErrors,
    enforcingConsecutiveGatewayFailure: od.consecutiveGatewayErrors > 0 ? 100 : 0,
    interval: duration(od.intervalMs),
    baseEjectionTime: duration(od.baseEjectionTimeMs),
    maxEjectionPercent: od.maxEjectionPercent,
    enforcingSuccessRate: 0,
    splitExternalLocalOriginErrors: od.splitExternalLocalOriginErrors,
  }));
  // Istio's minHealthPercent is Envoy's panic threshold.
  cluster.commonLbConfig = parts.part(`commonLbConfig ${od.minHealthPercent}`, Cluster_CommonLbConfigSchema, () => create(Cluster_CommonLbConfigSchema, { healthyPanicThreshold: { value: od.minHealthPercent } }));
}

/**
 * Idle timeout, max requests per connection and the upstream protocol (istiod `setUpstreamProtocol`,
 * `applyH2Upgrade`): HTTP/2 for grpc/http2 ports, or http ports under h2UpgradePolicy UPGRADE; on a
 * sidecar, a sniffed port's cluster uses the downstream's protocol (`use_downstream_protocol_config`:
 * an HTTP/2 caller goes upstream as HTTP/2), which istiod sets before the traffic policy, so UPGRADE
 * leaves it as it is (`setH2Options` keeps options already set); otherwise HTTP/1.1.
 */
export function applyHttpProtocolOptions(cluster: ClusterInit, c: ClusterView, service: ServiceView | undefined, sidecar = true): void {
  const pool = c.policy.connectionPool;
  const port = service?.ports.find((p) => p.number === c.port);
  const protocol = port?.protocol;
  const h2 = protocol === 'GRPC' || protocol === 'HTTP2' || protocol === 'GRPC-Web' || (pool.h2UpgradePolicy === 'UPGRADE' && protocol === 'HTTP');
  const downstream = sidecar && !h2 && port?.sniffed === true;
  if (pool.idleTimeoutMs === null && pool.maxRequestsPerConnection === 0 && !h2 && !downstream) return;
  const opts = create(HttpProtocolOptionsSchema, {
    commonHttpProtocolOptions: {
      ...(pool.idleTimeoutMs !== null ? { idleTimeout: duration(pool.idleTimeoutMs) } : {}),
      ...(pool.maxRequestsPerConnection > 0 ? { maxRequestsPerConnection: pool.maxRequestsPerConnection } : {}),
    },
    upstreamProtocolOptions: downstream
      ? { case: 'useDownstreamProtocolConfig', value: { httpProtocolOptions: {}, http2ProtocolOptions: {} } }
      : { case: 'explicitHttpConfig', value: { protocolConfig: h2 ? { case: 'http2ProtocolOptions', value: {} } : { case: 'httpProtocolOptions', value: {} } } },
  });
  cluster.typedExtensionProtocolOptions = { [HTTP_OPTIONS]: packAny(HttpProtocolOptionsSchema, opts) };
}

/** SNI Istio uses for ISTIO_MUTUAL: `outbound_.<port>_.<subset>_.<fqdn>`. */
export function istioMutualSni(c: ClusterView): string {
  return `outbound_.${c.port}_.${c.subset ?? ''}_.${c.host}`;
}

/**
 * Client TLS: ISTIO_MUTUAL (SDS `default` certificate, `ROOTCA` validation), SIMPLE / MUTUAL (files
 * or SDS `credentialName`), AUTO (auto mTLS: ISTIO_MUTUAL toward endpoints labelled `tlsMode: istio`,
 * plaintext otherwise, through `transport_socket_matches`), DISABLE (nothing). ISTIO_MUTUAL and AUTO
 * verify the server's URI SAN: the DestinationRule's `subjectAltNames`, else `serviceAccounts` (the
 * SPIFFE ids behind the service, Istio `buildIstioMutualTLS`); with neither, any mesh certificate passes.
 */
export function applyUpstreamTls(cluster: ClusterInit, c: ClusterView, tls: ClientTlsView, serviceAccounts: readonly string[] = [], parts: ClusterParts = FRESH_PARTS): void {
  if (tls.mode === 'DISABLE') return;
  if (tls.mode === 'ISTIO_MUTUAL' || tls.mode === 'AUTO') {
    const sans = (tls.subjectAltNames ?? []).length > 0 ? tls.subjectAltNames! : serviceAccounts;
    const socket = { name: TLS_SOCKET, configType: { case: 'typedConfig' as const, value: packAny(UpstreamTlsContextSchema, istioMutualContext(c, tls, sans)) } };
    if (tls.mode === 'ISTIO_MUTUAL') { cluster.transportSocket = socket; return; }
    cluster.transportSocketMatches = [
      { name: 'tlsMode-istio', match: { tlsMode: 'istio' }, transportSocket: socket },
      parts.part('tlsMode-disabled', Cluster_TransportSocketMatchSchema, () => create(Cluster_TransportSocketMatchSchema, { name: 'tlsMode-disabled', match: {}, transportSocket: { name: 'envoy.transport_sockets.raw_buffer' } })),
    ];
    return;
  }
  const san = (tls.subjectAltNames ?? []).map((v) => ({ sanType: SubjectAltNameMatcher_SanType.DNS, matcher: { matchPattern: { case: 'exact' as const, value: v } } }));
  // Istio's ApplyCustomSDSToClientCommonTLSContext: with credentialName the client certificate (MUTUAL
  // only) and the CA (`<credentialName>-cacert`) come from SDS; else from files.
  const validation = tls.insecureSkipVerify ? { case: undefined }
    : tls.credentialName ? { case: 'combinedValidationContext' as const, value: { defaultValidationContext: { matchTypedSubjectAltNames: san }, validationContextSdsSecretConfig: { name: `kubernetes://${tls.credentialName}-cacert`, sdsConfig: ADS_SOURCE } } }
      : { case: 'validationContext' as const, value: { ...(tls.caCertificates ? { trustedCa: { specifier: { case: 'filename' as const, value: tls.caCertificates } } } : {}), matchTypedSubjectAltNames: san } };
  const ctx = create(UpstreamTlsContextSchema, {
    sni: tls.sni ?? '',
    commonTlsContext: {
      tlsCertificates: tls.mode === 'MUTUAL' && !tls.credentialName && tls.clientCertificate && tls.privateKey
        ? [{ certificateChain: { specifier: { case: 'filename', value: tls.clientCertificate } }, privateKey: { specifier: { case: 'filename', value: tls.privateKey } } }]
        : [],
      tlsCertificateSdsSecretConfigs: tls.mode === 'MUTUAL' && tls.credentialName ? [{ name: `kubernetes://${tls.credentialName}`, sdsConfig: ADS_SOURCE }] : [],
      validationContextType: validation,
    },
  });
  cluster.transportSocket = { name: TLS_SOCKET, configType: { case: 'typedConfig', value: packAny(UpstreamTlsContextSchema, ctx) } };
  // istiod `AddALPNOverrideToMetadata`: TLS the DestinationRule originates keeps its own ALPN (istio.alpn skips the cluster).
  if (tls.mode === 'SIMPLE' || tls.mode === 'MUTUAL') cluster.metadata = { ...cluster.metadata, filterMetadata: { ...cluster.metadata?.filterMetadata, istio: { alpn_override: 'false' } } };
}

function istioMutualContext(c: ClusterView, tls: ClientTlsView, sans: readonly string[]) {
  return create(UpstreamTlsContextSchema, {
    sni: tls.sni ?? istioMutualSni(c),
    commonTlsContext: {
      alpnProtocols: ['istio-peer-exchange', 'istio'],
      tlsCertificateSdsSecretConfigs: [{ name: 'default', sdsConfig: ADS_SOURCE }],
      validationContextType: {
        case: 'combinedValidationContext',
        value: {
          defaultValidationContext: { matchTypedSubjectAltNames: sans.map((san) => ({ sanType: SubjectAltNameMatcher_SanType.URI, matcher: { matchPattern: { case: 'exact' as const, value: san } } })) },
          validationContextSdsSecretConfig: { name: 'ROOTCA', sdsConfig: ADS_SOURCE },
        },
      },
    },
  });
}
