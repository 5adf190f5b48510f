/**
 * The security unit's registration in the proxy (src/proxy/extensions.ts calls
 * {@link securityExtensions}): the TLS provider (downstream contexts with SDS, post-handshake peer
 * checks, upstream contexts per endpoint), Envoy's filter chain selection, the SDS secret type on
 * the ADS stream, the HTTP RBAC filter, and the network filters (tcp_proxy, network RBAC).
 */
import type { Cluster } from '../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { FilterChain } from '../../xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import type { Listener } from '../../xds/gen/envoy/config/listener/v3/listener_pb.js';
import type { TLSSocket } from 'node:tls';
import { ConfigError } from '../config/config-error.js';
import { selectFilterChain } from '../filter-chain-match.js';
import type { ConnectionInfo, ExtraResourceType, FilterChainSelector, HttpFilterFactory, NetworkFilterFactory, TlsProvider, UpstreamHost } from '../http/pipeline.js';
import { httpRbacFilterFactory } from '../rbac/http-filter.js';
import { networkRbacFactory, tcpProxyFactory } from '../tcp/network-filters.js';
import { ALPN_FILTER_NAME, alpnFilterFactory } from './alpn-filter.js';
import { DownstreamTls, TlsConfigError } from './downstream.js';
import { SecretStore } from './secrets.js';
import { UpstreamTls } from './upstream.js';

/** The TLS provider backed by a secret store. */
export class SecurityTls implements TlsProvider {
  private readonly down: DownstreamTls;
  private readonly up: UpstreamTls;

  constructor(readonly secrets: SecretStore) {
    this.down = new DownstreamTls(secrets);
    this.up = new UpstreamTls(secrets);
  }

  /**
   * Server options for a chain. At config time (no `conn`) a secret not yet received is fine (the
   * listener waits for SDS, as Envoy's warming); at connection time it refuses the connection.
   * Structural problems are a ConfigError (the listener is NACKed).
   */
  downstream(chain: FilterChain, conn?: ConnectionInfo) {
    try {
      return this.down.options(chain, conn?.applicationProtocols);
    } catch (e) {
      if (e instanceof TlsConfigError && e.code === 'SECRET_NOT_READY' && !conn) return {};
      if (e instanceof TlsConfigError) throw new ConfigError(e.field, e.message.slice(e.field.length + 2));
      throw e;
    }
  }

  /** After the handshake: why the connection must close (client certificate, SAN matchers), or undefined. */
  verifyPeer(chain: FilterChain, socket: TLSSocket): string | undefined {
    try {
      return this.down.verifyPeer(chain, socket);
    } catch (e) {
      return (e as Error).message;
    }
  }

  /** Client options for one endpoint of a cluster (auto mTLS by the endpoint's `envoy.transport_socket_match` metadata). */
  upstream(cluster: Cluster, host: UpstreamHost) {
    try {
      return this.up.options(cluster, host.transportSocketMatch);
    } catch (e) {
      if (e instanceof TlsConfigError && e.code === 'BAD_CONFIG') throw new ConfigError(e.field, e.message.slice(e.field.length + 2));
      throw e;
    }
  }
}

/** Envoy's filter chain selection over the inspected connection. */
export const envoyFilterChainSelector: FilterChainSelector = (listener: Listener, c: ConnectionInfo) => selectFilterChain(listener, {
  destinationAddress: c.localAddress, destinationPort: c.localPort,
  sourceAddress: c.remoteAddress, ...(c.remotePort !== undefined ? { sourcePort: c.remotePort } : {}),
  serverName: c.serverName ?? '', transportProtocol: c.transportProtocol, applicationProtocols: c.applicationProtocols ?? [],
});

/** What the security unit adds to the proxy's extensions. */
export interface SecurityExtensions {
  readonly secrets: SecretStore;
  readonly tls: SecurityTls;
  readonly filterChainSelector: FilterChainSelector;
  readonly extraResourceTypes: readonly ExtraResourceType[];
  readonly httpFilters: ReadonlyArray<readonly [string, HttpFilterFactory]>;
  readonly networkFilters: ReadonlyArray<readonly [string, NetworkFilterFactory]>;
}

/** A fresh set (its own secret store) for one proxy. */
export function securityExtensions(): SecurityExtensions {
  const secrets = new SecretStore();
  const tls = new SecurityTls(secrets);
  return {
    secrets,
    tls,
    filterChainSelector: envoyFilterChainSelector,
    extraResourceTypes: [secrets],
    httpFilters: [['envoy.filters.http.rbac', httpRbacFilterFactory], [ALPN_FILTER_NAME, alpnFilterFactory]],
    networkFilters: [['envoy.filters.network.tcp_proxy', tcpProxyFactory((cluster, host) => tls.upstream(cluster, host as UpstreamHost))], ['envoy.filters.network.rbac', networkRbacFactory]],
  };
}
