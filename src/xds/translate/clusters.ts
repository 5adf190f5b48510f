/**
 * Clusters: one Envoy `Cluster` per upstream (host, port, subset) the proxy's view needs, with the
 * DestinationRule traffic policy translated (Istio `pilot/pkg/networking/core/cluster*.go`).
 */
import type { JsonObject, JsonValue, MessageInitShape } from '@bufbuild/protobuf';
import { type Cluster, ClusterSchema, Cluster_CommonLbConfigSchema, Cluster_DiscoveryType, Cluster_DnsLookupFamily, Cluster_LbPolicy, Cluster_TransportSocketMatchSchema } from '../gen/envoy/config/cluster/v3/cluster_pb.js';
import { AnySchema, DurationSchema } from '@bufbuild/protobuf/wkt';
import { CircuitBreakersSchema } from '../gen/envoy/config/cluster/v3/circuit_breaker_pb.js';
import { OutlierDetectionSchema } from '../gen/envoy/config/cluster/v3/outlier_detection_pb.js';
import { RoutingPriority } from '../gen/envoy/config/core/v3/base_pb.js';
import { ConfigSourceSchema } from '../gen/envoy/config/core/v3/config_source_pb.js';
import { HttpProtocolOptionsSchema } from '../gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import { outboundClusterName, type ClusterView, type LoadBalancerView, type Origin, type OutlierOptionalField, type ProxyView, type ServiceView } from '../../mesh/view/index.js';
import { applyUpstreamTls, type HttpOptionsInit, httpOptionsMessageInit } from './cluster-tls.js';
import { ADS_SOURCE, METADATA_NAMESPACE, duration, originJson } from './_common.js';
import { createMessage as create } from '../create-message.js';
import { packAny } from '../encode.js';
import { buildStaticLoadAssignment } from './endpoints.js';
import { type ClusterParts, FRESH_PARTS } from './_parts.js';
import { servicesByHost } from './_services-by-host.js';

export { type ClusterParts, FRESH_PARTS, SHARED_PARTS } from './_parts.js';

export { outboundClusterName };
export { istioMutualSni } from './cluster-tls.js';

const DISCOVERY: Record<ClusterView['discovery'], Cluster_DiscoveryType> = {
  EDS: Cluster_DiscoveryType.EDS, STRICT_DNS: Cluster_DiscoveryType.STRICT_DNS,
  LOGICAL_DNS: Cluster_DiscoveryType.LOGICAL_DNS, ORIGINAL_DST: Cluster_DiscoveryType.ORIGINAL_DST,
};

/** Where requests for unknown hosts go (Istio's `BlackHoleCluster`: STATIC, no endpoints, Envoy answers 503). */
export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';

/** Where ALLOW_ANY sends unknown hosts (Istio's `PassthroughCluster`: ORIGINAL_DST). */
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';

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

/** The clusters every proxy has besides its outbound ones: `BlackHoleCluster`, and `PassthroughCluster` on sidecars, with MeshConfig's `connectTimeout`. */
export function buildDefaultClusters(view: ProxyView): Cluster[] {
  const out = [create(ClusterSchema, { name: BLACKHOLE_CLUSTER, clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.STATIC }, connectTimeout: duration(view.connectTimeoutMs) })];
  if (view.proxy.type === 'sidecar') {
    out.push(create(ClusterSchema, { name: PASSTHROUGH_CLUSTER, clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.ORIGINAL_DST }, lbPolicy: Cluster_LbPolicy.CLUSTER_PROVIDED, connectTimeout: duration(view.connectTimeoutMs) }));
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
  // istiod's order: the port's protocol (buildCluster), then the traffic policy: h2 upgrade,
  // connection pool, TLS (which reads whether the cluster ended up HTTP/2).
  let http = upstreamProtocol(c, service, client === 'sidecar');
  http = applyConnectionPool(cluster, c, http);
  const http2 = http?.upstreamProtocolOptions?.case === 'explicitHttpConfig' && http.upstreamProtocolOptions.value.protocolConfig.case === 'http2ProtocolOptions';
  http = applyUpstreamTls(cluster, c, p.tls, service?.serviceAccounts ?? [], { sidecar: client !== 'router', serviceEntry: service?.kind === 'ServiceEntry', http2 }, http, parts);
  if (http) {
    // Envoy requires an upstream protocol: HTTP/1.1 when nothing chose one (istiod `clusterWrapper.build`).
    const init = http.upstreamProtocolOptions ? http : { ...http, upstreamProtocolOptions: H1_EXPLICIT };
    // Most clusters carry the same options: packed once per content when parts are shared.
    const options = httpOptionsMessageInit(init);
    cluster.typedExtensionProtocolOptions = { [HTTP_OPTIONS]: parts.part(`httpOptions ${JSON.stringify(options, bigintText)}`, AnySchema, () => packAny(HttpProtocolOptionsSchema, create(HttpProtocolOptionsSchema, options))) };
  }
  return create(ClusterSchema, cluster);
}

/** A JSON.stringify replacer for keys: durations hold `bigint` seconds. */
const bigintText = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);

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

/**
 * Istio `OutlierDetection` → Envoy `outlier_detection` (istiod `applyOutlierDetection`): success-rate
 * ejection off; a field left out of the rule is left out here too (Envoy's default applies:
 * `consecutive_5xx` 5 enforced, gateway failures counted but not enforced, interval 10 s, base
 * ejection 30 s, max ejection 10 %, which a written 0 also gets); a written threshold is enforced
 * 100 % (0 % when it is 0); local-origin errors split only on request, their threshold enforced when
 * given. `minHealthPercent` is always sent as the panic threshold (default 0: panic mode off).
 */
export function applyOutlierDetection(cluster: ClusterInit, c: ClusterView, parts: ClusterParts = FRESH_PARTS): void {
  const od = c.policy.outlierDetection;
  if (!od) return;
  const set = (f: OutlierOptionalField) => !od.unset.includes(f);
  const key = `${od.consecutive5xxErrors} ${od.consecutiveGatewayErrors} ${od.intervalMs} ${od.baseEjectionTimeMs} ${od.maxEjectionPercent} ${od.splitExternalLocalOriginErrors} ${od.consecutiveLocalOriginFailures} ${od.unset.join(',')}`;
  cluster.outlierDetection = parts.part(`outlierDetection ${key}`, OutlierDetectionSchema, () => create(OutlierDetectionSchema, {
    ...(set('consecutive5xxErrors') ? { consecutive5xx: od.consecutive5xxErrors, enforcingConsecutive5xx: od.consecutive5xxErrors > 0 ? 100 : 0 } : {}),
    ...(set('interval') ? { interval: duration(od.intervalMs) } : {}),
    ...(set('baseEjectionTime') ? { baseEjectionTime: duration(od.baseEjectionTimeMs) } : {}),
    ...(set('maxEjectionPercent') ? { maxEjectionPercent: od.maxEjectionPercent } : {}),
    enforcingSuccessRate: 0,
    ...(set('consecutiveGatewayErrors') ? { consecutiveGatewayFailure: od.consecutiveGatewayErrors, enforcingConsecutiveGatewayFailure: od.consecutiveGatewayErrors > 0 ? 100 : 0 } : {}),
    ...(od.splitExternalLocalOriginErrors ? {
      splitExternalLocalOriginErrors: true,
      ...(od.consecutiveLocalOriginFailures > 0 ? { consecutiveLocalOriginFailure: od.consecutiveLocalOriginFailures, enforcingConsecutiveLocalOriginFailure: 100 } : {}),
      enforcingLocalOriginSuccessRate: 0,
    } : {}),
  }));
  cluster.commonLbConfig = parts.part(`commonLbConfig ${od.minHealthPercent}`, Cluster_CommonLbConfigSchema, () => create(Cluster_CommonLbConfigSchema, { healthyPanicThreshold: { value: od.minHealthPercent } }));
}

const H1_EXPLICIT = { case: 'explicitHttpConfig' as const, value: { protocolConfig: { case: 'httpProtocolOptions' as const, value: {} } } };
const H2_EXPLICIT = { case: 'explicitHttpConfig' as const, value: { protocolConfig: { case: 'http2ProtocolOptions' as const, value: {} } } };
const DOWNSTREAM = { case: 'useDownstreamProtocolConfig' as const, value: { httpProtocolOptions: {}, http2ProtocolOptions: {} } };

/**
 * The upstream protocol (istiod `setUpstreamProtocol`, then `applyH2Upgrade`): HTTP/2 for grpc and
 * http2 ports; on a sidecar, a sniffed port's cluster uses the downstream's protocol
 * (`use_downstream_protocol_config`). Then `h2UpgradePolicy: UPGRADE` makes HTTP/2 of a cluster not
 * set yet: a DestinationRule's on any port, MeshConfig's on http ports only; `useClientProtocol`
 * stops the upgrade. Undefined: nothing to say (HTTP/1.1, no protocol options).
 */
function upstreamProtocol(c: ClusterView, service: ServiceView | undefined, sidecar: boolean): HttpOptionsInit | undefined {
  const pool = c.policy.connectionPool;
  const port = service?.ports.find((p) => p.number === c.port);
  const protocol = port?.protocol;
  if (protocol === 'GRPC' || protocol === 'HTTP2' || protocol === 'GRPC-Web') return { upstreamProtocolOptions: H2_EXPLICIT };
  const out: HttpOptionsInit | undefined = sidecar && port?.sniffed === true ? { upstreamProtocolOptions: DOWNSTREAM } : undefined;
  const upgrade = !pool.useClientProtocol && pool.h2UpgradePolicy === 'UPGRADE' && (pool.h2UpgradeSource === 'destination-rule' || protocol === 'HTTP');
  return upgrade && !out ? { upstreamProtocolOptions: H2_EXPLICIT } : out;
}

/**
 * The connection pool's connection settings (istiod `applyConnectionPool`): idle timeout
 * (`http.idleTimeout`, else `tcp.idleTimeout`), max requests per connection and max connection
 * duration in `common_http_protocol_options`, on every cluster (a TCP cluster's are unused: TCP
 * proxies take theirs from the rule, see tcp-proxy.ts); on an HTTP/2 cluster `max_concurrent_streams`
 * and the `http2KeepAlive` PINGs; MeshConfig's and the rule's `tcpKeepalive` as
 * `upstream_connection_options`; `useClientProtocol` → the downstream's protocol.
 */
function applyConnectionPool(cluster: ClusterInit, c: ClusterView, http: HttpOptionsInit | undefined): HttpOptionsInit | undefined {
  const pool = c.policy.connectionPool;
  const ka = pool.tcpKeepalive;
  if (ka) {
    cluster.upstreamConnectionOptions = { tcpKeepalive: {
      ...(ka.probes !== null ? { keepaliveProbes: ka.probes } : {}), ...(ka.timeS !== null ? { keepaliveTime: ka.timeS } : {}), ...(ka.intervalS !== null ? { keepaliveInterval: ka.intervalS } : {}),
    } };
  }
  const idle = pool.idleTimeoutMs ?? pool.tcpIdleTimeoutMs;
  let out = http;
  if (idle !== null || pool.maxConnectionDurationMs !== null || pool.maxRequestsPerConnection > 0 || pool.maxConcurrentStreams > 0 || pool.http2KeepAlive) {
    const common = {
      ...(idle !== null ? { idleTimeout: duration(idle) } : {}),
      ...(pool.maxRequestsPerConnection > 0 ? { maxRequestsPerConnection: pool.maxRequestsPerConnection } : {}),
      ...(pool.maxConnectionDurationMs !== null ? { maxConnectionDuration: duration(pool.maxConnectionDurationMs) } : {}),
    };
    const up = http?.upstreamProtocolOptions;
    const h2 = up?.case === 'explicitHttpConfig' && up.value.protocolConfig.case === 'http2ProtocolOptions';
    const ka2 = pool.http2KeepAlive;
    out = {
      ...http,
      commonHttpProtocolOptions: common,
      ...(h2 && (pool.maxConcurrentStreams > 0 || ka2) ? { upstreamProtocolOptions: { case: 'explicitHttpConfig' as const, value: { protocolConfig: { case: 'http2ProtocolOptions' as const, value: {
        ...(pool.maxConcurrentStreams > 0 ? { maxConcurrentStreams: pool.maxConcurrentStreams } : {}),
        ...(ka2 ? { connectionKeepalive: { ...(ka2.intervalMs !== null ? { interval: duration(ka2.intervalMs) } : {}), ...(ka2.timeoutMs !== null ? { timeout: duration(ka2.timeoutMs) } : {}) } } : {}),
      } } } } } : {}),
    };
  }
  if (pool.useClientProtocol) out = { ...out, upstreamProtocolOptions: DOWNSTREAM };
  return out;
}
