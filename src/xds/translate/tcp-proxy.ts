/**
 * TCP proxy filter chains: Istio `tcp` and `tls` routes (and the default route of a TCP or TLS
 * service port) as Envoy `FilterChain`s whose `filter_chain_match` carries the runtime predicates
 * (`server_names` from `sniHosts`, `prefix_ranges` from `destinationSubnets` or the service's CIDR)
 * and whose only filter is `envoy.filters.network.tcp_proxy` (Istio `tls.go`, `networkfilter.go`).
 */
import { create, type JsonObject } from '@bufbuild/protobuf';
import { packAny as anyPack } from '../encode.js';
import { type Filter, type FilterChain, FilterChainSchema } from '../gen/envoy/config/listener/v3/listener_components_pb.js';
import { TcpProxySchema } from '../gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { isTls } from '../../mesh/protocol.js';
import { isTerminalTcpRoute } from '../../mesh/view/sidecar-l4-routes.js';
import type { ClusterPolicyView, DestinationView, OutboundL4ChainView, Origin, ProxyView } from '../../mesh/view/index.js';
import { BLACKHOLE_CLUSTER, outboundClusterName } from './clusters.js';
import { METADATA_NAMESPACE, duration, originJson } from './_common.js';

export const TCP_PROXY = 'envoy.filters.network.tcp_proxy';

/** What L4 chains may reference: the clusters present in the snapshot (others go to {@link BLACKHOLE_CLUSTER}). */
export interface L4Env {
  readonly clusters: ReadonlySet<string>;
  /** The rule's TCP proxy timeouts for a cluster's host (`ClusterPolicyView.tcpProxy`). @default none */
  readonly tcpProxy?: (cluster: string) => ClusterPolicyView['tcpProxy'] | undefined;
}

/** An {@link L4Env} over a view's clusters. */
export function l4Env(view: Pick<ProxyView, 'clusters'>, clusters: ReadonlySet<string>): L4Env {
  let byName: Map<string, ClusterPolicyView['tcpProxy']> | undefined;
  return {
    clusters,
    tcpProxy: (cluster) => (byName ??= new Map(view.clusters.map((c) => [c.name, c.policy.tcpProxy]))).get(cluster),
  };
}

function known(cluster: string | null, env: L4Env): string {
  return cluster !== null && env.clusters.has(cluster) ? cluster : BLACKHOLE_CLUSTER;
}

/**
 * A `tcp_proxy` filter to `destinations`: one destination → `cluster`; several → `weighted_clusters`
 * (weight as written; weight 0 dropped, as Envoy requires weights ≥ 1). Stat prefix: the first cluster.
 * `idle_timeout` and `max_downstream_connection_duration` come from the DestinationRule of the first
 * destination's host (its top-level `connectionPool.tcp`), as istiod sets them.
 */
export function buildTcpProxyFilter(destinations: readonly Pick<DestinationView, 'cluster' | 'weight'>[], env: L4Env): Filter {
  const weighted = destinations.filter((d) => d.weight > 0);
  const targets = weighted.length > 0 ? weighted : destinations.slice(0, 1);
  const names = targets.map((d) => known(d.cluster, env));
  const first = destinations[0]?.cluster;
  const rule = first ? env.tcpProxy?.(first) : undefined;
  const tcp = create(TcpProxySchema, {
    ...(rule?.idleTimeoutMs != null ? { idleTimeout: duration(rule.idleTimeoutMs) } : {}),
    ...(rule?.maxConnectionDurationMs != null ? { maxDownstreamConnectionDuration: duration(rule.maxConnectionDurationMs) } : {}),
    statPrefix: names[0] ?? BLACKHOLE_CLUSTER,
    clusterSpecifier: names.length <= 1
      ? { case: 'cluster', value: names[0] ?? BLACKHOLE_CLUSTER }
      : { case: 'weightedClusters', value: { clusters: targets.map((d, i) => ({ name: names[i]!, weight: d.weight })) } },
  });
  return create(FilterChainSchema, { filters: [{ name: TCP_PROXY, configType: { case: 'typedConfig', value: anyPack(TcpProxySchema, tcp) } }] }).filters[0]!;
}

/** `10.0.0.0/8` or `10.0.0.7` → Envoy `CidrRange` (a bare IP is /32, or /128 for IPv6). */
export function cidrRange(cidr: string): { addressPrefix: string; prefixLen: number } {
  const [ip, len] = cidr.split('/');
  return { addressPrefix: ip!, prefixLen: len !== undefined ? Number(len) : ip!.includes(':') ? 128 : 32 };
}

/** Where the chain came from, in `FilterChain.metadata.filter_metadata.meshproof` (like routes). */
function chainMetadata(origin: Origin, match: Origin | undefined): { filterMetadata: Record<string, JsonObject> } {
  const md: JsonObject = { origin: originJson(origin) };
  if (match) md.match = originJson(match);
  return { filterMetadata: { [METADATA_NAMESPACE]: md } };
}

/** One filter chain: `server_names` and `prefix_ranges` (empty = any), a tcp_proxy to `destinations`. */
export function buildL4FilterChain(name: string, serverNames: readonly string[], cidrs: readonly string[], filter: Filter, origin: Origin | null, match?: Origin): FilterChain {
  return create(FilterChainSchema, {
    name,
    ...(serverNames.length > 0 || cidrs.length > 0 ? { filterChainMatch: { serverNames: [...serverNames], prefixRanges: cidrs.map(cidrRange) } } : {}),
    filters: [filter],
    ...(origin ? { metadata: chainMetadata(origin, match) } : {}),
  });
}

/**
 * One filter chain of a sidecar outbound listener from the view's plan (`OutboundL4ChainView`, which holds what
 * istiod's tls.go and listener.go decide): `server_names` and `prefix_ranges` as istiod's `toFilterChainMatch`
 * writes them, a tcp_proxy to the route's destinations, or to the service's cluster for a default chain.
 */
export function buildOutboundL4Chain(c: OutboundL4ChainView, env: L4Env): FilterChain {
  const h = c.routes;
  if (c.route === null) {
    const cluster = outboundClusterName(h.port, undefined, h.host);
    return buildL4FilterChain(cluster, c.serverNames, c.prefixRanges, buildTcpProxyFilter([{ weight: 100, cluster }], env), h.virtualServices[0] ?? null);
  }
  const suffix = isTls(h.protocol) ? `|${c.sniHosts.join(',')}` : !isTerminalTcpRoute(c.route) ? `|${c.destinationCidrs.join(',')}` : '';
  return buildL4FilterChain(`${h.host}:${h.port}${suffix}`, c.serverNames, c.prefixRanges, buildTcpProxyFilter(c.route.destinations, env), c.route.origin, c.match?.origin);
}
