/**
 * The network filters this unit implements, as pipeline factories: `envoy.filters.network.tcp_proxy`
 * (terminal) and `envoy.filters.network.rbac` (a gate before the terminal filter: a denial closes the
 * connection, termination details `rbac_access_denied_matched_policy[...]`). Envoy's network RBAC
 * decides on the first downstream bytes; this one decides when the connection is handed to the chain,
 * which differs only for server-first protocols. Shadow rules write the connection's dynamic metadata
 * (`<prefix>shadow_effective_policy_id`, `<prefix>shadow_engine_result`) under the filter's name.
 */
import type { Any } from '@bufbuild/protobuf/wkt';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { TcpProxySchema } from '../../xds/gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { ConfigError } from '../config/config-error.js';
import { type ConnectionInfo, type NetworkEnv, type NetworkFilterFactory, setConnectionMetadata } from '../http/pipeline.js';
import { evaluateRbacFilters, NETWORK_RBAC_TYPE_URL, readRbacFilter, shadowMetadata } from '../rbac/filters.js';
import { rbacConnectionOf } from '../rbac/http-filter.js';
import { peerSpiffeId } from '../tls/peer.js';
import type { AccessLogEntry } from '../access-log.js';
import { checkTcpProxy, proxyTcp, type TcpAccessRecord, type TcpProxyEnv } from './tcp-proxy.js';

export const TCP_PROXY_TYPE_URL = `type.googleapis.com/${TcpProxySchema.typeName}`;

function tlsOf(socket: Socket): TLSSocket | undefined {
  return (socket as TLSSocket).encrypted ? socket as TLSSocket : undefined;
}

/** Envoy's TCP access-log line fields from a tcp_proxy record (method, path and protocol `-`, status 0). */
export function tcpAccessLogEntry(r: TcpAccessRecord): AccessLogEntry {
  return {
    startMs: r.startMs, method: '-', path: '-', protocol: '-', status: 0, flags: r.flags, bytesReceived: r.bytesReceived, bytesSent: r.bytesSent,
    durationMs: r.durationMs, upstreamServiceTimeMs: undefined, xForwardedFor: undefined, userAgent: undefined, requestId: undefined, authority: undefined,
    upstreamHost: r.upstreamHost, upstreamCluster: r.cluster, details: r.details, ...(r.downstreamPeerUriSan ? { downstreamPeerUriSan: r.downstreamPeerUriSan } : {}),
  };
}

/**
 * `envoy.filters.network.tcp_proxy`: hosts from the core (`NetworkEnv.cluster`, `choose`), upstream
 * TLS from `upstreamTls`, one access-log entry per connection to `NetworkEnv.accessLog`.
 */
export function tcpProxyFactory(upstreamTls: TcpProxyEnv['upstreamTls']): NetworkFilterFactory {
  return {
    typeUrls: [TCP_PROXY_TYPE_URL],
    create(config: Any | undefined, env: NetworkEnv) {
      if (!config || config.typeUrl !== TCP_PROXY_TYPE_URL) throw new ConfigError('typed_config', `expected ${TCP_PROXY_TYPE_URL}`);
      const cfg = anyUnpack(config, TcpProxySchema)!;
      const errors = checkTcpProxy(cfg);
      if (errors.length) throw new ConfigError('typed_config', errors.join('; '));
      return (socket: Socket, info: ConnectionInfo) => proxyTcp(cfg, {
        cluster: (name) => env.cluster(name),
        choose: (name) => env.choose(name, info),
        upstreamTls,
        log: (r) => env.accessLog?.log(tcpAccessLogEntry(r)),
      }, socket, { downstreamPeerUriSan: peerSpiffeId(tlsOf(socket)) });
    },
  };
}

/** `envoy.filters.network.rbac`: a gate; `create` alone (as a terminal filter) closes every connection it denies and leaves the rest idle. */
export const networkRbacFactory: NetworkFilterFactory & { createGate(config: Any | undefined): (socket: Socket, info: ConnectionInfo) => string | undefined } = {
  typeUrls: [NETWORK_RBAC_TYPE_URL],
  createGate(config: Any | undefined) {
    let filter;
    try {
      filter = readRbacFilter('network', 'envoy.filters.network.rbac', config, 'typed_config');
    } catch (e) {
      throw new ConfigError('typed_config', (e as Error).message.replace(/^typed_config\.?/, ''));
    }
    if (!filter) throw new ConfigError('typed_config', `expected ${NETWORK_RBAC_TYPE_URL}`);
    const filters = [filter];
    const prefix = filter.shadowRulesStatPrefix ?? '';
    return (socket: Socket, info: ConnectionInfo) => {
      const v = evaluateRbacFilters(filters, rbacConnectionOf(info, tlsOf(socket)));
      const shadow = v.shadow[filter.name];
      // The connection's dynamic metadata: network ext_authz's filter_enabled_metadata reads it.
      if (shadow) setConnectionMetadata(socket, 'envoy.filters.network.rbac', shadowMetadata(prefix, shadow));
      return v.allowed ? undefined : v.details;
    };
  },
  create(config: Any | undefined) {
    const gate = this.createGate(config);
    return (socket: Socket, info: ConnectionInfo) => { if (gate(socket, info)) socket.destroy(); };
  },
};
