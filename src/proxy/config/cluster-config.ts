/**
 * Cluster (CDS) and ClusterLoadAssignment (EDS) → what the upstream side needs: discovery type, the
 * EDS service name, connect timeout, upstream protocol (HTTP/1.1, HTTP/2, or the downstream's), and
 * the hosts. Unsupported settings are a {@link ConfigError} naming the field.
 */
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { type Cluster, Cluster_DiscoveryType, Cluster_LbPolicy } from '../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { HealthStatus } from '../../xds/gen/envoy/config/core/v3/health_check_pb.js';
import type { Address } from '../../xds/gen/envoy/config/core/v3/address_pb.js';
import type { ClusterLoadAssignment } from '../../xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { HttpProtocolOptionsSchema } from '../../xds/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import { ConfigError, under } from './config-error.js';
import type { UpstreamHost } from '../http/pipeline.js';

export const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** The upstream protocol of a cluster. */
export type UpstreamProtocol = 'http1' | 'http2' | 'downstream';

export interface CompiledCluster {
  readonly name: string;
  readonly type: 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';
  /** The EDS resource name: `eds_cluster_config.service_name`, or the cluster name. */
  readonly edsName: string | undefined;
  /** `connect_timeout`, default 5 s (Envoy). */
  readonly connectTimeoutMs: number;
  readonly protocol: UpstreamProtocol;
  /** `common_http_protocol_options.idle_timeout` of the upstream connections, default 1 h (Envoy). */
  readonly idleTimeoutMs: number;
  /** `max_requests_per_connection`, 0 for unlimited. */
  readonly maxRequestsPerConnection: number;
  /**
   * `common_http_protocol_options.max_connection_duration` (ms), 0 for none (Envoy's default): a
   * connection older than this takes no new request and closes once its requests finished.
   */
  readonly maxConnectionDurationMs: number;
  /** `http2_protocol_options` of an HTTP/2 (or downstream-protocol) upstream. */
  readonly http2: Http2Options;
  /** `Cluster.LbPolicy` name. */
  readonly lbPolicy: string;
  /** Hosts from `load_assignment` (STATIC, DNS types); EDS hosts come separately. */
  readonly staticHosts: readonly UpstreamHost[];
  /**
   * Whether a request's `istio.alpn` override applies to this cluster's TLS connections: false when
   * `metadata.filter_metadata.istio.alpn_override` is `"false"` (istiod sets it on clusters whose
   * DestinationRule originates SIMPLE or MUTUAL TLS, which keep their own ALPN).
   */
  readonly alpnOverride: boolean;
  /**
   * `upstream_http_protocol_options.auto_sni`: a TLS connection's SNI is the request's Host (without
   * port), and connections are pooled per SNI; `auto_san_validation`: the server certificate must
   * then match that name, instead of the SAN matchers.
   */
  readonly autoSni: boolean;
  readonly autoSanValidation: boolean;
  readonly source: Cluster;
}

/** Envoy `config.core.v3.Http2ProtocolOptions` as the upstream HTTP/2 pool reads it. */
export interface Http2Options {
  /**
   * `max_concurrent_streams`: streams the proxy opens at once on one connection before it opens
   * another (Envoy's default 2147483647: one connection).
   */
  readonly maxConcurrentStreams: number;
  /**
   * `connection_keepalive`: a PING every `intervalMs` (0: none); a connection whose PING is not
   * acknowledged within `timeoutMs` is closed, and its streams fail.
   */
  readonly keepalive: { readonly intervalMs: number; readonly timeoutMs: number } | undefined;
}

/** Envoy's `Http2ProtocolOptions.max_concurrent_streams` default. */
const H2_MAX_CONCURRENT_STREAMS = 2147483647;

type H2Source = { maxConcurrentStreams?: number; connectionKeepalive?: { interval?: Duration; timeout?: Duration } } | undefined;
type Duration = { seconds: bigint; nanos: number };

function http2Options(o: H2Source, field: string): Http2Options {
  const max = o?.maxConcurrentStreams;
  if (max !== undefined && max < 1) throw new ConfigError(`${field}.max_concurrent_streams`, `${max} is below 1; use 1 to 2147483647`);
  const ka = o?.connectionKeepalive;
  const timeoutMs = ka ? ms(ka.timeout, 0) : 0;
  if (ka && timeoutMs <= 0) throw new ConfigError(`${field}.connection_keepalive.timeout`, 'is required and must be at least 1 ms (Envoy refuses a KeepaliveSettings without it)');
  return {
    maxConcurrentStreams: max ?? H2_MAX_CONCURRENT_STREAMS,
    keepalive: ka ? { intervalMs: ms(ka.interval, 0), timeoutMs } : undefined,
  };
}

function ms(d: { seconds: bigint; nanos: number } | undefined, dflt: number): number {
  return d === undefined ? dflt : Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
}

/** Compiles a Cluster; throws ConfigError for a custom cluster type or protocol options it cannot read. */
export function compileCluster(c: Cluster): CompiledCluster {
  const dt = c.clusterDiscoveryType;
  if (dt.case === 'clusterType') throw new ConfigError('cluster_type', `custom cluster type "${dt.value.name}" is not supported; use type STATIC, STRICT_DNS, LOGICAL_DNS, EDS or ORIGINAL_DST`);
  const type = Cluster_DiscoveryType[dt.case === 'type' ? dt.value : Cluster_DiscoveryType.STATIC] as CompiledCluster['type'] | undefined;
  if (!type) throw new ConfigError('type', `unknown discovery type ${dt.value}`);
  const lbPolicy = Cluster_LbPolicy[c.lbPolicy];
  if (lbPolicy === undefined || lbPolicy === 'LOAD_BALANCING_POLICY_CONFIG') throw new ConfigError('lb_policy', `${lbPolicy ?? c.lbPolicy} is not supported; use ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH, MAGLEV or CLUSTER_PROVIDED`);
  let protocol: UpstreamProtocol = c.http2ProtocolOptions ? 'http2' : 'http1';
  let idleTimeoutMs = ms(c.commonHttpProtocolOptions?.idleTimeout, 3_600_000);
  let maxRequestsPerConnection = c.maxRequestsPerConnection ?? 0;
  let maxConnectionDurationMs = ms(c.commonHttpProtocolOptions?.maxConnectionDuration, 0);
  let http2 = http2Options(c.http2ProtocolOptions, 'http2_protocol_options');
  let autoSni = false;
  let autoSanValidation = false;
  const opts = c.typedExtensionProtocolOptions[HTTP_PROTOCOL_OPTIONS];
  if (opts) {
    const o = under(`typed_extension_protocol_options["${HTTP_PROTOCOL_OPTIONS}"]`, () => {
      const u = opts.typeUrl.endsWith(HttpProtocolOptionsSchema.typeName) ? anyUnpack(opts, HttpProtocolOptionsSchema) : undefined;
      if (!u) throw new ConfigError('', `type ${opts.typeUrl} is not ${HttpProtocolOptionsSchema.typeName}`);
      return u;
    });
    const up = o.upstreamProtocolOptions;
    if (up.case === 'explicitHttpConfig') protocol = up.value.protocolConfig.case === 'http2ProtocolOptions' ? 'http2' : up.value.protocolConfig.case === 'http3ProtocolOptions' ? 'http2' : 'http1';
    else if (up.case === 'useDownstreamProtocolConfig' || up.case === 'autoConfig') protocol = 'downstream';
    if (up.case === 'explicitHttpConfig' && up.value.protocolConfig.case === 'http3ProtocolOptions') {
      throw new ConfigError(`typed_extension_protocol_options["${HTTP_PROTOCOL_OPTIONS}"].explicit_http_config.http3_protocol_options`, 'HTTP/3 upstreams are not supported; use http_protocol_options or http2_protocol_options');
    }
    idleTimeoutMs = ms(o.commonHttpProtocolOptions?.idleTimeout, idleTimeoutMs);
    maxRequestsPerConnection = o.commonHttpProtocolOptions?.maxRequestsPerConnection ?? maxRequestsPerConnection;
    maxConnectionDurationMs = ms(o.commonHttpProtocolOptions?.maxConnectionDuration, maxConnectionDurationMs);
    const field = `typed_extension_protocol_options["${HTTP_PROTOCOL_OPTIONS}"]`;
    if (up.case === 'explicitHttpConfig' && up.value.protocolConfig.case === 'http2ProtocolOptions') http2 = http2Options(up.value.protocolConfig.value, `${field}.explicit_http_config.http2_protocol_options`);
    else if (up.case === 'useDownstreamProtocolConfig' && up.value.http2ProtocolOptions) http2 = http2Options(up.value.http2ProtocolOptions, `${field}.use_downstream_protocol_config.http2_protocol_options`);
    else if (up.case === 'autoConfig' && up.value.http2ProtocolOptions) http2 = http2Options(up.value.http2ProtocolOptions, `${field}.auto_config.http2_protocol_options`);
    autoSni = o.upstreamHttpProtocolOptions?.autoSni === true;
    autoSanValidation = o.upstreamHttpProtocolOptions?.autoSanValidation === true;
  }
  const staticHosts = c.loadAssignment ? under('load_assignment', () => hostsOf(c.loadAssignment!)) : [];
  return {
    name: c.name, type,
    edsName: type === 'EDS' ? (c.edsClusterConfig?.serviceName || c.name) : undefined,
    connectTimeoutMs: ms(c.connectTimeout, 5000),
    protocol, idleTimeoutMs, maxRequestsPerConnection, maxConnectionDurationMs, http2, lbPolicy, staticHosts, source: c,
    alpnOverride: c.metadata?.filterMetadata.istio?.alpn_override !== 'false',
    autoSni, autoSanValidation,
  };
}

function socketOf(a: Address | undefined, field: string): { address: string; port: number } {
  if (a?.address.case !== 'socketAddress') throw new ConfigError(field, `${a?.address.case ?? 'no address'}: only socket_address endpoints are supported`);
  const s = a.address.value;
  if (s.portSpecifier.case !== 'portValue') throw new ConfigError(`${field}.socket_address`, 'named ports are not supported; use port_value');
  return { address: s.address, port: s.portSpecifier.value };
}

/** The hosts of an assignment, in order. A host whose health status is UNHEALTHY, DRAINING or TIMEOUT is kept but not healthy. */
export function hostsOf(cla: ClusterLoadAssignment): UpstreamHost[] {
  const out: UpstreamHost[] = [];
  cla.endpoints.forEach((loc, i) => {
    const locality = loc.locality ? `${loc.locality.region}/${loc.locality.zone}/${loc.locality.subZone}` : '';
    loc.lbEndpoints.forEach((lb, j) => {
      if (lb.hostIdentifier.case !== 'endpoint') throw new ConfigError(`endpoints[${i}].lb_endpoints[${j}]`, `${lb.hostIdentifier.case ?? 'nothing'}: only endpoint is supported`);
      const { address, port } = socketOf(lb.hostIdentifier.value.address, `endpoints[${i}].lb_endpoints[${j}].endpoint.address`);
      const hs = lb.healthStatus;
      out.push({
        key: `${address.includes(':') ? `[${address}]` : address}:${port}`, address, port,
        weight: lb.loadBalancingWeight ?? 1, hostname: lb.hostIdentifier.value.hostname, locality, priority: loc.priority, localityWeight: loc.loadBalancingWeight ?? 0,
        healthy: hs === HealthStatus.UNKNOWN || hs === HealthStatus.HEALTHY || hs === HealthStatus.DEGRADED,
        active: 0,
        ...(lb.metadata?.filterMetadata['envoy.transport_socket_match'] ? { transportSocketMatch: lb.metadata.filterMetadata['envoy.transport_socket_match'] } : {}),
      });
    });
  });
  return out;
}
