/**
 * Envoy's ext_authz filters for CUSTOM AuthorizationPolicies, as istiod builds them
 * (`pilot/pkg/security/authz/builder/extauthz.go` `generateHTTPConfig`, `generateGRPCConfig`,
 * `generateFilterMatcherForProvider`): `envoy.filters.http.ext_authz` (HTTP or gRPC authorizer)
 * and `envoy.filters.network.ext_authz` (gRPC authorizers on TCP chains). Each follows an RBAC
 * filter holding the provider's CUSTOM rules as shadow rules (`rbac.ts`); the ext_authz filter is
 * enabled only for requests one of those rules matched, which the RBAC filter records in its dynamic
 * metadata as `istio_ext_authz_shadow_effective_policy_id` = the rule's name
 * (`istio-ext-authz-<provider>-ns[<ns>]-policy[<name>]-rule[<i>]`); the filter matches the prefix
 * `istio-ext-authz-<provider>`.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { packAny } from '../encode.js';
import { ApiVersion } from '../gen/envoy/config/core/v3/config_source_pb.js';
import type { GrpcServiceSchema } from '../gen/envoy/config/core/v3/grpc_service_pb.js';
import { ExtAuthzSchema as HttpExtAuthzSchema } from '../gen/envoy/extensions/filters/http/ext_authz/v3/ext_authz_pb.js';
import { ExtAuthzSchema as NetworkExtAuthzSchema } from '../gen/envoy/extensions/filters/network/ext_authz/v3/ext_authz_pb.js';
import { HttpConnectionManagerSchema } from '../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import type { Listener } from '../gen/envoy/config/listener/v3/listener_pb.js';
import type { ListStringMatcherSchema } from '../gen/envoy/type/matcher/v3/string_pb.js';
import type { MetadataMatcherSchema } from '../gen/envoy/type/matcher/v3/metadata_pb.js';
import type { ExtAuthzView } from '../../mesh/view/index.js';
import { duration } from './_common.js';

/** Envoy filter names. */
export const HTTP_EXT_AUTHZ_FILTER = 'envoy.filters.http.ext_authz';
export const NETWORK_EXT_AUTHZ_FILTER = 'envoy.filters.network.ext_authz';
/** The RBAC shadow-rules stat prefix of CUSTOM rules (istio `authz/model.RBACExtAuthzShadowRulesStatPrefix`). */
export const EXT_AUTHZ_SHADOW_PREFIX = 'istio_ext_authz_';
/** Istio's `extAuthzMatchPrefix`. */
const MATCH_PREFIX = 'istio-ext-authz';

/** The RBAC policy name of a CUSTOM rule (istiod `policyName` for the custom builder). */
export function customRuleName(provider: string, ruleName: string): string {
  return `${MATCH_PREFIX}-${provider}-${ruleName}`;
}

/**
 * istiod `generateFilterMatcherForProvider`: the RBAC filter's shadow effective policy id starts with
 * `istio-ext-authz-<provider>`, no `-` after the provider (`custom-grpc-provider-out2.yaml`). So provider
 * `a` would also match the rules of provider `a-b`; harmless while a workload may have one provider
 * (PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS off, `custom-authz.ts`).
 */
function filterEnabledMetadata(rbacFilter: string, provider: string): MessageInitShape<typeof MetadataMatcherSchema> {
  return {
    filter: rbacFilter,
    path: [{ segment: { case: 'key', value: `${EXT_AUTHZ_SHADOW_PREFIX}shadow_effective_policy_id` } }],
    value: { matchPattern: { case: 'stringMatch', value: { matchPattern: { case: 'prefix', value: `${MATCH_PREFIX}-${provider}` } } } },
  };
}

/** istiod `generateHeaders`: `*x` suffix, `x*` prefix, else exact; all ignoring case. Undefined for none. */
function headerList(headers: readonly string[]): MessageInitShape<typeof ListStringMatcherSchema> | undefined {
  if (headers.length === 0) return undefined;
  return {
    patterns: headers.map((h) => ({
      ignoreCase: true,
      matchPattern: h.startsWith('*') ? { case: 'suffix' as const, value: h.slice(1) } : h.endsWith('*') ? { case: 'prefix' as const, value: h.slice(0, -1) } : { case: 'exact' as const, value: h },
    })),
  };
}

function grpcService(p: ExtAuthzView): MessageInitShape<typeof GrpcServiceSchema> {
  return { targetSpecifier: { case: 'envoyGrpc', value: { clusterName: p.cluster, authority: p.host } }, timeout: duration(p.timeoutMs) };
}

/** `envoy.filters.http.ext_authz` for provider `p` (HTTP or gRPC authorizer). */
export function httpExtAuthzFilter(p: ExtAuthzView) {
  const body = p.includeRequestBody;
  const common = {
    ...(p.statusOnError !== null ? { statusOnError: { code: p.statusOnError } } : {}),
    failureModeAllow: p.failOpen,
    transportApiVersion: ApiVersion.V3,
    filterEnabledMetadata: filterEnabledMetadata('envoy.filters.http.rbac', p.name),
    ...(body ? { withRequestBody: { maxRequestBytes: body.maxRequestBytes, allowPartialMessage: body.allowPartialMessage, packAsBytes: body.packAsBytes } } : {}),
  };
  let config;
  if (p.kind === 'envoyExtAuthzGrpc') {
    config = create(HttpExtAuthzSchema, { ...common, services: { case: 'grpcService', value: grpcService(p) } });
  } else {
    const upstream = headerList(p.headersToUpstreamOnAllow);
    const onDeny = headerList(p.headersToDownstreamOnDeny);
    const onAllow = headerList(p.headersToDownstreamOnAllow);
    const allowed = headerList(p.includeRequestHeadersInCheck);
    config = create(HttpExtAuthzSchema, {
      ...common,
      services: {
        case: 'httpService',
        value: {
          pathPrefix: p.pathPrefix,
          // The uri is required but not used by the filter; the cluster is.
          serverUri: { uri: `http://${p.host}`, httpUpstreamType: { case: 'cluster', value: p.cluster }, timeout: duration(p.timeoutMs) },
          ...(p.includeAdditionalHeadersInCheck.length > 0 ? { authorizationRequest: { headersToAdd: p.includeAdditionalHeadersInCheck.map(([key, value]) => ({ key, value })) } } : {}),
          ...(upstream || onDeny || onAllow ? {
            authorizationResponse: {
              ...(upstream ? { allowedUpstreamHeaders: upstream } : {}),
              ...(onDeny ? { allowedClientHeaders: onDeny } : {}),
              ...(onAllow ? { allowedClientHeadersOnSuccess: onAllow } : {}),
            },
          } : {}),
        },
      },
      ...(allowed ? { allowedHeaders: allowed } : {}),
    });
  }
  return { name: HTTP_EXT_AUTHZ_FILTER, configType: { case: 'typedConfig' as const, value: packAny(HttpExtAuthzSchema, config) } };
}

/** `envoy.filters.network.ext_authz` for a gRPC provider on a TCP chain; undefined for an HTTP provider (istiod ignores CUSTOM there). */
export function networkExtAuthzFilter(p: ExtAuthzView) {
  if (p.kind !== 'envoyExtAuthzGrpc') return undefined;
  const config = create(NetworkExtAuthzSchema, {
    statPrefix: 'tcp.',
    failureModeAllow: p.failOpen,
    transportApiVersion: ApiVersion.V3,
    grpcService: grpcService(p),
    filterEnabledMetadata: filterEnabledMetadata('envoy.filters.network.rbac', p.name),
  });
  return { name: NETWORK_EXT_AUTHZ_FILTER, configType: { case: 'typedConfig' as const, value: packAny(NetworkExtAuthzSchema, config) } };
}

/**
 * The clusters the ext_authz filters of `listener` call (HTTP service `server_uri.cluster`, gRPC
 * `envoy_grpc.cluster_name`), in chain order without repeats: what a proxy serving only this
 * listener (verify's inbound sidecars) needs besides its inbound clusters.
 */
export function extAuthzClustersOf(listener: Listener): string[] {
  const out = new Set<string>();
  const grpcCluster = (g: { targetSpecifier: { case?: string; value?: unknown } } | undefined) => {
    if (g?.targetSpecifier.case === 'envoyGrpc') out.add((g.targetSpecifier.value as { clusterName: string }).clusterName);
  };
  for (const chain of listener.filterChains) {
    for (const f of chain.filters) {
      if (f.configType.case !== 'typedConfig') continue;
      const any = f.configType.value;
      if (any.typeUrl === `type.googleapis.com/${NetworkExtAuthzSchema.typeName}`) grpcCluster(anyUnpack(any, NetworkExtAuthzSchema)?.grpcService);
      if (any.typeUrl !== `type.googleapis.com/${HttpConnectionManagerSchema.typeName}`) continue;
      for (const h of anyUnpack(any, HttpConnectionManagerSchema)?.httpFilters ?? []) {
        if (h.configType.case !== 'typedConfig' || h.configType.value.typeUrl !== `type.googleapis.com/${HttpExtAuthzSchema.typeName}`) continue;
        const ext = anyUnpack(h.configType.value, HttpExtAuthzSchema);
        if (ext?.services.case === 'httpService') {
          const u = ext.services.value.serverUri?.httpUpstreamType;
          if (u?.case === 'cluster') out.add(u.value);
        } else if (ext?.services.case === 'grpcService') grpcCluster(ext.services.value);
      }
    }
  }
  return [...out];
}
