/**
 * ext_authz's rules without sockets: the metadata gate Istio's CUSTOM action relies on (the RBAC
 * filter's shadow result), which headers the HTTP service receives and which of its response headers
 * go where, the gRPC CheckResponse mapping, errors and failure_mode_allow, and what LDS refuses.
 */
import { create, fromJson, type MessageInitShape } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiVersion } from '../../src/xds/gen/envoy/config/core/v3/config_source_pb.js';
import { ListenerSchema } from '../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { RBACSchema, type RBACJson } from '../../src/xds/gen/envoy/config/rbac/v3/rbac_pb.js';
import { ExtAuthzSchema } from '../../src/xds/gen/envoy/extensions/filters/http/ext_authz/v3/ext_authz_pb.js';
import { RBACSchema as HttpRbacSchema } from '../../src/xds/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import { ExtAuthzSchema as NetworkExtAuthzSchema } from '../../src/xds/gen/envoy/extensions/filters/network/ext_authz/v3/ext_authz_pb.js';
import { TcpProxySchema } from '../../src/xds/gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { CheckResponseSchema } from '../../src/xds/gen/envoy/service/auth/v3/external_auth_pb.js';
import { ConfigError } from '../../src/proxy/config/config-error.js';
import { compileListener } from '../../src/proxy/config/listener-config.js';
import { createExtensions } from '../../src/proxy/extensions.js';
import { checkHeaders } from '../../src/proxy/ext-authz/check.js';
import { type HttpServiceConfig, readExtAuthz } from '../../src/proxy/ext-authz/config.js';
import { completeCheck, extAuthzFilterFactory } from '../../src/proxy/ext-authz/filter.js';
import { grpcCheckResult } from '../../src/proxy/ext-authz/grpc-service.js';
import { httpCheckRequest, httpCheckResult } from '../../src/proxy/ext-authz/http-service.js';
import type { AsyncRequest, AsyncResponse, Exchange, NetworkEnv } from '../../src/proxy/http/pipeline.js';
import { httpRbacFilterFactory } from '../../src/proxy/rbac/http-filter.js';
import { toBinary } from '@bufbuild/protobuf';
import { Readable } from 'node:stream';

type Init = MessageInitShape<typeof ExtAuthzSchema>;
const ms = (n: number) => ({ seconds: BigInt(Math.floor(n / 1000)), nanos: (n % 1000) * 1e6 });
const exact = (v: string) => ({ matchPattern: { case: 'exact' as const, value: v }, ignoreCase: true });
const gate = (p: string) => ({
  filter: 'envoy.filters.http.rbac', path: [{ segment: { case: 'key' as const, value: 'istio_ext_authz_shadow_effective_policy_id' } }],
  value: { matchPattern: { case: 'stringMatch' as const, value: { matchPattern: { case: 'prefix' as const, value: `istio-ext-authz-${p}-` } } } },
});
const httpSvc = (extra: Record<string, unknown> = {}): Init['services'] => ({
  case: 'httpService',
  value: { serverUri: { uri: 'http://authz', httpUpstreamType: { case: 'cluster', value: 'outbound|8000||authz' }, timeout: ms(600_000) }, ...extra } as never,
});
const pack = (init: Init) => anyPack(ExtAuthzSchema, create(ExtAuthzSchema, { transportApiVersion: ApiVersion.V3, ...init } as Init));
const cfgOf = (init: Init) => readExtAuthz(pack(init));

function exchange(path: string, headers: Record<string, string> = {}, method = 'GET'): Exchange {
  return {
    downstream: { remoteAddress: '10.0.0.9', remotePort: 40000, localAddress: '10.0.0.5', localPort: 8080, listener: 'l', protocol: 'HTTP/1.1', tls: undefined },
    method, path, authority: 'shop.local', scheme: 'http', headers: { host: 'shop.local', ...headers }, decision: undefined, clusterName: '', flags: [], details: '',
    body: null, upstreamHost: undefined, attempts: 0, signal: new AbortController().signal, state: new Map(),
  };
}

const shadowRbac = (p: string, extra: RBACJson['policies'] = {}) => anyPack(HttpRbacSchema, create(HttpRbacSchema, {
  shadowRules: fromJson(RBACSchema, { action: 'DENY', policies: { [`istio-ext-authz-${p}-ns[shop]-policy[ext]-rule[0]`]: { permissions: [{ urlPath: { path: { prefix: '/checked' } } }], principals: [{ any: true }] }, ...extra } } as RBACJson),
  shadowRulesStatPrefix: 'istio_ext_authz_',
}));

// The metadata gate: RBAC writes the shadow result; ext_authz's filter_enabled_metadata reads it.

test('GIVEN istiod\'s shadow RBAC filter for provider web WHEN a request its rule matches passes THEN it is not denied and the policy id and result are dynamic metadata under envoy.filters.http.rbac', () => {
  const f = httpRbacFilterFactory.create(shadowRbac('web'));
  const ex = exchange('/checked/a');
  assert.is(f.onRequest(ex), undefined);
  assert.equal(ex.dynamicMetadata, { 'envoy.filters.http.rbac': {
    istio_ext_authz_shadow_effective_policy_id: 'istio-ext-authz-web-ns[shop]-policy[ext]-rule[0]', istio_ext_authz_shadow_engine_result: 'denied',
  } });
});

test('GIVEN the same filter WHEN a request its rule does not match passes THEN only the engine result is written (allowed), no policy id', () => {
  const ex = exchange('/public');
  assert.is(httpRbacFilterFactory.create(shadowRbac('web')).onRequest(ex), undefined);
  assert.equal(ex.dynamicMetadata, { 'envoy.filters.http.rbac': { istio_ext_authz_shadow_engine_result: 'allowed' } });
});

const gateCases: Array<{ name: string; metadata: Exchange['dynamicMetadata']; enabled: boolean }> = [
  { name: 'the provider\'s policy id', metadata: { 'envoy.filters.http.rbac': { istio_ext_authz_shadow_effective_policy_id: 'istio-ext-authz-web-ns[a]-policy[b]-rule[0]' } }, enabled: true },
  { name: 'another provider\'s policy id', metadata: { 'envoy.filters.http.rbac': { istio_ext_authz_shadow_effective_policy_id: 'istio-ext-authz-other-ns[a]-policy[b]-rule[0]' } }, enabled: false },
  { name: 'only an engine result (no rule matched)', metadata: { 'envoy.filters.http.rbac': { istio_ext_authz_shadow_engine_result: 'allowed' } }, enabled: false },
  { name: 'no dynamic metadata', metadata: undefined, enabled: false },
  { name: 'the id under another filter name', metadata: { 'envoy.filters.network.rbac': { istio_ext_authz_shadow_effective_policy_id: 'istio-ext-authz-web-x' } }, enabled: false },
];
for (const c of gateCases) {
  test(`GIVEN filter_enabled_metadata for provider web WHEN the request carries ${c.name} THEN the filter is ${c.enabled ? 'enabled' : 'disabled'}`, () => {
    const cfg = cfgOf({ services: httpSvc(), filterEnabledMetadata: gate('web') });
    assert.is(cfg.enabledWhen!(c.metadata), c.enabled);
  });
}

// The HTTP service: the check request and the response header rules.

test('GIVEN an HTTP provider with path_prefix, allowed_headers and headers_to_add WHEN a request is checked THEN the check keeps method, prefixed path and host, sends authorization and the allowed header only, and the added header overrides', () => {
  const cfg = cfgOf({
    services: httpSvc({ pathPrefix: '/authz', authorizationRequest: { headersToAdd: [{ key: 'x-ext-authz', value: 'allow' }] } }),
    allowedHeaders: { patterns: [exact('x-token'), exact('x-ext-authz')] },
  });
  const ex = exchange('/checked/a?x=1', { authorization: 'Bearer t', 'x-token': 'tok', 'x-secret': 's', 'x-ext-authz': 'client-said' }, 'PUT');
  const r = httpCheckRequest(cfg.service as HttpServiceConfig, checkHeaders(ex, cfg.allowedHeaders), null, 1024);
  assert.equal([r.method, r.path, r.authority], ['PUT', '/authz/checked/a?x=1', 'shop.local']);
  assert.equal(r.headers, ['content-length', '0', 'authorization', 'Bearer t', 'x-token', 'tok', 'x-ext-authz', 'allow']);
});

test('GIVEN an HTTP provider without allowed_headers WHEN checked THEN only Envoy\'s defaults go (authorization, method, path, host)', () => {
  const cfg = cfgOf({ services: httpSvc() });
  const r = httpCheckRequest(cfg.service as HttpServiceConfig, checkHeaders(exchange('/p', { authorization: 'a', cookie: 'c', 'x-token': 't' }), cfg.allowedHeaders), null, 1024);
  assert.equal([r.method, r.path, r.authority, r.headers], ['GET', '/p', 'shop.local', ['content-length', '0', 'authorization', 'a']]);
});

test('GIVEN an HTTP/2 request (node keeps its pseudo-headers in the header object) WHEN its check headers are collected THEN each pseudo-header appears once, from the exchange', () => {
  const ex = exchange('/normalized', { ':path': '/raw/../normalized', ':method': 'GET', ':authority': 'shop.local', ':scheme': 'http', 'x-a': '1' });
  const names = checkHeaders(ex, undefined).map(([n]) => n);
  assert.equal(names.filter((n) => n.startsWith(':')), [':authority', ':method', ':path', ':scheme']);
  assert.equal(checkHeaders(ex, undefined).find(([n]) => n === ':path'), [':path', '/normalized']);
});

const response = (status: number, headers: string[], body = ''): AsyncResponse => ({ status, headers, body: Buffer.from(body), trailers: [] });
const svcWith = (res: Record<string, unknown>) => cfgOf({ services: httpSvc({ authorizationResponse: res }) }).service as HttpServiceConfig;

test('GIVEN allowed_upstream_headers and allowed_client_headers_on_success WHEN the service answers 200 THEN only those headers are set upstream / added downstream, and x-envoy-auth-headers-to-remove names removals', () => {
  const svc = svcWith({ allowedUpstreamHeaders: { patterns: [exact('x-user')] }, allowedClientHeadersOnSuccess: { patterns: [exact('x-note')] } });
  const r = httpCheckResult(svc, response(200, ['x-user', 'alice', 'x-note', 'n', 'x-other', 'o', 'x-envoy-auth-headers-to-remove', 'cookie, x-debug']));
  assert.equal(r, { status: 'ok', headersToSet: [['x-user', 'alice']], headersToAdd: [], headersToAppend: [], headersToRemove: ['cookie', 'x-debug'], responseHeadersToAdd: [['x-note', 'n']] });
});

test('GIVEN no allowed_client_headers WHEN the service denies with 401 THEN the denial has its status and body and every header but host (and the lengths the proxy writes itself)', () => {
  const r = httpCheckResult(svcWith({}), response(401, ['host', 'authz', 'www-authenticate', 'Bearer', 'x-reason', 'r', 'content-length', '6', 'content-type', 'text/html'], 'no way'));
  assert.equal(r, { status: 'denied', httpStatus: 401, body: 'no way', headers: [['www-authenticate', 'Bearer'], ['x-reason', 'r'], ['content-type', 'text/html']] });
});

test('GIVEN allowed_client_headers WHEN the service denies THEN only those headers and Envoy\'s always-allowed www-authenticate and location reach the client', () => {
  const r = httpCheckResult(svcWith({ allowedClientHeaders: { patterns: [exact('x-reason')] } }), response(302, ['location', '/login', 'x-reason', 'r', 'x-internal', 'i']));
  assert.equal(r, { status: 'denied', httpStatus: 302, body: '', headers: [['location', '/login'], ['x-reason', 'r']] });
});

test('GIVEN the HTTP service WHEN it answers 500 or 503 THEN that is an error, not a denial', () => {
  assert.is(httpCheckResult(svcWith({}), response(500, [])).status, 'error');
  assert.is(httpCheckResult(svcWith({}), response(503, [], 'x')).status, 'error');
  assert.is(httpCheckResult(svcWith({}), response(429, [])).status, 'denied');
});

// The gRPC service's answer.

const grpcResponse = (init: MessageInitShape<typeof CheckResponseSchema>, grpcStatus = '0'): AsyncResponse => {
  const msg = toBinary(CheckResponseSchema, create(CheckResponseSchema, init));
  const frame = Buffer.alloc(5 + msg.length);
  frame.writeUInt32BE(msg.length, 1);
  frame.set(msg, 5);
  return { status: 200, headers: ['content-type', 'application/grpc'], body: frame, trailers: ['grpc-status', grpcStatus] };
};

test('GIVEN a CheckResponse with status OK WHEN mapped THEN ok_response headers are set, appended or added by append / append_action, removals and response headers kept', () => {
  const r = grpcCheckResult(grpcResponse({ status: { code: 0 }, httpResponse: { case: 'okResponse', value: {
    headers: [{ header: { key: 'X-User', value: 'a' }, append: false }, { header: { key: 'x-tag', value: 't' }, append: true }, { header: { key: 'x-new', value: 'n' } }],
    headersToRemove: ['X-Debug'], responseHeadersToAdd: [{ header: { key: 'x-note', value: 'ok' } }],
  } } }));
  assert.equal(r, { status: 'ok', headersToSet: [['x-user', 'a']], headersToAdd: [['x-new', 'n']], headersToAppend: [['x-tag', 't']], headersToRemove: ['x-debug'], responseHeadersToAdd: [['x-note', 'ok']] });
});

test('GIVEN a CheckResponse with PERMISSION_DENIED WHEN mapped THEN a denial with denied_response\'s status, body and headers; without denied_response 403', () => {
  const r = grpcCheckResult(grpcResponse({ status: { code: 7 }, httpResponse: { case: 'deniedResponse', value: { status: { code: 401 }, body: 'b', headers: [{ header: { key: 'x-why', value: 'w' } }] } } }));
  assert.equal(r, { status: 'denied', httpStatus: 401, body: 'b', headers: [['x-why', 'w']] });
  assert.equal(grpcCheckResult(grpcResponse({ status: { code: 16 } })), { status: 'denied', httpStatus: 403, body: '', headers: [] });
});

test('GIVEN a failed Check call (grpc-status UNAVAILABLE, or not HTTP 200) WHEN mapped THEN an error', () => {
  assert.is(grpcCheckResult(grpcResponse({}, '14')).status, 'error');
  assert.is(grpcCheckResult({ status: 503, headers: [], body: Buffer.alloc(0), trailers: [] }).status, 'error');
});

// Errors and failure_mode_allow.

test('GIVEN an error result WHEN the filter applies it THEN status_on_error (default 403, out-of-range codes 403) with UAEX and ext_authz_error; failure_mode_allow lets it through, with the header when asked', () => {
  const err = { status: 'error' as const, reason: 'down' };
  assert.equal(completeCheck(cfgOf({ services: httpSvc() }), exchange('/'), err), { status: 403, body: '', flag: 'UAEX', details: 'ext_authz_error' });
  assert.is(completeCheck(cfgOf({ services: httpSvc(), statusOnError: { code: 503 } }), exchange('/'), err)?.status, 503);
  assert.is(completeCheck(cfgOf({ services: httpSvc(), statusOnError: { code: 999 as never } }), exchange('/'), err)?.status, 403);
  const ex = exchange('/');
  assert.is(completeCheck(cfgOf({ services: httpSvc(), failureModeAllow: true, failureModeAllowHeaderAdd: true }), ex, err), undefined);
  assert.equal(ex.requestHeaderEdits, ['add', 'x-envoy-auth-failure-mode-allowed', 'true']);
});

test('GIVEN a denial WHEN the filter applies it THEN the local reply carries the service\'s status, body and headers with UAEX and ext_authz_denied', () => {
  const r = completeCheck(cfgOf({ services: httpSvc() }), exchange('/'), { status: 'denied', httpStatus: 401, body: 'no', headers: [['x-why', 'w']] });
  assert.equal(r, { status: 401, body: 'no', headers: ['x-why', 'w'], flag: 'UAEX', details: 'ext_authz_denied' });
});

test('GIVEN an OK result WHEN the filter applies it THEN the request headers are edited for the upstream and for later filters, and response headers queued', () => {
  const ex = exchange('/', { 'x-tag': 'a', cookie: 'c' });
  completeCheck(cfgOf({ services: httpSvc() }), ex, { status: 'ok', headersToSet: [['x-user', 'u']], headersToAdd: [], headersToAppend: [['x-tag', 'b'], ['x-missing', 'm']], headersToRemove: ['cookie', ':path', 'host'], responseHeadersToAdd: [['x-note', 'n']] });
  assert.equal(ex.requestHeaderEdits, ['set', 'x-user', 'u', 'set', 'x-tag', 'a,b', 'remove', 'cookie', '']);
  assert.equal([ex.headers['x-user'], ex.headers['x-tag'], ex.headers.cookie, ex.headers.host], ['u', 'a,b', undefined, 'shop.local']);
  assert.equal(ex.responseHeadersToAdd, ['x-note', 'n']);
});

// with_request_body with allow_partial_message: the partial-body header as Envoy's CheckRequestUtils sets it.

const bodyCases: Array<{ name: string; chunks: string[]; sent: string; partial: string }> = [
  { name: 'exactly max_request_bytes', chunks: ['payl'], sent: 'payl', partial: 'false' },
  { name: 'a body longer than max_request_bytes', chunks: ['pay', 'load'], sent: 'payl', partial: 'true' },
  { name: 'a body shorter than max_request_bytes', chunks: ['pa'], sent: 'pa', partial: 'false' },
];
for (const c of bodyCases) {
  test(`GIVEN with_request_body (max 4 bytes, partial allowed) WHEN the request streams ${c.name} THEN the check gets ${JSON.stringify(c.sent)} with x-envoy-auth-partial-body ${c.partial}`, async () => {
    const sent: AsyncRequest[] = [];
    const http = { send: (_: string, r: AsyncRequest) => { sent.push(r); return Promise.resolve(response(200, [])); } };
    const filter = extAuthzFilterFactory.create(pack({
      services: httpSvc(), withRequestBody: { maxRequestBytes: 4, allowPartialMessage: true }, allowedHeaders: { patterns: [exact('x-envoy-auth-partial-body')] },
    }), { ...coreEnv, http });
    const ex = exchange('/upload', {}, 'POST');
    ex.body = Readable.from(c.chunks.map((x) => Buffer.from(x)));
    assert.is(await filter.onRequest(ex), undefined);
    const h = sent[0]!.headers;
    assert.equal([sent[0]!.body?.toString(), h[h.indexOf('x-envoy-auth-partial-body') + 1]], [c.sent, c.partial]);
  });
}

// LDS validation: what is refused, with the field path.

const refused: Array<{ name: string; init: Init; path: RegExp }> = [
  { name: 'no service', init: {}, path: /^services: neither grpc_service nor http_service/ },
  { name: 'an HTTP service without a cluster', init: { services: { case: 'httpService', value: { serverUri: { uri: 'http://a', timeout: ms(1000) } } } }, path: /^http_service\.server_uri\.cluster: / },
  { name: 'a gRPC service without a cluster name', init: { services: { case: 'grpcService', value: { targetSpecifier: { case: 'envoyGrpc', value: { clusterName: '' } } } } }, path: /^grpc_service\.envoy_grpc\.cluster_name: / },
  { name: 'google_grpc', init: { services: { case: 'grpcService', value: { targetSpecifier: { case: 'googleGrpc', value: { targetUri: 'x', statPrefix: 's' } } } } }, path: /^grpc_service\.google_grpc: is not supported/ },
  { name: 'clear_route_cache (istiod never sets it)', init: { services: httpSvc(), clearRouteCache: true }, path: /^clear_route_cache: is not supported/ },
  { name: 'metadata_context_namespaces', init: { services: httpSvc(), metadataContextNamespaces: ['envoy.filters.http.jwt_authn'] }, path: /^metadata_context_namespaces: / },
  { name: 'dynamic_metadata_from_headers', init: { services: httpSvc({ authorizationResponse: { dynamicMetadataFromHeaders: { patterns: [exact('x')] } } }) }, path: /^http_service\.authorization_response\.dynamic_metadata_from_headers: / },
  { name: 'both allowed_headers lists', init: { services: httpSvc({ authorizationRequest: { allowedHeaders: { patterns: [exact('a')] } } }), allowedHeaders: { patterns: [exact('b')] } }, path: /^allowed_headers: set both/ },
  { name: 'a value matcher the gate cannot evaluate', init: { services: httpSvc(), filterEnabledMetadata: { ...gate('x'), value: { matchPattern: { case: 'doubleMatch', value: {} } } } as never }, path: /^filter_enabled_metadata\.value: doubleMatch is not supported/ },
];
for (const c of refused) {
  test(`GIVEN ext_authz with ${c.name} WHEN read at LDS time THEN a ConfigError names the field`, () => {
    assert.throws(() => cfgOf(c.init), (e: Error) => e instanceof ConfigError && c.path.test(e.message));
  });
}

test('GIVEN transport_api_version AUTO WHEN read THEN refused: only V3', () => {
  assert.throws(() => readExtAuthz(anyPack(ExtAuthzSchema, create(ExtAuthzSchema, { services: httpSvc() } as Init))), (e: Error) => /^transport_api_version: AUTO: only V3/.test(e.message));
});

const tcpListenerWith = (ext: MessageInitShape<typeof NetworkExtAuthzSchema>, terminal = true) => create(ListenerSchema, {
  name: 'tcp', address: { address: { case: 'socketAddress', value: { address: '127.0.0.1', portSpecifier: { case: 'portValue', value: 0 } } } },
  filterChains: [{ filters: [
    { name: 'envoy.filters.network.ext_authz', configType: { case: 'typedConfig', value: anyPack(NetworkExtAuthzSchema, create(NetworkExtAuthzSchema, { statPrefix: 'tcp.', transportApiVersion: ApiVersion.V3, ...ext } as never)) } },
    ...(terminal ? [{ name: 'envoy.filters.network.tcp_proxy', configType: { case: 'typedConfig' as const, value: anyPack(TcpProxySchema, create(TcpProxySchema, { statPrefix: 's', clusterSpecifier: { case: 'cluster', value: 'c' } })) } }] : []),
  ] }],
});
const coreEnv: NetworkEnv = { hosts: () => undefined, cluster: () => undefined, choose: () => undefined, http: { send: () => Promise.reject(new Error('unused')) } };
const grpcTarget = { targetSpecifier: { case: 'envoyGrpc' as const, value: { clusterName: 'outbound|9000||authz' } } };

test('GIVEN istiod\'s network ext_authz before tcp_proxy WHEN the listener is compiled THEN it is accepted', () => {
  assert.is(compileListener(tcpListenerWith({ grpcService: grpcTarget }), createExtensions(), coreEnv).chains[0]!.gates.length, 1);
});

test('GIVEN network ext_authz with a field istiod never sets, or as the last filter WHEN compiled THEN NACKed naming the field', () => {
  assert.throws(() => compileListener(tcpListenerWith({ grpcService: grpcTarget, includePeerCertificate: true }), createExtensions(), coreEnv),
    (e: Error) => /^filter_chains\[0\]\.filters\[0\]\.typed_config\.include_peer_certificate: is not supported/.test(e.message));
  assert.throws(() => compileListener(tcpListenerWith({}), createExtensions(), coreEnv), (e: Error) => /^filter_chains\[0\]\.filters\[0\]\.typed_config\.grpc_service: is required/.test(e.message));
  assert.throws(() => compileListener(tcpListenerWith({ grpcService: grpcTarget }, false), createExtensions(), coreEnv), (e: Error) => /^filter_chains\[0\]\.filters\[0\]\.name: envoy\.filters\.network\.ext_authz is not a terminal filter/.test(e.message));
});

test.run();
