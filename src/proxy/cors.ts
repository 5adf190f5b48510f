/**
 * Envoy's CORS filter (`envoy.filters.http.cors`, `source/extensions/filters/http/cors/cors_filter.cc`)
 * as a pure function: a compiled `CorsPolicy` plus the request's Origin, method and
 * Access-Control-Request-Method → a preflight answer, response headers for an allowed CORS request,
 * or nothing.
 */
import type { CorsPolicy as RouteCorsPolicy } from '../xds/gen/envoy/config/route/v3/route_components_pb.js';
import type { CorsPolicy as FilterCorsPolicy } from '../xds/gen/envoy/extensions/filters/http/cors/v3/cors_pb.js';
import { type StringPredicate, compileStringMatcher } from './route-match.js';
import { ConfigError } from './config/config-error.js';

/** A CorsPolicy ready for requests. */
export interface CompiledCors {
  readonly enabled: boolean;
  readonly origins: readonly StringPredicate[];
  readonly allowMethods: string;
  readonly allowHeaders: string;
  readonly exposeHeaders: string;
  readonly maxAge: string;
  readonly allowCredentials: boolean;
  /** `forward_not_matching_preflights` (default true): a preflight from a disallowed origin goes upstream. */
  readonly forwardNotMatchingPreflights: boolean;
}

/** What the CORS filter does with one request. */
export type CorsOutcome =
  | { readonly kind: 'preflight'; readonly headers: readonly string[] }
  | { readonly kind: 'deny-preflight' }
  | { readonly kind: 'allowed'; readonly responseHeaders: readonly string[] };

/**
 * Compiles the CORS filter's per-route `envoy.extensions.filters.http.cors.v3.CorsPolicy` (what Istio
 * sends in `typed_per_filter_config`) or the deprecated `RouteAction.cors`.
 */
export function compileCors(p: FilterCorsPolicy | RouteCorsPolicy): CompiledCors {
  const origins = p.allowOriginStringMatch.map((m, i) => {
    try {
      return compileStringMatcher(m);
    } catch (e) {
      throw e instanceof ConfigError ? e.within(`allow_origin_string_match[${i}]`) : e;
    }
  });
  const fe = 'enabledSpecifier' in p
    ? (p.enabledSpecifier.case === 'filterEnabled' ? p.enabledSpecifier.value.defaultValue : undefined)
    : p.filterEnabled?.defaultValue;
  // A runtime fraction below 100 % has no runtime here to sample: any non-zero default enables it.
  const enabled = fe === undefined || fe.numerator > 0;
  return {
    enabled, origins, allowMethods: p.allowMethods, allowHeaders: p.allowHeaders, exposeHeaders: p.exposeHeaders,
    maxAge: p.maxAge, allowCredentials: p.allowCredentials === true, forwardNotMatchingPreflights: p.forwardNotMatchingPreflights !== false,
  };
}

/**
 * Envoy's decision: no Origin or a disabled policy → nothing; an origin no matcher allows (Envoy also
 * tries `*` against each matcher) → nothing, or `deny-preflight` for a preflight when
 * `forward_not_matching_preflights` is false; an allowed preflight (OPTIONS with
 * Access-Control-Request-Method) → a 200 with the allow-* headers; an allowed request → headers to
 * add to its response.
 */
export function evaluateCors(policy: CompiledCors, method: string, origin: string | undefined, requestMethod: string | undefined): CorsOutcome | undefined {
  if (!policy.enabled || origin === undefined || origin === '') return undefined;
  const preflight = method === 'OPTIONS' && requestMethod !== undefined && requestMethod !== '';
  if (!policy.origins.some((m) => m('*') || m(origin))) {
    return preflight && !policy.forwardNotMatchingPreflights ? { kind: 'deny-preflight' } : undefined;
  }
  if (preflight) {
    const h = ['access-control-allow-origin', origin];
    if (policy.allowCredentials) h.push('access-control-allow-credentials', 'true');
    if (policy.allowMethods) h.push('access-control-allow-methods', policy.allowMethods);
    if (policy.allowHeaders) h.push('access-control-allow-headers', policy.allowHeaders);
    if (policy.maxAge) h.push('access-control-max-age', policy.maxAge);
    return { kind: 'preflight', headers: h };
  }
  const h = ['access-control-allow-origin', origin];
  if (policy.allowCredentials) h.push('access-control-allow-credentials', 'true');
  if (policy.exposeHeaders) h.push('access-control-expose-headers', policy.exposeHeaders);
  return { kind: 'allowed', responseHeaders: h };
}
