/**
 * `envoy.extensions.filters.http.ext_authz.v3.ExtAuthz` read and checked at LDS time: what Istio's
 * `extauthz.go` emits for an `envoyExtAuthzHttp` / `envoyExtAuthzGrpc` extension provider. Any other
 * field that is set (one this proxy would silently ignore) is a ConfigError naming it, so the
 * listener is NACKed rather than enforced differently from Envoy.
 */
import { type DescMessage, isFieldSet, type MessageShape } from '@bufbuild/protobuf';
import { anyUnpack, type Any } from '@bufbuild/protobuf/wkt';
import { ApiVersion } from '../../xds/gen/envoy/config/core/v3/config_source_pb.js';
import { GrpcService_EnvoyGrpcSchema, GrpcServiceSchema } from '../../xds/gen/envoy/config/core/v3/grpc_service_pb.js';
import { HttpUriSchema } from '../../xds/gen/envoy/config/core/v3/http_uri_pb.js';
import {
  AuthorizationRequestSchema, AuthorizationResponseSchema, BufferSettingsSchema, ExtAuthzSchema, HttpServiceSchema,
} from '../../xds/gen/envoy/extensions/filters/http/ext_authz/v3/ext_authz_pb.js';
import type { ListStringMatcher, StringMatcher } from '../../xds/gen/envoy/type/matcher/v3/string_pb.js';
import { ConfigError, under } from '../config/config-error.js';
import { re2Full } from '../rbac/string-match.js';
import { compileMetadataMatcher, type CompiledMetadataMatcher } from './metadata-matcher.js';

export const EXT_AUTHZ_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';

/** Envoy's default call timeout when the service sets none (`DefaultTimeout`, 200 ms). */
export const DEFAULT_TIMEOUT_MS = 200;

/** A list of header-name matchers (`ListStringMatcher`); an empty list matches nothing. */
export type HeaderNameMatcher = readonly StringMatcher[];

/** The HTTP authorization service (`http_service`). */
export interface HttpServiceConfig {
  readonly kind: 'http';
  /** `server_uri.cluster`. */
  readonly cluster: string;
  readonly timeoutMs: number;
  /** `path_prefix`, put before the original `:path`. */
  readonly pathPrefix: string;
  /** `authorization_request.headers_to_add`, set (overwriting) on every check request. */
  readonly headersToAdd: readonly (readonly [string, string])[];
  /** Authorization-response headers set on the upstream request on OK (`allowed_upstream_headers`). */
  readonly upstream: HeaderNameMatcher;
  /** Appended to the upstream request on OK (`allowed_upstream_headers_to_append`). */
  readonly upstreamAppend: HeaderNameMatcher;
  /** Sent to the client on a denial (`allowed_client_headers`); undefined: every header but `host`. */
  readonly client: HeaderNameMatcher | undefined;
  /** Added to the response on OK (`allowed_client_headers_on_success`). */
  readonly clientOnSuccess: HeaderNameMatcher;
}

/** The gRPC authorization service (`grpc_service.envoy_grpc`). */
export interface GrpcServiceConfig {
  readonly kind: 'grpc';
  readonly cluster: string;
  /** `:authority` of the call: `envoy_grpc.authority`, else the cluster name (Envoy). */
  readonly authority: string;
  readonly timeoutMs: number;
  /** `grpc_service.initial_metadata`, sent as request headers. */
  readonly initialMetadata: readonly (readonly [string, string])[];
}

/** One ext_authz filter, ready to run. */
export interface ExtAuthzConfig {
  readonly service: HttpServiceConfig | GrpcServiceConfig;
  /** `filter_enabled_metadata`: the filter runs only when it matches; undefined: always. */
  readonly enabledWhen: CompiledMetadataMatcher | undefined;
  /**
   * Request headers offered to the service. HTTP service: `allowed_headers` (or the deprecated
   * `authorization_request.allowed_headers`) plus Envoy's defaults `authorization`, `:method`,
   * `:path`, `:authority`. gRPC service: `allowed_headers`; undefined means every header.
   */
  readonly allowedHeaders: HeaderNameMatcher | undefined;
  readonly failureModeAllow: boolean;
  readonly failureModeAllowHeaderAdd: boolean;
  /** `status_on_error` (default 403; codes outside 100..511 become 403, as Envoy's `toErrorCode`). */
  readonly statusOnError: number;
  /** `with_request_body`: buffer up to `maxRequestBytes` of the body and send it with the check. */
  readonly withRequestBody: { readonly maxRequestBytes: number; readonly allowPartialMessage: boolean } | undefined;
}

/** Throws a ConfigError for the first field of `msg` that is set and not in `supported` (proto names). */
export function onlyFields<D extends DescMessage>(schema: D, msg: MessageShape<D>, supported: readonly string[], why: string): void {
  for (const f of schema.fields) {
    if (isFieldSet(msg, f) && !supported.includes(f.name)) {
      throw new ConfigError(f.name, `is not supported by meshproof's proxy (${why}); supported here: ${supported.join(', ')}`);
    }
  }
}

export const ISTIO = 'istiod never sets it';

function ms(d: { seconds: bigint; nanos: number } | undefined): number {
  return d === undefined ? DEFAULT_TIMEOUT_MS : Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
}

function headerMatchers(list: ListStringMatcher | undefined, at: string): HeaderNameMatcher {
  const patterns = list?.patterns ?? [];
  patterns.forEach((p, i) => under(`${at}.patterns[${i}]`, () => {
    if (p.matchPattern.case === undefined) throw new ConfigError('', 'no match pattern set; set exact, prefix, suffix, contains or safe_regex');
    if (p.matchPattern.case === 'custom') throw new ConfigError('custom', 'custom string matchers are not supported');
    if (p.matchPattern.case === 'safeRegex') {
      try { re2Full(p.matchPattern.value.regex); } catch (e) { throw new ConfigError('safe_regex', (e as Error).message); }
    }
  }));
  return patterns;
}

function errorCode(code: number | undefined): number {
  return code !== undefined && code >= 100 && code <= 511 ? code : 403;
}

/** Reads and checks an ExtAuthz `typed_config`; throws ConfigError with the field path inside it. */
export function readExtAuthz(any: Any | undefined): ExtAuthzConfig {
  if (!any || any.typeUrl !== EXT_AUTHZ_TYPE_URL) throw new ConfigError('', `expected ${EXT_AUTHZ_TYPE_URL}, got ${any?.typeUrl ?? 'no typed_config'}`);
  const c = anyUnpack(any, ExtAuthzSchema);
  if (!c) throw new ConfigError('', `does not decode as ${EXT_AUTHZ_TYPE_URL}`);
  onlyFields(ExtAuthzSchema, c, [
    'grpc_service', 'http_service', 'transport_api_version', 'failure_mode_allow', 'failure_mode_allow_header_add', 'with_request_body',
    'status_on_error', 'filter_enabled_metadata', 'allowed_headers', 'stat_prefix', 'charge_cluster_response_stats',
  ], ISTIO);
  if (c.transportApiVersion !== ApiVersion.V3) throw new ConfigError('transport_api_version', `${ApiVersion[c.transportApiVersion] ?? c.transportApiVersion}: only V3 is supported (as Envoy)`);
  const s = c.services;
  let service: HttpServiceConfig | GrpcServiceConfig;
  if (s.case === 'httpService') {
    service = under('http_service', () => readHttpService(s.value));
    if (c.allowedHeaders && s.value.authorizationRequest?.allowedHeaders) {
      throw new ConfigError('allowed_headers', 'set both here and in http_service.authorization_request.allowed_headers; Envoy rejects the duplicate, keep one');
    }
  } else if (s.case === 'grpcService') {
    service = under('grpc_service', () => readGrpcService(s.value));
  } else {
    throw new ConfigError('services', 'neither grpc_service nor http_service is set; set exactly one');
  }
  const listed = s.case === 'httpService' && s.value.authorizationRequest?.allowedHeaders
    ? headerMatchers(s.value.authorizationRequest.allowedHeaders, 'http_service.authorization_request.allowed_headers')
    : c.allowedHeaders ? headerMatchers(c.allowedHeaders, 'allowed_headers') : undefined;
  const allowedHeaders = service.kind === 'http'
    ? [...(listed ?? []), ...['authorization', ':method', ':path', ':authority'].map(exactName)]
    : listed;
  const body = c.withRequestBody;
  if (body) under('with_request_body', () => onlyFields(BufferSettingsSchema, body, ['max_request_bytes', 'allow_partial_message'], ISTIO));
  return {
    service,
    enabledWhen: c.filterEnabledMetadata ? under('filter_enabled_metadata', () => compileMetadataMatcher(c.filterEnabledMetadata!)) : undefined,
    allowedHeaders,
    failureModeAllow: c.failureModeAllow,
    failureModeAllowHeaderAdd: c.failureModeAllowHeaderAdd,
    statusOnError: errorCode(c.statusOnError?.code),
    withRequestBody: body ? { maxRequestBytes: body.maxRequestBytes, allowPartialMessage: body.allowPartialMessage } : undefined,
  };
}

function exactName(name: string): StringMatcher {
  return { matchPattern: { case: 'exact', value: name }, ignoreCase: false } as StringMatcher;
}

function readHttpService(h: MessageShape<typeof HttpServiceSchema>): HttpServiceConfig {
  onlyFields(HttpServiceSchema, h, ['server_uri', 'path_prefix', 'authorization_request', 'authorization_response'], ISTIO);
  const uri = h.serverUri;
  if (!uri) throw new ConfigError('server_uri', 'is required (uri, cluster, timeout)');
  under('server_uri', () => onlyFields(HttpUriSchema, uri, ['uri', 'cluster', 'timeout'], ISTIO));
  if (uri.httpUpstreamType.case !== 'cluster' || uri.httpUpstreamType.value === '') throw new ConfigError('server_uri.cluster', 'the authorization service\'s cluster name is missing');
  if (h.pathPrefix !== '' && !h.pathPrefix.startsWith('/')) throw new ConfigError('path_prefix', `"${h.pathPrefix}" must start with "/"`);
  const req = h.authorizationRequest;
  if (req) under('authorization_request', () => onlyFields(AuthorizationRequestSchema, req, ['allowed_headers', 'headers_to_add'], ISTIO));
  const res = h.authorizationResponse;
  if (res) {
    under('authorization_response', () => onlyFields(AuthorizationResponseSchema, res, [
      'allowed_upstream_headers', 'allowed_upstream_headers_to_append', 'allowed_client_headers', 'allowed_client_headers_on_success',
    ], ISTIO));
  }
  const at = 'authorization_response';
  return {
    kind: 'http', cluster: uri.httpUpstreamType.value, timeoutMs: ms(uri.timeout), pathPrefix: h.pathPrefix,
    headersToAdd: (req?.headersToAdd ?? []).map((x) => [x.key.toLowerCase(), x.value] as const),
    upstream: headerMatchers(res?.allowedUpstreamHeaders, `${at}.allowed_upstream_headers`),
    upstreamAppend: headerMatchers(res?.allowedUpstreamHeadersToAppend, `${at}.allowed_upstream_headers_to_append`),
    client: res?.allowedClientHeaders?.patterns.length ? headerMatchers(res.allowedClientHeaders, `${at}.allowed_client_headers`) : undefined,
    clientOnSuccess: headerMatchers(res?.allowedClientHeadersOnSuccess, `${at}.allowed_client_headers_on_success`),
  };
}

export function readGrpcService(g: MessageShape<typeof GrpcServiceSchema>): GrpcServiceConfig {
  onlyFields(GrpcServiceSchema, g, ['envoy_grpc', 'timeout', 'initial_metadata'], ISTIO);
  const t = g.targetSpecifier;
  if (t.case !== 'envoyGrpc') throw new ConfigError('envoy_grpc', 'is required (google_grpc is not supported by meshproof\'s proxy; istiod emits envoy_grpc)');
  under('envoy_grpc', () => onlyFields(GrpcService_EnvoyGrpcSchema, t.value, ['cluster_name', 'authority'], ISTIO));
  if (t.value.clusterName === '') throw new ConfigError('envoy_grpc.cluster_name', 'the authorization service\'s cluster name is missing');
  return {
    kind: 'grpc', cluster: t.value.clusterName, authority: t.value.authority || t.value.clusterName, timeoutMs: ms(g.timeout),
    initialMetadata: g.initialMetadata.map((x) => [x.key.toLowerCase(), x.value] as const),
  };
}
