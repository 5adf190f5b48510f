/**
 * Gateway (router) listeners: one listener `<bind>_<port>` (`0.0.0.0_<port>` without `bind`) per port
 * the gateway pod listens on (the server port mapped to the gateway Service's targetPort,
 * `GatewayServerView.listenerPort`, as istiod's `resolvePorts`) and bind address, with the filter
 * chains of the servers istiod keeps there (`mergeGatewayServers`, istiod's `mergeGateways`: a server
 * whose protocol cannot merge with the port's plain-text server is skipped), as Istio's
 * `buildGatewayListeners` lays them out (`gateway.go`):
 * - HTTP-like servers (HTTP, HTTP2, GRPC, …) share one chain, an HCM on RDS `http.<listener port>[.<bind>]`;
 * - each HTTPS server that terminates TLS gets its own chain: `server_names` from its hosts, its
 *   `DownstreamTlsContext`, an HCM on RDS `https.<server port>.<port name>.<gateway>.<namespace>`;
 * - a TCP server forwards with `tcp_proxy` to its first applicable `tcp` route; a TLS server that
 *   terminates does the same behind its TLS context;
 * - a PASSTHROUGH server gets a chain per applicable `tls` match, `server_names` = `sniHosts`
 *   (an SNI already taken on the port is skipped, as Envoy refuses duplicate matches);
 * - an AUTO_PASSTHROUGH server gets a chain per mesh cluster behind its hosts, matched on the SNI
 *   Istio's clients send, `outbound_.<port>_.<subset>_.<fqdn>`.
 * The gateway's AuthorizationPolicies apply on every chain but AUTO_PASSTHROUGH's: HTTP filters in
 * the HCMs, and network filters (CUSTOM's, then `envoy.filters.network.rbac` per action) before the
 * `tcp_proxy` of TCP and PASSTHROUGH chains, as istiod's `buildCompleteNetworkFilters` puts them
 * (`builtAutoPassthroughFilterChains` builds without authorization); those chains' metadata names
 * each rule (`rbac`, as inbound chains).
 * `tls_inspector` is added when a chain matches on SNI or terminates TLS.
 */
import { create } from '@bufbuild/protobuf';
import { packAny as anyPack } from '../encode.js';
import { FilterSchema, type FilterChain, FilterChainSchema } from '../gen/envoy/config/listener/v3/listener_components_pb.js';
import { MetadataSchema } from '../gen/envoy/config/core/v3/base_pb.js';
import { type Listener, ListenerSchema } from '../gen/envoy/config/listener/v3/listener_pb.js';
import { TlsInspectorSchema } from '../gen/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector_pb.js';
import { DownstreamTlsContextSchema } from '../gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { hostMatches } from '../../mesh/hosts.js';
import { gatewayListenerName, gatewayServerRouteName, gatewayServerTlsMode, mergeGatewayServers, terminatesHttps, type GatewayServerView, type ProxyView } from '../../mesh/view/index.js';
import { isHttp } from '../../mesh/protocol.js';
import { istioMutualSni } from './clusters.js';
import { buildDownstreamTlsContext, type ServerTlsSettings } from './downstream-tls.js';
import type { PathNormalizationType } from '../../mesh/mesh-config.js';
import { buildHttpConnectionManager, hcmFilter, listenerAddress, type HttpFilterEntry } from './listeners.js';
import { type AuthzInput, buildHttpRbacFilters, buildNetworkRbacFilters, rbacMetadata } from './rbac.js';
import { METADATA_NAMESPACE } from './_common.js';
import { buildL4FilterChain, buildTcpProxyFilter, type L4Env } from './tcp-proxy.js';

const TLS_SOCKET = 'envoy.transport_sockets.tls';
/** The ALPNs an Istio mTLS client offers (Istio's `allIstioMtlsALPNs`): AUTO_PASSTHROUGH admits only those. */
const ISTIO_MTLS_ALPNS = ['istio', 'istio-peer-exchange', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2'];
const TLS_INSPECTOR = 'envoy.filters.listener.tls_inspector';

function tlsOf(s: GatewayServerView): ServerTlsSettings | null {
  return s.tls as ServerTlsSettings | null;
}

/** The SNI names of a server: its hosts without the `namespace/` part; `*` means any (no match). */
export function serverNames(s: GatewayServerView): string[] {
  return s.hosts.map((h) => (h.includes('/') ? h.slice(h.indexOf('/') + 1) : h)).filter((h) => h !== '*');
}

/**
 * Every gateway listener of the router, sorted by port, then name: one per listener port and
 * `bind` of istiod's merged server ports (`mergeGatewayServers`), with the chains of each server
 * port on it in istiod's order.
 */
export function buildGatewayListeners(view: ProxyView, env: L4Env): Listener[] {
  const policies: AuthzInput = view.inbound ?? { authorizationPolicies: [], customAuthz: [] };
  const authz = buildHttpRbacFilters(policies);
  const l4 = (chain: FilterChain): FilterChain => withNetworkAuthz(chain, policies);
  const byName = new Map<string, { port: number; bind: string; chains: FilterChain[]; sniTaken: Set<string> }>();
  for (const group of mergeGatewayServers(view.gatewayServers).serverPorts) {
    const name = gatewayListenerName(group);
    let listener = byName.get(name);
    if (!listener) byName.set(name, (listener = { port: group.port, bind: group.bind, chains: [], sniTaken: new Set() }));
    const { chains, sniTaken } = listener;
    if (isHttp(group.protocol)) {
      chains.push(create(FilterChainSchema, { filters: [hcmFilter(buildHttpConnectionManager(group.routeName, group.routeName, view.pathNormalization, authz))] }));
      continue;
    }
    for (const s of group.servers) {
      const mode = gatewayServerTlsMode(s);
      if (terminatesHttps(s)) chains.push(buildTlsServerChain(s, view.pathNormalization, authz));
      else if (mode === 'PASSTHROUGH') chains.push(...buildPassthroughChains(s, env, sniTaken).map(l4));
      else if (mode === 'AUTO_PASSTHROUGH') chains.push(...buildAutoPassthroughChains(view, s, env, sniTaken));
      else {
        const chain = buildTcpServerChain(s, env);
        if (chain) chains.push(l4(chain));
      }
    }
  }
  const out: Listener[] = [];
  for (const [name, l] of [...byName].sort((a, b) => a[1].port - b[1].port || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (l.chains.length === 0) continue;
    const inspect = l.chains.some((c) => c.transportSocket || (c.filterChainMatch?.serverNames.length ?? 0) > 0);
    out.push(create(ListenerSchema, {
      name, address: listenerAddress(l.bind === '' ? '0.0.0.0' : l.bind, l.port),
      filterChains: l.chains,
      listenerFilters: inspect ? [{ name: TLS_INSPECTOR, configType: { case: 'typedConfig', value: anyPack(TlsInspectorSchema, create(TlsInspectorSchema)) } }] : [],
    }));
  }
  return out;
}

/** `chain` with the network authorization filters before its `tcp_proxy`, and its rules in the metadata (none: unchanged). */
function withNetworkAuthz(chain: FilterChain, policies: AuthzInput): FilterChain {
  if (policies.authorizationPolicies.length === 0) return chain;
  chain.filters.unshift(...buildNetworkRbacFilters(policies).map((f) => create(FilterSchema, f)));
  const md = chain.metadata?.filterMetadata[METADATA_NAMESPACE];
  if (md) md.rbac = rbacMetadata(policies, true);
  else chain.metadata = create(MetadataSchema, { filterMetadata: { [METADATA_NAMESPACE]: { rbac: rbacMetadata(policies, true) } } });
  return chain;
}

function tlsSocket(s: GatewayServerView, transport: 'http' | 'tcp') {
  return { name: TLS_SOCKET, configType: { case: 'typedConfig' as const, value: anyPack(DownstreamTlsContextSchema, buildDownstreamTlsContext(tlsOf(s) ?? {}, transport, s.meshTlsDefaults)) } };
}

/**
 * An HTTPS server that terminates TLS (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL): `server_names`
 * from its hosts, its `DownstreamTlsContext` (see {@link buildDownstreamTlsContext}), and an HCM on its
 * own route configuration. A TLS (not HTTPS) server that terminates forwards TCP instead.
 */
export function buildTlsServerChain(s: GatewayServerView, normalization: PathNormalizationType, authz: readonly HttpFilterEntry[] = []): FilterChain {
  const rds = gatewayServerRouteName(s);
  return create(FilterChainSchema, {
    name: rds,
    filterChainMatch: { serverNames: serverNames(s) },
    transportSocket: tlsSocket(s, 'http'),
    filters: [hcmFilter(buildHttpConnectionManager(rds, rds, normalization, authz))],
  });
}

/** A TCP server (no TLS) or a TLS server that terminates: `tcp_proxy` to the first applicable `tcp` route. */
function buildTcpServerChain(s: GatewayServerView, env: L4Env): FilterChain | null {
  const route = s.routes.flatMap((h) => h.tcp)[0];
  if (!route) return null;
  const terminated = tlsOf(s) !== null;
  const chain = buildL4FilterChain(`${s.gateway}:${s.port}`, terminated ? serverNames(s) : [], [], buildTcpProxyFilter(route.destinations, env), route.origin, route.match[0]?.origin);
  if (terminated) chain.transportSocket = create(FilterChainSchema, { transportSocket: tlsSocket(s, 'tcp') }).transportSocket;
  return chain;
}

function claim(names: readonly string[], taken: Set<string>): boolean {
  if (names.some((n) => taken.has(n))) return false;
  for (const n of names) taken.add(n);
  return true;
}

/**
 * PASSTHROUGH: a chain per applicable `tls` match (SNI `sniHosts`, sorted as istiod `toFilterChainMatch` does),
 * no TLS context. `sniHosts` holding `*` match every SNI: no `server_names` (`toFilterChainMatch`), as a TLSRoute
 * without hostnames on a listener without hostname gives.
 */
function buildPassthroughChains(s: GatewayServerView, env: L4Env, taken: Set<string>): FilterChain[] {
  const out: FilterChain[] = [];
  for (const h of s.routes) for (const r of h.tls) for (const m of r.match) {
    if (m.sniHosts.length === 0 || !claim(m.sniHosts, taken)) continue;
    const names = m.sniHosts.includes('*') ? [] : [...m.sniHosts].sort();
    out.push(buildL4FilterChain(`${s.gateway}:${s.port}|${m.sniHosts.join(',')}`, names, m.destinationSubnets, buildTcpProxyFilter(r.destinations, env), r.origin, m.origin));
  }
  return out;
}

/**
 * AUTO_PASSTHROUGH: one chain per mesh-internal cluster whose host a server host covers, matched on
 * `outbound_.<port>_.<subset>_.<fqdn>` (the SNI an Istio client sends) and on Istio's mTLS ALPNs, so
 * only mesh mTLS gets through, and forwarding to that cluster
 * (Istio names the gateway's cluster after the SNI; here it is the ordinary `outbound|…` cluster).
 */
function buildAutoPassthroughChains(view: ProxyView, s: GatewayServerView, env: L4Env, taken: Set<string>): FilterChain[] {
  const internal = new Set(view.services.filter((v) => v.location === 'MESH_INTERNAL').map((v) => v.host));
  const hosts = serverNames(s);
  const any = s.hosts.some((h) => h === '*' || h.endsWith('/*'));
  return view.clusters
    .filter((c) => internal.has(c.host) && (any || hosts.some((h) => hostMatches(h, c.host))))
    .flatMap((c) => {
      const sni = istioMutualSni(c);
      if (!claim([sni], taken)) return [];
      const chain = buildL4FilterChain(sni, [sni], [], buildTcpProxyFilter([{ cluster: c.name, weight: 100 }], env), s.origin);
      chain.filterChainMatch!.applicationProtocols = [...ISTIO_MTLS_ALPNS];
      return [chain];
    });
}
