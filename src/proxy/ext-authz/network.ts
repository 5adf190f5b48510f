/**
 * `envoy.filters.network.ext_authz` (Envoy `filters/network/ext_authz`): Istio's CUSTOM action on TCP
 * ports, gRPC providers only. A gate before `tcp_proxy`: when `filter_enabled_metadata` matches the
 * connection's dynamic metadata (the network RBAC filter's shadow result), the connection is held
 * while `Authorization/Check` is asked with the connection's source and destination (addresses,
 * principals); OK lets it into the chain, a denial closes it, an error closes it unless
 * `failure_mode_allow`. Envoy asks on the first downstream bytes; this gate asks when the connection
 * enters the chain, which differs only for server-first protocols (as network RBAC here).
 */
import { anyUnpack, type Any } from '@bufbuild/protobuf/wkt';
import type { TLSSocket } from 'node:tls';
import { ApiVersion } from '../../xds/gen/envoy/config/core/v3/config_source_pb.js';
import { ExtAuthzSchema } from '../../xds/gen/envoy/extensions/filters/network/ext_authz/v3/ext_authz_pb.js';
import { ConfigError, under } from '../config/config-error.js';
import { connectionMetadataOf, type NetworkFilterFactory } from '../http/pipeline.js';
import { type GrpcServiceConfig, ISTIO, onlyFields, readGrpcService } from './config.js';
import { MAX_AUTHZ_RESPONSE_BYTES } from './filter.js';
import { grpcCheckRequest, grpcCheckResult, networkCheckRequest } from './grpc-service.js';
import { type CompiledMetadataMatcher, compileMetadataMatcher } from './metadata-matcher.js';

export const NETWORK_EXT_AUTHZ_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.network.ext_authz.v3.ExtAuthz';

/** Why a gate closed a connection (Envoy's network ext_authz closes with `ext_authz_close`). */
export const EXT_AUTHZ_CLOSE = 'ext_authz_close';

interface NetworkExtAuthzConfig {
  readonly service: GrpcServiceConfig;
  readonly enabledWhen: CompiledMetadataMatcher | undefined;
  readonly failureModeAllow: boolean;
}

/** Reads and checks the network ExtAuthz; throws ConfigError with the field path inside it. */
export function readNetworkExtAuthz(any: Any | undefined): NetworkExtAuthzConfig {
  if (!any || any.typeUrl !== NETWORK_EXT_AUTHZ_TYPE_URL) throw new ConfigError('', `expected ${NETWORK_EXT_AUTHZ_TYPE_URL}, got ${any?.typeUrl ?? 'no typed_config'}`);
  const c = anyUnpack(any, ExtAuthzSchema);
  if (!c) throw new ConfigError('', `does not decode as ${NETWORK_EXT_AUTHZ_TYPE_URL}`);
  onlyFields(ExtAuthzSchema, c, ['stat_prefix', 'grpc_service', 'failure_mode_allow', 'transport_api_version', 'filter_enabled_metadata'], ISTIO);
  if (c.transportApiVersion !== ApiVersion.V3) throw new ConfigError('transport_api_version', `${ApiVersion[c.transportApiVersion] ?? c.transportApiVersion}: only V3 is supported (as Envoy)`);
  if (!c.grpcService) throw new ConfigError('grpc_service', 'is required');
  const grpc = c.grpcService;
  return {
    service: under('grpc_service', () => readGrpcService(grpc)),
    enabledWhen: c.filterEnabledMetadata ? under('filter_enabled_metadata', () => compileMetadataMatcher(c.filterEnabledMetadata!)) : undefined,
    failureModeAllow: c.failureModeAllow,
  };
}

function tlsOf(socket: object): TLSSocket | undefined {
  return (socket as TLSSocket).encrypted ? socket as TLSSocket : undefined;
}

export const networkExtAuthzFactory: NetworkFilterFactory = {
  typeUrls: [NETWORK_EXT_AUTHZ_TYPE_URL],
  createGate(config, env) {
    const cfg = under('typed_config', () => readNetworkExtAuthz(config));
    const client = env.http;
    if (!client) throw new ConfigError('typed_config', 'network ext_authz needs the proxy core\'s async client to call its service; none was given');
    return (socket, info) => {
      if (cfg.enabledWhen && !cfg.enabledWhen(connectionMetadataOf(socket))) return undefined;
      const ac = new AbortController();
      const onClose = () => ac.abort(new Error('downstream closed'));
      socket.once('close', onClose);
      return client.send(cfg.service.cluster, grpcCheckRequest(cfg.service, networkCheckRequest(info, tlsOf(socket)), MAX_AUTHZ_RESPONSE_BYTES, ac.signal))
        .then((res) => grpcCheckResult(res), (e: Error) => ({ status: 'error' as const, reason: e.message }))
        .then((r) => {
          socket.off('close', onClose);
          if (r.status === 'ok') return undefined;
          if (r.status === 'error' && cfg.failureModeAllow) return undefined;
          return EXT_AUTHZ_CLOSE;
        });
    };
  },
  create() {
    throw new ConfigError('name', 'envoy.filters.network.ext_authz is not a terminal filter; put it before tcp_proxy (as istiod does)');
  },
};
