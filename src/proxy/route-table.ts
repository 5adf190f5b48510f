/**
 * Compiles a RouteConfiguration's virtual hosts and routes into matchers once per RDS update, so a
 * request does only comparisons. Anything this proxy cannot apply is a {@link ConfigError} naming the
 * field (it becomes the RDS NACK's error detail).
 */
import { type Any, anyUnpack } from '@bufbuild/protobuf/wkt';
import { type Route, type RouteAction, type RouteMatch, type VirtualHost } from '../xds/gen/envoy/config/route/v3/route_components_pb.js';
import { CorsPolicySchema } from '../xds/gen/envoy/extensions/filters/http/cors/v3/cors_pb.js';
import type { RouteConfiguration } from '../xds/gen/envoy/config/route/v3/route_pb.js';
import { FractionalPercent_DenominatorType } from '../xds/gen/envoy/type/v3/percent_pb.js';
import { ConfigError, under } from './config/config-error.js';
import { type CompiledCors, compileCors } from './cors.js';
import { type HeaderMutation, compileHeaderMutation } from './header-mutation.js';
import { type HeaderBag, compileHeaderMatcher, compilePathMatcher, compileQueryMatcher } from './route-match.js';
import { type CompiledRedirect, type HostRewrite, type RegexRewrite, compileHostRewrite, compileRedirect, compileRegexRewrite } from './route-rewrite.js';

/** Filter name under which CORS per-route policies live in `typed_per_filter_config`. */
export const CORS_FILTER_NAME = 'envoy.filters.http.cors';

export interface CompiledVirtualHost {
  readonly name: string;
  readonly routes: readonly CompiledRoute[];
  readonly source: VirtualHost;
}

export type CompiledAction =
  | { readonly kind: 'redirect'; readonly redirect: CompiledRedirect }
  | { readonly kind: 'direct'; readonly status: number; readonly body: string | undefined }
  | {
    readonly kind: 'forward'; readonly source: RouteAction; readonly cluster: string | undefined; readonly clusterHeader: string | undefined;
    readonly prefixRewrite: string | undefined; readonly regexRewrite: RegexRewrite | undefined; readonly hostRewrite: HostRewrite | undefined;
  };

export interface WeightedEntry {
  readonly cluster: string | undefined;
  readonly clusterHeader: string | undefined;
  readonly weight: number;
  readonly requestMutations: readonly HeaderMutation[];
  readonly responseMutations: readonly HeaderMutation[];
  readonly hostRewrite: HostRewrite | undefined;
}

export interface CompiledRoute {
  readonly name: string;
  readonly source: Route;
  readonly matchPath: (path: string) => boolean;
  /** Length of the matched prefix for prefix_rewrite (prefix / path_separated_prefix). */
  readonly prefixLength: number | undefined;
  readonly exactPath: boolean;
  readonly headers: readonly ((h: HeaderBag) => boolean)[];
  readonly needsPseudo: boolean;
  readonly query: readonly ((q: ReadonlyMap<string, string>) => boolean)[];
  readonly grpcOnly: boolean;
  /** `runtime_fraction` as a probability in [0, 1), or undefined for always. */
  readonly fraction: number | undefined;
  readonly action: CompiledAction;
  readonly weighted: { readonly total: number; readonly cumulative: readonly number[]; readonly entries: readonly WeightedEntry[]; readonly randomHeader: string | undefined } | undefined;
  readonly requestMutations: readonly HeaderMutation[];
  readonly responseMutations: readonly HeaderMutation[];
  readonly cors: CompiledCors | undefined;
  /** Merged `typed_per_filter_config`: route over virtual host over route configuration. */
  readonly perFilterConfig: ReadonlyMap<string, Any>;
}

const DENOMINATOR: Record<number, number> = { [FractionalPercent_DenominatorType.HUNDRED]: 100, [FractionalPercent_DenominatorType.TEN_THOUSAND]: 10_000, [FractionalPercent_DenominatorType.MILLION]: 1_000_000 };

function mutations(...levels: (HeaderMutation | undefined)[]): HeaderMutation[] {
  return levels.filter((m): m is HeaderMutation => m !== undefined);
}

function corsOf(any: Any | undefined, legacy: RouteAction['cors'], field: string): CompiledCors | undefined {
  if (any) {
    if (any.typeUrl !== `type.googleapis.com/${CorsPolicySchema.typeName}`) {
      throw new ConfigError(`typed_per_filter_config["${CORS_FILTER_NAME}"]`, `type ${any.typeUrl} is not supported for CORS; send ${CorsPolicySchema.typeName}`);
    }
    return under(`typed_per_filter_config["${CORS_FILTER_NAME}"]`, () => compileCors(anyUnpack(any, CorsPolicySchema)!));
  }
  return legacy ? under(field, () => compileCors(legacy)) : undefined;
}

function compileAction(r: Route): CompiledAction {
  const a = r.action;
  switch (a.case) {
    case 'redirect': return { kind: 'redirect', redirect: under('redirect', () => compileRedirect(a.value)) };
    case 'directResponse': {
      const b = a.value.body?.specifier;
      if (b && b.case !== 'inlineString' && b.case !== 'inlineBytes') throw new ConfigError('direct_response.body', `${b.case} bodies are not supported; use inline_string or inline_bytes`);
      const body = b?.case === 'inlineString' ? b.value : b?.case === 'inlineBytes' ? Buffer.from(b.value).toString('utf8') : undefined;
      if (a.value.status < 200 || a.value.status > 599) throw new ConfigError('direct_response.status', `${a.value.status} is outside 200..599`);
      return { kind: 'direct', status: a.value.status, body };
    }
    case 'route': {
      const ra = a.value;
      const cs = ra.clusterSpecifier;
      if (cs.case !== 'cluster' && cs.case !== 'weightedClusters' && cs.case !== 'clusterHeader') {
        throw new ConfigError('route.cluster_specifier', `${cs.case ?? 'nothing'} is not supported; use cluster, weighted_clusters or cluster_header`);
      }
      if (ra.prefixRewrite && ra.regexRewrite) throw new ConfigError('route', 'prefix_rewrite and regex_rewrite are mutually exclusive');
      return {
        kind: 'forward', source: ra,
        cluster: cs.case === 'cluster' ? cs.value : undefined,
        clusterHeader: cs.case === 'clusterHeader' ? cs.value.toLowerCase() : undefined,
        prefixRewrite: ra.prefixRewrite || undefined,
        regexRewrite: ra.regexRewrite ? under('route.regex_rewrite', () => compileRegexRewrite(ra.regexRewrite!)) : undefined,
        hostRewrite: under('route', () => compileHostRewrite(ra)),
      };
    }
    default:
      throw new ConfigError('action', `${a.case ?? 'no action'} is not supported; use route, redirect or direct_response`);
  }
}

/**
 * A route `dynamic_metadata` matcher on `envoy.filters.http.jwt_authn` (istiod's JWT claim routing).
 * This proxy runs no jwt_authn filter, so no request carries that metadata: as in Envoy for a request
 * without a verified JWT, the matcher never matches, and an inverted one (`withoutHeaders`) always does.
 * Matchers on any other filter's metadata are refused.
 */
function compileJwtClaimMatcher(d: RouteMatch['dynamicMetadata'][number]): () => boolean {
  if (d.filter !== 'envoy.filters.http.jwt_authn') throw new ConfigError('filter', `dynamic_metadata matching on "${d.filter}" is not supported by this proxy; only envoy.filters.http.jwt_authn (JWT claim routes, never present here)`);
  const invert = d.invert;
  return () => invert;
}

function compileRoute(r: Route, vh: VirtualHost, rc: RouteConfiguration, vhMut: HeaderMutation[], rcMut: HeaderMutation[], vhResp: HeaderMutation[], rcResp: HeaderMutation[]): CompiledRoute {
  const m = r.match;
  if (!m) throw new ConfigError('match', 'a route needs a match');
  if (m.tlsContext) throw new ConfigError('match', 'tls_context matching is not supported by this proxy');
  const matchPath = under('match', () => compilePathMatcher(m));
  const headers = [...m.headers.map((h, i) => under(`match.headers[${i}]`, () => compileHeaderMatcher(h))), ...m.dynamicMetadata.map((d, i) => under(`match.dynamic_metadata[${i}]`, () => compileJwtClaimMatcher(d)))];
  const query = m.queryParameters.map((q, i) => under(`match.query_parameters[${i}]`, () => compileQueryMatcher(q)));
  let fraction: number | undefined;
  const rf = m.runtimeFraction?.defaultValue;
  if (m.runtimeFraction) {
    const den = DENOMINATOR[rf?.denominator ?? 0] ?? 100;
    const num = rf?.numerator ?? 0;
    fraction = num >= den ? undefined : num / den;
  }
  const action = under('', () => compileAction(r));
  const routeMut = mutations(under('', () => compileHeaderMutation(r.requestHeadersToAdd, r.requestHeadersToRemove, 'request_headers')));
  const routeResp = mutations(under('', () => compileHeaderMutation(r.responseHeadersToAdd, r.responseHeadersToRemove, 'response_headers')));
  const requestMutations = [...routeMut, ...vhMut, ...rcMut];
  const responseMutations = [...routeResp, ...vhResp, ...rcResp];
  let weighted: CompiledRoute['weighted'];
  if (r.action.case === 'route' && r.action.value.clusterSpecifier.case === 'weightedClusters') {
    const wc = r.action.value.clusterSpecifier.value;
    const entries = wc.clusters.map((c, i) => under(`route.weighted_clusters.clusters[${i}]`, (): WeightedEntry => {
      if (!c.name && !c.clusterHeader) throw new ConfigError('name', 'a weighted cluster needs a name or a cluster_header');
      const hr = c.hostRewriteSpecifier.case === 'hostRewriteLiteral' && c.hostRewriteSpecifier.value ? { kind: 'literal' as const, host: c.hostRewriteSpecifier.value } : undefined;
      return {
        cluster: c.name || undefined, clusterHeader: c.name ? undefined : c.clusterHeader.toLowerCase(), weight: c.weight ?? 0, hostRewrite: hr,
        requestMutations: [...mutations(compileHeaderMutation(c.requestHeadersToAdd, c.requestHeadersToRemove, 'request_headers')), ...requestMutations],
        responseMutations: [...mutations(compileHeaderMutation(c.responseHeadersToAdd, c.responseHeadersToRemove, 'response_headers')), ...responseMutations],
      };
    }));
    const cumulative: number[] = [];
    let total = 0;
    for (const e of entries) cumulative.push((total += e.weight));
    if (wc.totalWeight !== undefined && wc.totalWeight > 0 && wc.totalWeight !== total) {
      throw new ConfigError('route.weighted_clusters.total_weight', `is ${wc.totalWeight} but the weights sum to ${total}`);
    }
    if (total <= 0) throw new ConfigError('route.weighted_clusters', 'the weights sum to 0; at least one cluster needs a positive weight');
    weighted = { total, cumulative, entries, randomHeader: wc.randomValueSpecifier.case === 'headerName' ? wc.randomValueSpecifier.value.toLowerCase() : undefined };
  }
  const perFilterConfig = new Map<string, Any>([...Object.entries(rc.typedPerFilterConfig), ...Object.entries(vh.typedPerFilterConfig), ...Object.entries(r.typedPerFilterConfig)]);
  const routeCors = corsOf(r.typedPerFilterConfig[CORS_FILTER_NAME], r.action.case === 'route' ? r.action.value.cors : undefined, 'route.cors');
  const cors = routeCors ?? corsOf(vh.typedPerFilterConfig[CORS_FILTER_NAME], vh.cors, 'cors');
  const ps = m.pathSpecifier;
  return {
    name: r.name, source: r, matchPath, headers, query, fraction, action, weighted, requestMutations, responseMutations, perFilterConfig,
    cors: cors ?? undefined,
    needsPseudo: m.headers.some((h) => h.name.startsWith(':')),
    grpcOnly: m.grpc !== undefined,
    prefixLength: ps.case === 'prefix' || ps.case === 'pathSeparatedPrefix' ? ps.value.length : undefined,
    exactPath: ps.case === 'path',
  };
}

/** Virtual hosts by domain kind. Throws ConfigError for a domain listed twice or malformed, as Envoy does. */
export function compileVirtualHosts(rc: RouteConfiguration) {
  const exact = new Map<string, CompiledVirtualHost>();
  const suffixes: [string, CompiledVirtualHost][] = [];
  const prefixes: [string, CompiledVirtualHost][] = [];
  let fallback: CompiledVirtualHost | undefined;
  const rcMut = mutations(compileHeaderMutation(rc.requestHeadersToAdd, rc.requestHeadersToRemove, 'request_headers'));
  const rcResp = mutations(compileHeaderMutation(rc.responseHeadersToAdd, rc.responseHeadersToRemove, 'response_headers'));
  const seen = new Set<string>();
  rc.virtualHosts.forEach((vh, i) => under(`virtual_hosts[${i}]`, () => {
    const vhMut = mutations(compileHeaderMutation(vh.requestHeadersToAdd, vh.requestHeadersToRemove, 'request_headers'));
    const vhResp = mutations(compileHeaderMutation(vh.responseHeadersToAdd, vh.responseHeadersToRemove, 'response_headers'));
    const routes = vh.routes.map((r, j) => under(`routes[${j}]`, () => compileRoute(r, vh, rc, vhMut, rcMut, vhResp, rcResp)));
    const cvh: CompiledVirtualHost = { name: vh.name, routes, source: vh };
    if (vh.domains.length === 0) throw new ConfigError('domains', 'a virtual host needs at least one domain');
    vh.domains.forEach((d, k) => {
      const domain = d.toLowerCase();
      if (seen.has(domain)) throw new ConfigError(`domains[${k}]`, `"${d}" is already a domain of another virtual host of route configuration "${rc.name}"; Envoy refuses duplicate domains`);
      seen.add(domain);
      if (domain === '*') fallback = cvh;
      else if (domain.startsWith('*')) suffixes.push([domain.slice(1), cvh]);
      else if (domain.endsWith('*')) prefixes.push([domain.slice(0, -1), cvh]);
      else if (domain.includes('*')) throw new ConfigError(`domains[${k}]`, `"${d}": a wildcard may only lead or trail the domain`);
      else exact.set(domain, cvh);
    });
  }));
  // Longest first; equal lengths keep configuration order (Array.prototype.sort is stable).
  suffixes.sort((a, b) => b[0].length - a[0].length);
  prefixes.sort((a, b) => b[0].length - a[0].length);
  return { exact, suffixes, prefixes, fallback };
}
