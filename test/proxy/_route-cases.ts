/**
 * One table of routing cases, run twice: through the pure selector (route-select.test.ts) and
 * through the real proxy on real sockets (route-table-e2e.test.ts). Clusters are `c1`, `c2`, `c3`;
 * each is an echo backend of the same name in the socket run.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import { HeaderValueOption_HeaderAppendAction } from '../../src/xds/gen/envoy/config/core/v3/base_pb.js';
import type { RouteSchema, VirtualHostSchema } from '../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { RedirectAction_RedirectResponseCode } from '../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { type RouteConfiguration, RouteConfigurationSchema } from '../../src/xds/gen/envoy/config/route/v3/route_pb.js';

type RouteInit = MessageInitShape<typeof RouteSchema>;
type VhInit = MessageInitShape<typeof VirtualHostSchema>;

export interface RouteCase {
  readonly name: string;
  readonly rc: RouteConfiguration;
  readonly req: { authority: string; path: string; method?: string; headers?: Record<string, string> };
  /** The random draws in order (weighted clusters, runtime fractions). */
  readonly random?: readonly number[];
  readonly expect:
    | { kind: 'forward'; cluster: string; path?: string; authority?: string; requestHeaders?: Record<string, string | undefined>; responseHeaders?: Record<string, string> }
    | { kind: 'no-route' }
    | { kind: 'redirect'; status: number; location: string }
    | { kind: 'direct'; status: number; body?: string }
    | { kind: 'cors-preflight'; headers: Record<string, string> };
}

const to = (cluster: string, extra: Record<string, unknown> = {}): RouteInit['action'] => ({ case: 'route', value: { clusterSpecifier: { case: 'cluster', value: cluster }, ...extra } });
const prefix = (p: string, extra: Record<string, unknown> = {}) => ({ pathSpecifier: { case: 'prefix' as const, value: p }, ...extra });
const rc = (virtualHosts: VhInit[], extra: Partial<MessageInitShape<typeof RouteConfigurationSchema>> = {}) => create(RouteConfigurationSchema, { name: 'r', virtualHosts, ...extra } as never);
const vh = (name: string, domains: string[], routes: RouteInit[], extra: Partial<VhInit> = {}): VhInit => ({ name, domains, routes, ...extra }) as VhInit;
const hdr = (name: string, spec: Record<string, unknown>, invert = false) => ({ name, headerMatchSpecifier: spec as never, invertMatch: invert });
const sm = (c: string, v: string, ignoreCase = false) => ({ case: 'stringMatch', value: { matchPattern: { case: c, value: c === 'safeRegex' ? { regex: v } : v }, ignoreCase } });
const add = (key: string, value: string, appendAction = HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD) => ({ header: { key, value }, appendAction });

const hosts = rc([
  vh('exact', ['shop.example.com'], [{ match: prefix('/'), action: to('c1') }]),
  vh('suffix', ['*.example.com'], [{ match: prefix('/'), action: to('c2') }]),
  vh('longer-suffix', ['*.api.example.com'], [{ match: prefix('/'), action: to('c3') }]),
  vh('prefix', ['internal.*'], [{ match: prefix('/'), action: to('c3') }]),
  vh('any', ['*'], [{ match: prefix('/'), action: to('c1', { prefixRewrite: '/fallback/' }) }]),
]);
/** Domains as a configuration may write them, with capitals (istiod lower-cases its own; Envoy lower-cases any at load). */
const capitalDomains = rc([
  vh('exact', ['Pay.Example.com'], [{ match: prefix('/'), action: to('c1') }]),
  vh('suffix', ['*.Partner.Example'], [{ match: prefix('/'), action: to('c2') }]),
]);
const noDefault = rc([vh('only', ['a.test', 'a.test:8080'], [{ match: prefix('/'), action: to('c1') }])]);
const ignorePort = rc([vh('only', ['a.test'], [{ match: prefix('/'), action: to('c2') }])], { ignorePortInHostMatching: true });

const paths = rc([vh('p', ['*'], [
  { match: { pathSpecifier: { case: 'path', value: '/exact' } }, action: to('c1') },
  { match: prefix('/CaseLess', { caseSensitive: false }), action: to('c2') },
  { match: { pathSpecifier: { case: 'safeRegex', value: { regex: '/items/[0-9]+' } } }, action: to('c3') },
  { match: { pathSpecifier: { case: 'pathSeparatedPrefix', value: '/api' } }, action: to('c2') },
  { match: prefix('/apix'), action: to('c3') },
  { match: prefix('/first'), action: to('c1') },
  { match: prefix('/first'), action: to('c2') },
])]);

const headers = rc([vh('h', ['*'], [
  { match: prefix('/', { headers: [hdr('x-exact', { case: 'exactMatch', value: 'yes' })] }), action: to('c1') },
  { match: prefix('/', { headers: [hdr('x-pre', sm('prefix', 'abc'))] }), action: to('c2') },
  { match: prefix('/', { headers: [hdr('x-suf', sm('suffix', '.json'))] }), action: to('c3') },
  { match: prefix('/', { headers: [hdr('x-has', sm('contains', 'mid'))] }), action: to('c1', { prefixRewrite: '/contains/' }) },
  { match: prefix('/', { headers: [hdr('x-re', sm('safeRegex', 'v[0-9]+'))] }), action: to('c2', { prefixRewrite: '/regex/' }) },
  { match: prefix('/', { headers: [hdr('x-present', { case: 'presentMatch', value: true })] }), action: to('c3', { prefixRewrite: '/present/' }) },
  { match: prefix('/', { headers: [hdr('x-not', sm('exact', 'blocked'), true)] }), action: to('c1', { prefixRewrite: '/inverted/' }) },
  { match: prefix('/', { headers: [hdr('x-ci', sm('exact', 'MiXeD', true))] }), action: to('c2', { prefixRewrite: '/ignorecase/' }) },
  { match: prefix('/', { headers: [hdr(':method', sm('exact', 'DELETE'))] }), action: to('c3', { prefixRewrite: '/method/' }) },
  { match: prefix('/', { queryParameters: [{ name: 'debug', queryParameterMatchSpecifier: { case: 'stringMatch', value: { matchPattern: { case: 'exact', value: '1' } } } }] }), action: to('c1', { prefixRewrite: '/query/' }) },
  { match: prefix('/', { queryParameters: [{ name: 'flag', queryParameterMatchSpecifier: { case: 'presentMatch', value: true } }] }), action: to('c2', { prefixRewrite: '/qpresent/' }) },
])]);

const actions = rc([vh('a', ['*'], [
  { match: prefix('/split'), action: { case: 'route', value: { clusterSpecifier: { case: 'weightedClusters', value: { clusters: [{ name: 'c1', weight: 90 }, { name: 'c2', weight: 10 }, { name: 'c3', weight: 0 }] } } } } },
  { match: prefix('/https'), action: { case: 'redirect', value: { schemeRewriteSpecifier: { case: 'httpsRedirect', value: true } } } },
  { match: prefix('/moved'), action: { case: 'redirect', value: { hostRedirect: 'new.test', portRedirect: 8443, pathRewriteSpecifier: { case: 'pathRedirect', value: '/landing' }, stripQuery: true, responseCode: RedirectAction_RedirectResponseCode.PERMANENT_REDIRECT } } },
  { match: prefix('/old/'), action: { case: 'redirect', value: { pathRewriteSpecifier: { case: 'prefixRewrite', value: '/new/' }, responseCode: RedirectAction_RedirectResponseCode.FOUND } } },
  { match: prefix('/down'), action: { case: 'directResponse', value: { status: 503, body: { specifier: { case: 'inlineString', value: 'maintenance' } } } } },
  { match: prefix('/v1/'), action: to('c2', { prefixRewrite: '/v2/' }) },
  { match: { pathSpecifier: { case: 'safeRegex', value: { regex: '/users/([0-9]+)/profile' } } }, action: to('c3', { regexRewrite: { pattern: { regex: '^/users/([0-9]+)/profile$' }, substitution: '/profiles/\\1' } }) },
  { match: prefix('/rehost'), action: to('c1', { hostRewriteSpecifier: { case: 'hostRewriteLiteral', value: 'backend.internal' } }) },
  { match: prefix('/byheader'), action: { case: 'route', value: { clusterSpecifier: { case: 'clusterHeader', value: 'x-cluster' } } } },
  { match: prefix('/sometimes', { runtimeFraction: { defaultValue: { numerator: 50, denominator: 0 } } }), action: to('c3') },
  { match: prefix('/sometimes'), action: to('c2') },
])]);

const headerOps = rc([vh('ops', ['*'], [
  {
    match: prefix('/'), action: to('c1'),
    requestHeadersToAdd: [add('x-level', 'route'), add('x-route-only', 'r')], requestHeadersToRemove: ['x-drop'],
    responseHeadersToAdd: [add('x-resp', 'route')],
  },
], { requestHeadersToAdd: [add('x-level', 'vhost'), add('x-vh-only', 'v', HeaderValueOption_HeaderAppendAction.ADD_IF_ABSENT)], responseHeadersToAdd: [add('x-resp-vh', 'vhost')] })],
{ requestHeadersToAdd: [add('x-level', 'config')], responseHeadersToRemove: ['x-backend'] });

const cors = rc([vh('cors', ['*'], [{ match: prefix('/'), action: to('c1', { cors: { allowOriginStringMatch: [{ matchPattern: { case: 'exact', value: 'https://app.test' } }], allowMethods: 'GET,POST', allowHeaders: 'x-token', maxAge: '600', allowCredentials: true } }) }])]);

export const ROUTE_CASES: readonly RouteCase[] = [
  { name: 'exact domain beats wildcards', rc: hosts, req: { authority: 'shop.example.com', path: '/' }, expect: { kind: 'forward', cluster: 'c1', path: '/' } },
  { name: 'host compares case-insensitively', rc: hosts, req: { authority: 'SHOP.Example.COM', path: '/' }, expect: { kind: 'forward', cluster: 'c1' } },
  { name: 'a domain configured with capitals matches the host in any case', rc: capitalDomains, req: { authority: 'pay.example.com', path: '/' }, expect: { kind: 'forward', cluster: 'c1' } },
  { name: 'a wildcard domain configured with capitals matches the host in any case', rc: capitalDomains, req: { authority: 'API.partner.example', path: '/' }, expect: { kind: 'forward', cluster: 'c2' } },
  { name: 'suffix wildcard', rc: hosts, req: { authority: 'www.example.com', path: '/' }, expect: { kind: 'forward', cluster: 'c2' } },
  { name: 'longest suffix wildcard wins', rc: hosts, req: { authority: 'v1.api.example.com', path: '/' }, expect: { kind: 'forward', cluster: 'c3' } },
  { name: 'suffix wildcard needs at least one character', rc: hosts, req: { authority: 'example.com', path: '/x' }, expect: { kind: 'forward', cluster: 'c1', path: '/fallback/x' } },
  { name: 'prefix wildcard', rc: hosts, req: { authority: 'internal.corp', path: '/' }, expect: { kind: 'forward', cluster: 'c3' } },
  { name: '* catches the rest', rc: hosts, req: { authority: 'other.test', path: '/a' }, expect: { kind: 'forward', cluster: 'c1', path: '/fallback/a' } },
  { name: 'the port is part of the host by default', rc: hosts, req: { authority: 'shop.example.com:8080', path: '/p' }, expect: { kind: 'forward', cluster: 'c1', path: '/fallback/p' } },
  { name: 'a domain with the port matches host:port', rc: noDefault, req: { authority: 'a.test:8080', path: '/' }, expect: { kind: 'forward', cluster: 'c1' } },
  { name: 'no virtual host → no route', rc: noDefault, req: { authority: 'b.test', path: '/' }, expect: { kind: 'no-route' } },
  { name: 'ignore_port_in_host_matching strips the port', rc: ignorePort, req: { authority: 'a.test:9999', path: '/' }, expect: { kind: 'forward', cluster: 'c2' } },
  { name: 'exact path', rc: paths, req: { authority: 'x', path: '/exact?q=1' }, expect: { kind: 'forward', cluster: 'c1', path: '/exact?q=1' } },
  { name: 'exact path does not match a longer path', rc: paths, req: { authority: 'x', path: '/exact/more' }, expect: { kind: 'no-route' } },
  { name: 'case-insensitive prefix', rc: paths, req: { authority: 'x', path: '/caseless/x' }, expect: { kind: 'forward', cluster: 'c2' } },
  { name: 'safe_regex matches the whole path', rc: paths, req: { authority: 'x', path: '/items/42' }, expect: { kind: 'forward', cluster: 'c3' } },
  { name: 'safe_regex does not match a partial path', rc: paths, req: { authority: 'x', path: '/items/42/x' }, expect: { kind: 'no-route' } },
  { name: 'path_separated_prefix matches the segment', rc: paths, req: { authority: 'x', path: '/api/v1' }, expect: { kind: 'forward', cluster: 'c2' } },
  { name: 'path_separated_prefix matches the prefix alone', rc: paths, req: { authority: 'x', path: '/api?x=1' }, expect: { kind: 'forward', cluster: 'c2' } },
  { name: 'path_separated_prefix does not match a longer segment', rc: paths, req: { authority: 'x', path: '/apix' }, expect: { kind: 'forward', cluster: 'c3' } },
  { name: 'first matching route wins', rc: paths, req: { authority: 'x', path: '/first' }, expect: { kind: 'forward', cluster: 'c1' } },
  { name: 'header exact', rc: headers, req: { authority: 'x', path: '/', headers: { 'x-exact': 'yes' } }, expect: { kind: 'forward', cluster: 'c1', path: '/' } },
  { name: 'header prefix', rc: headers, req: { authority: 'x', path: '/', headers: { 'x-pre': 'abcdef' } }, expect: { kind: 'forward', cluster: 'c2' } },
  { name: 'header suffix', rc: headers, req: { authority: 'x', path: '/', headers: { 'x-suf': 'a.json' } }, expect: { kind: 'forward', cluster: 'c3' } },
  { name: 'header contains', rc: headers, req: { authority: 'x', path: '/', headers: { 'x-has': 'amidb' } }, expect: { kind: 'forward', cluster: 'c1', path: '/contains/' } },
  { name: 'header safe_regex (full match)', rc: headers, req: { authority: 'x', path: '/', headers: { 'x-re': 'v12' } }, expect: { kind: 'forward', cluster: 'c2', path: '/regex/' } },
  { name: 'header present', rc: headers, req: { authority: 'x', path: '/', headers: { 'x-present': '' } }, expect: { kind: 'forward', cluster: 'c3', path: '/present/' } },
  { name: 'inverted header match', rc: headers, req: { authority: 'x', path: '/', headers: { 'x-not': 'allowed' } }, expect: { kind: 'forward', cluster: 'c1', path: '/inverted/' } },
  { name: 'inverted match of an absent header does not match', rc: headers, req: { authority: 'x', path: '/', headers: { 'x-ci': 'mixed' } }, expect: { kind: 'forward', cluster: 'c2', path: '/ignorecase/' } },
  { name: ':method pseudo-header', rc: headers, req: { authority: 'x', path: '/', method: 'DELETE' }, expect: { kind: 'forward', cluster: 'c3', path: '/method/' } },
  { name: 'query parameter exact', rc: headers, req: { authority: 'x', path: '/?debug=1' }, expect: { kind: 'forward', cluster: 'c1', path: '/query/?debug=1' } },
  { name: 'query parameter present', rc: headers, req: { authority: 'x', path: '/?flag' }, expect: { kind: 'forward', cluster: 'c2', path: '/qpresent/?flag' } },
  { name: 'nothing matches → no route', rc: headers, req: { authority: 'x', path: '/?debug=2' }, expect: { kind: 'no-route' } },
  { name: 'weighted clusters: draw below 90 % → c1', rc: actions, req: { authority: 'x', path: '/split' }, random: [0.89], expect: { kind: 'forward', cluster: 'c1' } },
  { name: 'weighted clusters: draw at 90 % → c2 (weight 0 never)', rc: actions, req: { authority: 'x', path: '/split' }, random: [0.999], expect: { kind: 'forward', cluster: 'c2' } },
  { name: 'https redirect drops the default port', rc: actions, req: { authority: 'a.test:80', path: '/https?x=1' }, expect: { kind: 'redirect', status: 301, location: 'https://a.test/https?x=1' } },
  { name: 'redirect host, port, path, strip_query, 308', rc: actions, req: { authority: 'a.test', path: '/moved?x=1' }, expect: { kind: 'redirect', status: 308, location: 'http://new.test:8443/landing' } },
  { name: 'redirect prefix_rewrite, 302', rc: actions, req: { authority: 'a.test', path: '/old/page?q' }, expect: { kind: 'redirect', status: 302, location: 'http://a.test/new/page?q' } },
  { name: 'direct response', rc: actions, req: { authority: 'a.test', path: '/down' }, expect: { kind: 'direct', status: 503, body: 'maintenance' } },
  { name: 'prefix_rewrite', rc: actions, req: { authority: 'a.test', path: '/v1/items?x=1' }, expect: { kind: 'forward', cluster: 'c2', path: '/v2/items?x=1', requestHeaders: { 'x-envoy-original-path': '/v1/items?x=1' } } },
  { name: 'regex_rewrite', rc: actions, req: { authority: 'a.test', path: '/users/7/profile' }, expect: { kind: 'forward', cluster: 'c3', path: '/profiles/7' } },
  { name: 'host rewrite', rc: actions, req: { authority: 'a.test', path: '/rehost' }, expect: { kind: 'forward', cluster: 'c1', authority: 'backend.internal' } },
  { name: 'cluster_header', rc: actions, req: { authority: 'a.test', path: '/byheader', headers: { 'x-cluster': 'c3' } }, expect: { kind: 'forward', cluster: 'c3' } },
  { name: 'runtime_fraction 50 %: draw 0.3 takes the route', rc: actions, req: { authority: 'a.test', path: '/sometimes' }, random: [0.3], expect: { kind: 'forward', cluster: 'c3' } },
  { name: 'runtime_fraction 50 %: draw 0.7 falls through', rc: actions, req: { authority: 'a.test', path: '/sometimes' }, random: [0.7], expect: { kind: 'forward', cluster: 'c2' } },
  {
    name: 'header operations: route, then virtual host, then route configuration (the last overwrite wins)', rc: headerOps,
    req: { authority: 'a.test', path: '/', headers: { 'x-drop': '1', 'x-vh-only': 'client' } },
    expect: { kind: 'forward', cluster: 'c1', requestHeaders: { 'x-level': 'config', 'x-route-only': 'r', 'x-vh-only': 'client', 'x-drop': undefined }, responseHeaders: { 'x-resp': 'route', 'x-resp-vh': 'vhost' } },
  },
  {
    name: 'CORS preflight from an allowed origin is answered', rc: cors,
    req: { authority: 'a.test', path: '/', method: 'OPTIONS', headers: { origin: 'https://app.test', 'access-control-request-method': 'POST' } },
    expect: { kind: 'cors-preflight', headers: { 'access-control-allow-origin': 'https://app.test', 'access-control-allow-methods': 'GET,POST', 'access-control-allow-headers': 'x-token', 'access-control-max-age': '600', 'access-control-allow-credentials': 'true' } },
  },
  {
    name: 'CORS preflight from another origin goes upstream', rc: cors,
    req: { authority: 'a.test', path: '/', method: 'OPTIONS', headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' } },
    expect: { kind: 'forward', cluster: 'c1' },
  },
  {
    name: 'CORS simple request from an allowed origin gets allow-origin on the response', rc: cors,
    req: { authority: 'a.test', path: '/', headers: { origin: 'https://app.test' } },
    expect: { kind: 'forward', cluster: 'c1', responseHeaders: { 'access-control-allow-origin': 'https://app.test' } },
  },
];
