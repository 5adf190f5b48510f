/**
 * Istio's CUSTOM AuthorizationPolicy over real sockets: the inbound HCM holds, as istiod emits per
 * provider, an RBAC filter in shadow mode (policy `istio-ext-authz-<provider>-ns[..]-policy[..]-rule[0]`,
 * prefix `istio_ext_authz_`) and then `envoy.filters.http.ext_authz` enabled by that shadow result.
 * A real HTTP authorization server and a real gRPC one (@grpc/grpc-js) answer the checks.
 */
import { create, fromBinary, fromJson, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiVersion } from '../../src/xds/gen/envoy/config/core/v3/config_source_pb.js';
import { RBACSchema, type RBACJson } from '../../src/xds/gen/envoy/config/rbac/v3/rbac_pb.js';
import { ExtAuthzSchema } from '../../src/xds/gen/envoy/extensions/filters/http/ext_authz/v3/ext_authz_pb.js';
import { RBACSchema as HttpRbacSchema } from '../../src/xds/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import { ExtAuthzSchema as NetworkExtAuthzSchema } from '../../src/xds/gen/envoy/extensions/filters/network/ext_authz/v3/ext_authz_pb.js';
import { RBACSchema as NetworkRbacSchema } from '../../src/xds/gen/envoy/extensions/filters/network/rbac/v3/rbac_pb.js';
import type { Filter } from '../../src/xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import { RouterSchema } from '../../src/xds/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { type CheckRequest, CheckRequestSchema, type CheckResponse, CheckResponseSchema } from '../../src/xds/gen/envoy/service/auth/v3/external_auth_pb.js';
import { assignment, edsCluster, get, httpListener, loopbackNeighbours, routeConfig, startEcho, startTestProxy, startXds, until } from './_harness.js';
import { chain, listener as tcpListener, roundTrip, staticCluster, tcpEcho, tcpProxy, waitSecrets } from './security/_e2e.js';
import { caSecret, certSecret, testPki } from './security/_pki.js';
import { createExtensions } from '../../src/proxy/extensions.js';
import type { SecurityTls } from '../../src/proxy/tls/provider.js';
import * as https from 'node:https';
import type * as tls from 'node:tls';

const PREFIX = 'istio_ext_authz_';

/** istiod's shadow RBAC filter for provider `p`: requests under `/checked` match rule 0 of policy `ext` in `shop`. */
function shadowRbac(p: string) {
  const rules = fromJson(RBACSchema, {
    action: 'DENY',
    policies: { [`istio-ext-authz-${p}-ns[shop]-policy[ext]-rule[0]`]: { permissions: [{ urlPath: { path: { prefix: '/checked' } } }], principals: [{ any: true }] } },
  } as RBACJson);
  return { name: 'envoy.filters.http.rbac', configType: { case: 'typedConfig' as const, value: anyPack(HttpRbacSchema, create(HttpRbacSchema, { shadowRules: rules, shadowRulesStatPrefix: PREFIX })) } };
}

type ExtAuthzInit = MessageInitShape<typeof ExtAuthzSchema>;

/** istiod's ext_authz filter for provider `p` (filter_enabled_metadata on the RBAC filter's shadow policy id). */
function extAuthz(p: string, init: ExtAuthzInit) {
  const cfg = create(ExtAuthzSchema, {
    transportApiVersion: ApiVersion.V3,
    filterEnabledMetadata: {
      filter: 'envoy.filters.http.rbac', path: [{ segment: { case: 'key', value: `${PREFIX}shadow_effective_policy_id` } }],
      value: { matchPattern: { case: 'stringMatch', value: { matchPattern: { case: 'prefix', value: `istio-ext-authz-${p}-` } } } },
    },
    ...init,
  } as ExtAuthzInit);
  return { name: 'envoy.filters.http.ext_authz', configType: { case: 'typedConfig' as const, value: anyPack(ExtAuthzSchema, cfg) } };
}

const router = { name: 'envoy.filters.http.router', configType: { case: 'typedConfig' as const, value: anyPack(RouterSchema, create(RouterSchema)) } };
const ms = (n: number) => ({ seconds: BigInt(Math.floor(n / 1000)), nanos: (n % 1000) * 1e6 });
const exact = (v: string) => ({ matchPattern: { case: 'exact' as const, value: v }, ignoreCase: true });

function httpService(cluster: string, timeoutMs: number): ExtAuthzInit['services'] {
  return {
    case: 'httpService',
    value: {
      serverUri: { uri: 'http://authz.shop.svc.cluster.local', httpUpstreamType: { case: 'cluster', value: cluster }, timeout: ms(timeoutMs) },
      pathPrefix: '/check',
      authorizationRequest: { headersToAdd: [{ key: 'x-provider', value: 'http' }] },
      authorizationResponse: {
        allowedUpstreamHeaders: { patterns: [exact('x-auth-user')] },
        allowedClientHeaders: { patterns: [exact('x-deny-reason')] },
        allowedClientHeadersOnSuccess: { patterns: [exact('x-client-note')] },
      },
    },
  };
}

function grpcService(cluster: string, timeoutMs: number): ExtAuthzInit['services'] {
  return { case: 'grpcService', value: { targetSpecifier: { case: 'envoyGrpc', value: { clusterName: cluster, authority: 'authz-grpc.shop.svc.cluster.local' } }, timeout: ms(timeoutMs) } };
}

interface HttpAuthz { port: number; calls: { method: string; url: string; headers: http.IncomingHttpHeaders }[]; bodies: string[]; close(): void }

/** The HTTP authorization server: `/check/checked/allow*` → 200, `/check/checked/slow` → never answers, `…/boom` → 503, anything else → 401. */
async function startHttpAuthz(): Promise<HttpAuthz> {
  const calls: HttpAuthz['calls'] = [];
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    calls.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const url = req.url ?? '';
    if (url.startsWith('/check/checked/slow')) return;
    if (url.startsWith('/check/checked/boom')) { res.writeHead(503); res.end('unavailable'); return; }
    if (url.startsWith('/check/checked/huge')) { res.writeHead(401); res.end(Buffer.alloc(2 * 1024 * 1024, 120)); return; }
    if (url.startsWith('/check/checked/body')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => { bodies.push(Buffer.concat(chunks).toString()); res.writeHead(200); res.end(); });
      return;
    }
    if (url.startsWith('/check/checked/allow')) { res.writeHead(200, { 'x-auth-user': 'alice', 'x-client-note': 'checked', 'x-other': 'not-forwarded' }); res.end(); return; }
    res.writeHead(401, { 'x-deny-reason': 'no token', 'x-internal': 'hidden', 'content-type': 'text/plain' });
    res.end('denied by the http authz server');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, calls, bodies, close: () => { server.closeAllConnections(); server.close(); } };
}

/** The gRPC authorization server (@grpc/grpc-js): allows paths under `/checked/allow` with a header, denies others with 403 and a body. */
async function startGrpcAuthz(allow: (r: CheckRequest) => boolean = (r) => (r.attributes?.request?.http?.path ?? '').startsWith('/checked/allow')): Promise<{ port: number; calls: CheckRequest[]; close(): void }> {
  const calls: CheckRequest[] = [];
  const server = new grpc.Server();
  server.addService({
    check: {
      path: '/envoy.service.auth.v3.Authorization/Check', requestStream: false, responseStream: false,
      requestSerialize: (m: CheckRequest) => Buffer.from(toBinary(CheckRequestSchema, m)),
      requestDeserialize: (b: Buffer) => fromBinary(CheckRequestSchema, b),
      responseSerialize: (m: CheckResponse) => Buffer.from(toBinary(CheckResponseSchema, m)),
      responseDeserialize: (b: Buffer) => fromBinary(CheckResponseSchema, b),
    },
  }, {
    check: (call: grpc.ServerUnaryCall<CheckRequest, CheckResponse>, cb: grpc.sendUnaryData<CheckResponse>) => {
      calls.push(call.request);
      if (allow(call.request)) {
        cb(null, create(CheckResponseSchema, { status: { code: 0 }, httpResponse: { case: 'okResponse', value: { headers: [{ header: { key: 'x-auth-user', value: 'grpc-alice' } }] } } }));
      } else {
        cb(null, create(CheckResponseSchema, { status: { code: 7 }, httpResponse: { case: 'deniedResponse', value: { status: { code: 403 }, body: 'denied by the grpc authz server', headers: [{ header: { key: 'x-deny-reason', value: 'grpc says no' } }] } } }));
      }
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { port, calls, close: () => server.forceShutdown() };
}

test('GIVEN CUSTOM policies with an HTTP and a gRPC provider, and providers that are down WHEN requests come over real sockets THEN matched requests are checked and enforced, unmatched ones never checked, errors answer status_on_error unless failure_mode_allow', async () => {
  const backend = await startEcho('app');
  const authz = await startHttpAuthz();
  const gauthz = await startGrpcAuthz();
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadPort = (closed.address() as AddressInfo).port;
  closed.close();
  const [aHttp, aGrpc, aDown, aOpen, aBody] = loopbackNeighbours(5);
  const HTTP_CLUSTER = 'outbound|8000||authz.shop.svc.cluster.local';
  const GRPC_CLUSTER = 'outbound|9000||authz-grpc.shop.svc.cluster.local';
  const DOWN_CLUSTER = 'outbound|9001||authz-down.shop.svc.cluster.local';
  const route = { match: { pathSpecifier: { case: 'prefix' as const, value: '/' } }, action: { case: 'route' as const, value: { clusterSpecifier: { case: 'cluster' as const, value: 'app' } } } };
  const listener = (name: string, address: string, filters: unknown[]) => httpListener(name, address, 'rt', { httpFilters: [...filters, router] } as never);
  const xds = await startXds({
    clusters: [edsCluster('app'), edsCluster(HTTP_CLUSTER), edsCluster(GRPC_CLUSTER, { http2: true }), edsCluster(DOWN_CLUSTER, { connectTimeoutMs: 500 })],
    endpoints: [
      assignment('app', [{ port: backend.port }]), assignment(HTTP_CLUSTER, [{ port: authz.port }]),
      assignment(GRPC_CLUSTER, [{ port: gauthz.port }]), assignment(DOWN_CLUSTER, [{ port: deadPort }]),
    ],
    listeners: [
      listener('http', aHttp!, [shadowRbac('web'), extAuthz('web', { services: httpService(HTTP_CLUSTER, 400), allowedHeaders: { patterns: [exact('x-token')] } })]),
      listener('grpc', aGrpc!, [shadowRbac('grpc'), extAuthz('grpc', { services: grpcService(GRPC_CLUSTER, 2000) })]),
      listener('down', aDown!, [shadowRbac('down'), extAuthz('down', { services: httpService(DOWN_CLUSTER, 2000) })]),
      listener('open', aOpen!, [shadowRbac('open'), extAuthz('open', { services: httpService(DOWN_CLUSTER, 2000), failureModeAllow: true })]),
      listener('body', aBody!, [shadowRbac('body'), extAuthz('body', {
        services: httpService(HTTP_CLUSTER, 2000), withRequestBody: { maxRequestBytes: 4, allowPartialMessage: true },
        allowedHeaders: { patterns: [exact('x-envoy-auth-partial-body')] },
      })]),
    ],
    routes: [routeConfig('rt', [{ name: 'vh', domains: ['*'], routes: [route] }])],
  });
  const proxy = await startTestProxy(xds.port);
  try {
    await proxy.waitReady();
    const at = (l: string) => proxy.listenerAddress(l)!.port;
    const logOf = (path: string) => proxy.log.find((e) => e.path === path);

    // HTTP provider, allowed: the check carries the original method, prefixed path, host, the allowed and added headers.
    const ok = await get(at('http'), '/checked/allow?q=1', { host: 'shop.local', 'x-token': 't1', 'x-secret': 's' }, 'POST', 'payload', aHttp);
    assert.is(ok.status, 200);
    assert.is(ok.headers['x-client-note'], 'checked');
    const up = backend.received.at(-1)!;
    assert.is(up.headers['x-auth-user'], 'alice');
    assert.is(up.headers['x-other'], undefined);
    assert.is(up.body, 'payload');
    const call = authz.calls.at(-1)!;
    assert.equal([call.method, call.url, call.headers.host, call.headers['x-token'], call.headers['x-secret'], call.headers['x-provider'], call.headers['content-length']],
      ['POST', '/check/checked/allow?q=1', 'shop.local', 't1', undefined, 'http', '0']);

    // HTTP provider, denied: the server's status, body and only the allowed client header; UAEX, ext_authz_denied.
    const denied = await get(at('http'), '/checked/nope', { host: 'shop.local' }, 'GET', undefined, aHttp);
    assert.equal([denied.status, denied.body, denied.headers['x-deny-reason'], denied.headers['x-internal']], [401, 'denied by the http authz server', 'no token', undefined]);

    // Not matched by the CUSTOM rule: never checked.
    const before = authz.calls.length;
    const open = await get(at('http'), '/public', { host: 'shop.local' }, 'GET', undefined, aHttp);
    assert.is(open.status, 200);
    assert.is(authz.calls.length, before);

    // A 5xx from the service is an error: status_on_error (403), empty body.
    const boom = await get(at('http'), '/checked/boom', { host: 'shop.local' }, 'GET', undefined, aHttp);
    assert.equal([boom.status, boom.body], [403, '']);

    // A response larger than the proxy buffers (1 MiB) is an error, not a 2 MiB denial body kept in memory.
    const huge = await get(at('http'), '/checked/huge', { host: 'shop.local' }, 'GET', undefined, aHttp);
    assert.equal([huge.status, huge.body], [403, '']);

    // with_request_body: the first max_request_bytes go to the service (partial), the whole body upstream.
    const withBody = await get(at('body'), '/checked/body', { host: 'shop.local', 'content-type': 'text/plain' }, 'POST', 'payload', aBody);
    assert.is(withBody.status, 200);
    assert.equal([authz.bodies.at(-1), authz.calls.at(-1)!.headers['x-envoy-auth-partial-body'], authz.calls.at(-1)!.headers['content-length']], ['payl', 'true', '4']);
    assert.is(backend.received.at(-1)!.body, 'payload');

    // The service does not answer within the timeout (400 ms): 403, ext_authz_error.
    const t0 = Date.now();
    const slow = await get(at('http'), '/checked/slow', { host: 'shop.local' }, 'GET', undefined, aHttp);
    assert.is(slow.status, 403);
    assert.ok(Date.now() - t0 >= 350, `answered after ${Date.now() - t0} ms`);

    // gRPC provider: the CheckRequest's attributes; OK adds the upstream header, a denial answers its status and body.
    const gok = await get(at('grpc'), '/checked/allow', { host: 'shop.local', 'x-token': 'g1' }, 'GET', undefined, aGrpc);
    assert.is(gok.status, 200);
    assert.is(backend.received.at(-1)!.headers['x-auth-user'], 'grpc-alice');
    const creq = gauthz.calls.at(-1)!.attributes!;
    assert.equal([creq.request?.http?.method, creq.request?.http?.path, creq.request?.http?.host, creq.request?.http?.headers['x-token'], creq.request?.http?.headers[':authority']],
      ['GET', '/checked/allow', 'shop.local', 'g1', 'shop.local']);
    assert.is(creq.destination?.address?.address.case, 'socketAddress');
    const gdenied = await get(at('grpc'), '/checked/other', { host: 'shop.local' }, 'GET', undefined, aGrpc);
    assert.equal([gdenied.status, gdenied.body, gdenied.headers['x-deny-reason']], [403, 'denied by the grpc authz server', 'grpc says no']);
    const gcalls = gauthz.calls.length;
    assert.is((await get(at('grpc'), '/elsewhere', { host: 'shop.local' }, 'GET', undefined, aGrpc)).status, 200);
    assert.is(gauthz.calls.length, gcalls);

    // The provider is down: 403 (status_on_error); with failure_mode_allow the request passes.
    const down = await get(at('down'), '/checked/x', { host: 'shop.local' }, 'GET', undefined, aDown);
    assert.equal([down.status, down.body], [403, '']);
    const allowed = await get(at('open'), '/checked/x', { host: 'shop.local' }, 'GET', undefined, aOpen);
    assert.is(allowed.status, 200);

    const logged = ['/checked/nope', '/checked/slow', '/checked/boom', '/checked/huge', '/public'];
    await until(() => logged.every((p) => logOf(p) !== undefined), 2000, 'the access-log entries');
    assert.equal([logOf('/checked/nope')?.flags, logOf('/checked/nope')?.details], [['UAEX'], 'ext_authz_denied']);
    assert.equal([logOf('/checked/slow')?.flags, logOf('/checked/slow')?.details], [['UAEX'], 'ext_authz_error']);
    assert.equal([logOf('/checked/boom')?.flags, logOf('/checked/boom')?.details], [['UAEX'], 'ext_authz_error']);
    assert.equal([logOf('/checked/huge')?.flags, logOf('/checked/huge')?.details], [['UAEX'], 'ext_authz_error']);
    assert.equal(logOf('/public')?.flags, []);
  } finally {
    await proxy.close();
    await xds.close();
    await backend.close();
    authz.close();
    gauthz.close();
  }
});

/** istiod's TCP pair for provider `p`: network RBAC in shadow mode (`rule` as its permission), then network ext_authz on the gRPC provider. */
function tcpCustom(p: string, permission: object, cluster: string, failureModeAllow = false): Filter[] {
  const rules = fromJson(RBACSchema, { action: 'DENY', policies: { [`istio-ext-authz-${p}-ns[shop]-policy[tcp]-rule[0]`]: { permissions: [permission], principals: [{ any: true }] } } } as RBACJson);
  const ext = create(NetworkExtAuthzSchema, {
    statPrefix: 'tcp.', transportApiVersion: ApiVersion.V3, failureModeAllow,
    grpcService: { targetSpecifier: { case: 'envoyGrpc', value: { clusterName: cluster, authority: 'authz-grpc' } }, timeout: ms(2000) },
    filterEnabledMetadata: {
      filter: 'envoy.filters.network.rbac', path: [{ segment: { case: 'key', value: `${PREFIX}shadow_effective_policy_id` } }],
      value: { matchPattern: { case: 'stringMatch', value: { matchPattern: { case: 'prefix', value: `istio-ext-authz-${p}-` } } } },
    },
  });
  return [
    { name: 'envoy.filters.network.rbac', configType: { case: 'typedConfig', value: anyPack(NetworkRbacSchema, create(NetworkRbacSchema, { statPrefix: 'tcp.', shadowRules: rules, shadowRulesStatPrefix: PREFIX })) } } as Filter,
    { name: 'envoy.filters.network.ext_authz', configType: { case: 'typedConfig', value: anyPack(NetworkExtAuthzSchema, ext) } } as Filter,
  ];
}

test('GIVEN CUSTOM policies on TCP ports with a gRPC provider WHEN connections come over real sockets THEN a matched connection is checked with its addresses (allowed: proxied; denied: closed), an unmatched one never checked, a provider that is down closes it unless failure_mode_allow', async () => {
  const echo = await tcpEcho('tcp');
  const allowedPorts = new Set<number>();
  const gauthz = await startGrpcAuthz((r) => allowedPorts.has(r.attributes?.destination?.address?.address.case === 'socketAddress' ? (r.attributes.destination.address.address.value.portSpecifier.value as number) : -1));
  const GRPC = 'outbound|9000||authz-grpc.shop.svc.cluster.local';
  const DOWN = 'outbound|9001||authz-down.shop.svc.cluster.local';
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadPort = (closed.address() as AddressInfo).port;
  closed.close();
  const any = { any: true };
  const proxyTo = tcpProxy({ statPrefix: 'tcp', cluster: 'echo' });
  const grpcCluster = staticCluster(GRPC, [gauthz.port]);
  grpcCluster.typedExtensionProtocolOptions = edsCluster('x', { http2: true }).typedExtensionProtocolOptions;
  const xds = await startXds({
    clusters: [staticCluster('echo', [echo.port]), grpcCluster, staticCluster(DOWN, [deadPort])], endpoints: [], routes: [],
    listeners: [
      tcpListener('allow', [chain('c', {}, [...tcpCustom('g', any, GRPC), proxyTo])]),
      tcpListener('deny', [chain('c', {}, [...tcpCustom('g', any, GRPC), proxyTo])]),
      tcpListener('skip', [chain('c', {}, [...tcpCustom('g', { destinationPort: 1 }, GRPC), proxyTo])]),
      tcpListener('down', [chain('c', {}, [...tcpCustom('d', any, DOWN), proxyTo])]),
      tcpListener('open', [chain('c', {}, [...tcpCustom('d', any, DOWN, true), proxyTo])]),
    ],
  });
  const proxy = await startTestProxy(xds.port);
  try {
    await proxy.waitReady();
    const at = (l: string) => proxy.listenerAddress(l)!.port;
    allowedPorts.add(at('allow'));
    assert.is(await roundTrip(at('allow'), 'hello'), 'tcp:hello');
    const check = gauthz.calls.at(-1)!.attributes!;
    assert.equal([check.destination?.address?.address.value, check.request?.http], [{ address: '127.0.0.1', portSpecifier: { case: 'portValue', value: at('allow') }, protocol: 0, resolverName: '', ipv4Compat: false, $typeName: 'envoy.config.core.v3.SocketAddress' }, undefined]);
    assert.is(check.source?.address?.address.case, 'socketAddress');
    assert.is(await roundTrip(at('deny'), 'hello'), 'closed');
    const calls = gauthz.calls.length;
    assert.is(await roundTrip(at('skip'), 'hello'), 'tcp:hello');
    assert.is(gauthz.calls.length, calls);
    assert.is(await roundTrip(at('down'), 'hello'), 'closed');
    assert.is(await roundTrip(at('open'), 'hello'), 'tcp:hello');
  } finally {
    await proxy.close();
    await xds.close();
    echo.close();
    gauthz.close();
  }
});

test('GIVEN an HTTP provider whose cluster is ISTIO_MUTUAL WHEN a request the CUSTOM rule matches comes THEN the check goes over mTLS with the proxy\'s SDS certificate, verified against the provider\'s SPIFFE identity', async () => {
  const pki = await testPki();
  const proxyCert = await pki.workload('shop', 'web');
  const authzCert = await pki.workload('shop', 'authz');
  const peers: string[] = [];
  const server = https.createServer({ cert: authzCert.certificateChainPem, key: authzCert.privateKeyPem, ca: pki.ca.rootCertificatePem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    peers.push((req.socket as tls.TLSSocket).getPeerCertificate().subjectaltname ?? 'none');
    res.writeHead((req.url ?? '').startsWith('/check/checked/allow') ? 200 : 403, { 'x-auth-user': 'mtls-alice' });
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const backend = await startEcho('app');
  const [addr] = loopbackNeighbours(1);
  const AUTHZ = 'outbound|8443||authz.shop.svc.cluster.local';
  const sds = (name: string) => ({ name, sdsConfig: { ads: {} } });
  const mutual = (san: string) => ({ commonTlsContext: {
    tlsCertificateSdsSecretConfigs: [sds('default')],
    combinedValidationContext: { defaultValidationContext: { matchTypedSubjectAltNames: [{ sanType: 'URI' as const, matcher: { exact: san } }] }, validationContextSdsSecretConfig: sds('ROOTCA') },
  } });
  const route = { match: { pathSpecifier: { case: 'prefix' as const, value: '/' } }, action: { case: 'route' as const, value: { clusterSpecifier: { case: 'cluster' as const, value: 'app' } } } };
  const filters = [shadowRbac('m'), extAuthz('m', { services: httpService(AUTHZ, 2000) }), router];
  const resources = (san: string) => ({
    clusters: [edsCluster('app'), staticCluster(AUTHZ, [(server.address() as AddressInfo).port], { tls: mutual(san) })],
    endpoints: [assignment('app', [{ port: backend.port }])],
    listeners: [httpListener('in', addr!, 'rt', { httpFilters: filters } as never)],
    routes: [routeConfig('rt', [{ name: 'vh', domains: ['*'], routes: [route] }])],
    secrets: [certSecret('default', proxyCert), caSecret('ROOTCA', pki.ca.rootCertificatePem)],
  });
  const xds = await startXds(resources('spiffe://cluster.local/ns/shop/sa/authz'));
  const ext = createExtensions();
  const proxy = await startTestProxy(xds.port, { extensions: ext });
  try {
    await proxy.waitReady();
    await waitSecrets(proxy, ext.tls as SecurityTls, ['default', 'ROOTCA']);
    const port = proxy.listenerAddress('in')!.port;
    const ok = await get(port, '/checked/allow', { host: 'shop.local' }, 'GET', undefined, addr);
    assert.is(ok.status, 200);
    assert.is(backend.received.at(-1)!.headers['x-auth-user'], 'mtls-alice');
    assert.equal(peers, ['URI:spiffe://cluster.local/ns/shop/sa/web']);
    // The provider's identity is checked: a SAN that does not match fails the connection, an error (403).
    const v0 = proxy.store.clusters.get(AUTHZ)?.version;
    xds.publish(resources('spiffe://cluster.local/ns/shop/sa/someone-else'));
    await until(() => proxy.store.clusters.get(AUTHZ)?.version !== v0, 3000, 'the new cluster');
    const bad = await get(port, '/checked/allow', { host: 'shop.local' }, 'GET', undefined, addr);
    assert.equal([bad.status, bad.body], [403, '']);
    assert.is(peers.length, 1);
  } finally {
    await proxy.close();
    await xds.close();
    await backend.close();
    server.closeAllConnections();
    server.close();
  }
});

test.run();
