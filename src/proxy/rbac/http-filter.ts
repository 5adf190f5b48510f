/**
 * `envoy.filters.http.rbac` as a pipeline HTTP filter: the request's connection (addresses, SNI,
 * the verified peer certificate) and headers (with `:method`, `:path`, `:authority`, `:scheme`)
 * through the engine; a denial is Envoy's local reply 403 `RBAC: access denied` with details
 * `rbac_access_denied_matched_policy[...]`. Istio's DENY and ALLOW filters are two instances in
 * chain order, so the first denial wins. Shadow rules are evaluated first and their result written
 * to the exchange's dynamic metadata (see `shadowMetadata`), never enforced.
 */
import type { Any } from '@bufbuild/protobuf/wkt';
import type { TLSSocket } from 'node:tls';
import { ConfigError } from '../config/config-error.js';
import { type DownstreamInfo, type Exchange, type HttpFilterFactory, setDynamicMetadata } from '../http/pipeline.js';
import { peerNames } from '../tls/peer.js';
import type { RbacConnection } from './engine.js';
import { evaluateRbacFilters, HTTP_RBAC_TYPE_URL, RBAC_DENIED_BODY, readRbacFilter, shadowMetadata } from './filters.js';

/**
 * RBAC connection attributes of a downstream connection (plain or terminated TLS). The requested
 * server name is the terminated TLS's SNI, else the one tls_inspector peeked (`serverName`): Envoy's
 * `requested_server_name` is the connection's, so a PASSTHROUGH chain matches on it too.
 */
export function rbacConnectionOf(d: { localAddress: string; localPort: number; remoteAddress: string; serverName?: string }, tls: TLSSocket | undefined): RbacConnection {
  return {
    localAddress: d.localAddress, localPort: d.localPort, directRemoteAddress: d.remoteAddress, remoteAddress: d.remoteAddress,
    requestedServerName: tls && typeof tls.servername === 'string' ? tls.servername : d.serverName ?? '',
    ...(tls ? { tls: { peer: peerNames(tls) } } : {}),
  };
}

function headerLookup(ex: Exchange): (name: string) => string | undefined {
  return (name) => {
    switch (name) {
      case ':method': return ex.method;
      case ':path': return ex.path;
      case ':authority': case 'host': return ex.authority;
      case ':scheme': return ex.scheme;
    }
    const v = ex.headers[name];
    return v === undefined ? undefined : typeof v === 'string' ? v : v.join(',');
  };
}

const CONN = Symbol('rbac.connection');

function connectionOf(ex: Exchange): RbacConnection {
  let c = ex.state.get(CONN) as RbacConnection | undefined;
  if (!c) { c = rbacConnectionOf(ex.downstream as DownstreamInfo, ex.downstream.tls); ex.state.set(CONN, c); }
  return c;
}

export const httpRbacFilterFactory: HttpFilterFactory = {
  typeUrls: [HTTP_RBAC_TYPE_URL],
  create(config: Any | undefined) {
    let filter;
    try {
      filter = readRbacFilter('http', 'envoy.filters.http.rbac', config, 'typed_config');
    } catch (e) {
      throw new ConfigError('typed_config', (e as Error).message.replace(/^typed_config\.?/, ''));
    }
    if (!filter) throw new ConfigError('typed_config', `expected ${HTTP_RBAC_TYPE_URL}`);
    const filters = [filter];
    const prefix = filter.shadowRulesStatPrefix ?? '';
    return {
      onRequest(ex: Exchange) {
        const v = evaluateRbacFilters(filters, connectionOf(ex), { headers: headerLookup(ex) });
        const shadow = v.shadow[filter.name];
        // Written under the filter's name, merged with what an earlier RBAC filter of that name wrote.
        if (shadow) setDynamicMetadata(ex, 'envoy.filters.http.rbac', shadowMetadata(prefix, shadow));
        if (v.allowed) return undefined;
        return { status: 403, body: RBAC_DENIED_BODY, details: v.details };
      },
    };
  },
  validatePerRoute() {
    throw new ConfigError('', 'per-route RBAC (RBACPerRoute) is not supported by meshproof\'s proxy; Istio does not emit it');
  },
};
