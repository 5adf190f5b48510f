/**
 * The inbound listener on real YAML, for what istiod's `listener_inbound.go` builds beyond declared
 * ports: a sniffed port (no protocol declared) gets HTTP and TCP chains told apart by
 * `application_protocols` (`getFilterChainMatchOptions(…, ListenerProtocolAuto)`), the listener the
 * inspectors those chains need (`populateListenerFilters`), and every inbound HTTP route the retry
 * policy of `route.BuildDefaultHTTPInboundRoute` (MeshConfig `defaultInboundHttpRetryPolicy`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import type { FilterChain } from '../../../src/xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import { type Listener, ListenerSchema } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import type { Route } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { HttpProtocolOptionsSchema } from '../../../src/xds/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import { RBACSchema as HttpRbacSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import { HttpConnectionManagerSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { RBACSchema as NetworkRbacSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/rbac/v3/rbac_pb.js';
import { parseMeshConfig } from '../../../src/mesh/mesh-config.js';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import { checkSnapshot } from '../../../src/xds/snapshot-check.js';
import { translateProxy, VIRTUAL_INBOUND } from '../../../src/xds/translate/index.js';
import { manifests } from '../../mesh/_graph.js';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { parseManifests } from '../../../src/mesh/parse.js';

const YAML = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop}
spec:
  template:
    metadata: {labels: {app: cart}}
    spec:
      containers:
        - name: app
          ports: [{containerPort: 8080}, {containerPort: 7070}, {containerPort: 9000}]
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec:
  selector: {app: cart}
  ports:
    - {name: http, port: 80, targetPort: 8080}
    - {name: web, port: 7070}
    - {name: grpc, port: 9000}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: public-only, namespace: shop}
spec:
  selector: {matchLabels: {app: cart}}
  rules:
    - to: [{operation: {paths: ["/public/*"]}}]
`;

type Obj = Record<string, unknown>;
const proxy = describeProxy({ name: 'cart', namespace: 'shop', labels: { app: 'cart' }, serviceAccount: 'cart' });
const pa = (mode: string): Obj => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'wl', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'cart' } }, mtls: { mode } } });

/** The cart sidecar's resources and its inbound listener, decoded from the binary encoding; `mesh` is MeshConfig YAML. */
function translate(extra: Obj[] = [], mesh?: string) {
  const context = mesh === undefined ? undefined : { meshConfig: parseMeshConfig(mesh, 'mesh.yaml').meshConfig, clusterDomain: 'cluster.local' };
  const graph = MeshGraph.from([...parseManifests(YAML, 'cart.yaml', null).file.objects, ...manifests(...extra)], context ? { context } : {});
  const set = translateProxy(buildProxyView(graph, proxy), []);
  const raw = set.listeners.find((l) => l.name === VIRTUAL_INBOUND);
  return { set, listener: raw && fromBinary(ListenerSchema, toBinary(ListenerSchema, raw)) };
}

const chainsOn = (l: Listener | undefined, port: number | undefined) => (l?.filterChains ?? []).filter((c) => c.filterChainMatch?.destinationPort === port);
const matchOf = (c: FilterChain) => [c.name, c.filterChainMatch?.transportProtocol, c.filterChainMatch?.applicationProtocols, c.filters.map((f) => f.name.replace('envoy.filters.network.', '')), c.transportSocket ? 'terminates mTLS' : '-'];
const unpack = <T extends Parameters<typeof anyUnpack>[1]>(c: FilterChain, name: string, schema: T) => {
  const f = c.filters.find((x) => x.name === name)!;
  return anyUnpack(f.configType.value as Parameters<typeof anyUnpack>[0], schema)!;
};
const routeOf = (c: FilterChain): Route => {
  const hcm = unpack(c, 'envoy.filters.network.http_connection_manager', HttpConnectionManagerSchema);
  assert.is(hcm.routeSpecifier.case, 'routeConfig');
  return (hcm.routeSpecifier.value as { virtualHosts: { routes: Route[] }[] }).virtualHosts[0]!.routes[0]!;
};
const retryOf = (c: FilterChain) => {
  const a = routeOf(c).action;
  assert.is(a.case, 'route');
  const p = (a.value as { retryPolicy?: { retryOn: string; numRetries?: number; retriableStatusCodes: number[]; retryBackOff?: { baseInterval?: { seconds: bigint; nanos: number } }; retryHostPredicate: unknown[]; perTryTimeout?: unknown } }).retryPolicy;
  return p && { retryOn: p.retryOn, numRetries: p.numRetries, codes: p.retriableStatusCodes, backoffMs: p.retryBackOff?.baseInterval ? Number(p.retryBackOff.baseInterval.seconds) * 1000 + p.retryBackOff.baseInterval.nanos / 1e6 : null, hostPredicates: p.retryHostPredicate.length, perTry: p.perTryTimeout !== undefined };
};

test('GIVEN a port no protocol is declared for (Service port "web") under PERMISSIVE WHEN translated THEN it gets istiod\'s five sniffed chains: HTTP over mTLS (istio-http ALPN), plaintext HTTP (http/1.1, h2c), TCP over mTLS (Istio TCP ALPN), plaintext TCP, and TLS passed through', () => {
  const { listener, set } = translate();
  assert.equal(chainsOn(listener, 7070).map(matchOf), [
    ['inbound_0.0.0.0_7070_mtls_http', 'tls', ['istio-http/1.0', 'istio-http/1.1', 'istio-h2'], ['http_connection_manager'], 'terminates mTLS'],
    ['inbound_0.0.0.0_7070_plaintext_http', 'raw_buffer', ['http/1.1', 'h2c'], ['http_connection_manager'], '-'],
    ['inbound_0.0.0.0_7070_mtls', 'tls', ['istio-peer-exchange', 'istio'], ['rbac', 'tcp_proxy'], 'terminates mTLS'],
    ['inbound_0.0.0.0_7070_plaintext', 'raw_buffer', [], ['rbac', 'tcp_proxy'], '-'],
    ['inbound_0.0.0.0_7070_tls', 'tls', [], ['rbac', 'tcp_proxy'], '-'],
  ]);
  assert.equal(chainsOn(listener, 8080).map((c) => c.name), ['inbound_0.0.0.0_8080_mtls', 'inbound_0.0.0.0_8080_plaintext'], 'a declared HTTP port keeps its HCM chains');
  assert.equal(checkSnapshot(createSnapshot(set)), []);
});

test('GIVEN a sniffed port under STRICT and under DISABLE WHEN translated THEN STRICT has the mTLS HTTP and mTLS TCP chains, DISABLE the plaintext HTTP and plaintext TCP chains', () => {
  assert.equal(chainsOn(translate([pa('STRICT')]).listener, 7070).map(matchOf), [
    ['inbound_0.0.0.0_7070_mtls_http', 'tls', ['istio-http/1.0', 'istio-http/1.1', 'istio-h2'], ['http_connection_manager'], 'terminates mTLS'],
    ['inbound_0.0.0.0_7070_mtls', 'tls', [], ['rbac', 'tcp_proxy'], 'terminates mTLS'],
  ]);
  assert.equal(chainsOn(translate([pa('DISABLE')]).listener, 7070).map(matchOf), [
    ['inbound_0.0.0.0_7070_plaintext_http', 'raw_buffer', ['http/1.1', 'h2c'], ['http_connection_manager'], '-'],
    ['inbound_0.0.0.0_7070_plaintext', 'raw_buffer', [], ['rbac', 'tcp_proxy'], '-'],
  ]);
});

test('GIVEN an ALLOW rule on paths only WHEN a sniffed port is translated THEN its HTTP chain carries the rule as HTTP RBAC (paths) and its TCP chain network RBAC without it (an ALLOW rule with HTTP-only fields is dropped there)', () => {
  const { listener } = translate();
  const [httpChain] = chainsOn(listener, 7070);
  const tcpChain = chainsOn(listener, 7070).find((c) => c.name === 'inbound_0.0.0.0_7070_plaintext')!;
  const http = unpack(httpChain!, 'envoy.filters.network.http_connection_manager', HttpConnectionManagerSchema);
  const httpRbac = anyUnpack(http.httpFilters.find((f) => f.name === 'envoy.filters.http.rbac')!.configType.value as Parameters<typeof anyUnpack>[0], HttpRbacSchema)!;
  assert.equal(Object.keys(httpRbac.rules!.policies), ['ns[shop]-policy[public-only]-rule[0]']);
  assert.match(JSON.stringify(httpRbac.rules!.policies['ns[shop]-policy[public-only]-rule[0]'], (_, v) => (typeof v === 'bigint' ? String(v) : v)), /"\/public\/"/);
  const tcpRbac = unpack(tcpChain, 'envoy.filters.network.rbac', NetworkRbacSchema);
  assert.equal([tcpRbac.rules!.action, Object.keys(tcpRbac.rules!.policies)], [0, []], 'ALLOW with no usable rule: every TCP connection refused');
  const md = (c: FilterChain) => (c.metadata!.filterMetadata.meshproof as unknown as { rbac: Record<string, { translated: boolean }> }).rbac['ns[shop]-policy[public-only]-rule[0]']!.translated;
  assert.equal([md(httpChain!), md(tcpChain)], [true, false], 'each chain\'s metadata says what its RBAC did with the rule');
});

test('GIVEN chains on declared, sniffed and undeclared ports WHEN translated THEN the listener filters are istiod\'s: tls_inspector off where no chain matches tls, http_inspector off on every port none of whose chains matches http/1.1 or h2c, waiting MeshConfig protocolDetectionTimeout and then continuing', () => {
  const { listener } = translate([{ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'wl', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'cart' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'DISABLE' } } } }]);
  const filters = listener!.listenerFilters.map((f) => [f.name, JSON.stringify(f.filterDisabled?.rule, (k, v) => (k === '$typeName' ? undefined : v))]);
  assert.equal(filters, [
    // Passthrough chains (STRICT) need TLS, so the inspector is on except on the DISABLE port.
    ['envoy.filters.listener.tls_inspector', JSON.stringify({ case: 'destinationPortRange', value: { start: 8080, end: 8081 } })],
  ], 'STRICT everywhere but 8080: no chain matches plaintext HTTP, so no http_inspector');
  const permissive = translate().listener!.listenerFilters.map((f) => [f.name, JSON.stringify(f.filterDisabled?.rule, (k, v) => (k === '$typeName' ? undefined : v))]);
  const range = (p: number) => ({ rule: { case: 'destinationPortRange', value: { start: p, end: p + 1 } } });
  assert.equal(permissive, [
    ['envoy.filters.listener.tls_inspector', undefined],
    ['envoy.filters.listener.http_inspector', JSON.stringify({ case: 'orMatch', value: { rules: [range(8080), range(9000)] } })],
  ], 'PERMISSIVE: TLS inspected on every port; HTTP sniffed on the sniffed port and undeclared ports only');
  const timeoutOf = (l: Listener) => [l.listenerFiltersTimeout && Number(l.listenerFiltersTimeout.seconds) * 1000 + l.listenerFiltersTimeout.nanos / 1e6, l.continueOnListenerFiltersTimeout];
  assert.equal(timeoutOf(translate().listener!), [0, true], 'MeshConfig protocolDetectionTimeout (Istio\'s default 0: no limit), then go on with what is known');
  assert.equal(timeoutOf(translate([], 'protocolDetectionTimeout: 1.5s\n').listener!), [1500, true]);
});

test('GIVEN Istio\'s default MeshConfig WHEN translated THEN every inbound HTTP route but the gRPC port\'s retries twice on reset-before-request (ConvertInboundPolicy(nil)), no host predicate, no per-try timeout', () => {
  const { listener } = translate();
  const builtin = { retryOn: 'reset-before-request', numRetries: 2, codes: [], backoffMs: null, hostPredicates: 0, perTry: false };
  assert.equal(retryOf(chainsOn(listener, 8080)[0]!), builtin, 'declared HTTP port');
  assert.equal(retryOf(chainsOn(listener, 7070)[0]!), builtin, 'sniffed port, HTTP chain');
  assert.equal(retryOf(chainsOn(listener, undefined)[0]!), builtin, 'passthrough HTTP chain');
  assert.is(retryOf(chainsOn(listener, 9000)[0]!), undefined, 'gRPC port: never retried inbound');
});

test('GIVEN MeshConfig defaultInboundHttpRetryPolicy WHEN translated THEN its attempts, retryOn (status codes to retriable_status_codes) and backoff replace the built-in policy; attempts 0 removes inbound retries', () => {
  const { listener } = translate([], 'defaultInboundHttpRetryPolicy:\n  attempts: 4\n  retryOn: connect-failure,503\n  backoff: 100ms\n  perTryTimeout: 2s\n');
  assert.equal(retryOf(chainsOn(listener, 8080)[0]!), { retryOn: 'connect-failure,retriable-status-codes', numRetries: 4, codes: [503], backoffMs: 100, hostPredicates: 0, perTry: false });
  const off = translate([], 'defaultInboundHttpRetryPolicy:\n  attempts: 0\n').listener;
  assert.is(retryOf(chainsOn(off, 8080)[0]!), undefined);
  assert.is(retryOf(chainsOn(off, 7070)[0]!), undefined);
});

test('GIVEN a sniffed port, a declared HTTP port and a gRPC port WHEN translated THEN the sniffed port\'s inbound cluster uses the downstream protocol (istiod setUpstreamProtocol: the application gets h2 from an h2 caller), the gRPC port\'s HTTP/2, the HTTP port\'s none (HTTP/1.1)', () => {
  const { set } = translate();
  const options = (port: number) => {
    const c = set.clusters.find((x) => x.name === `inbound|${port}||`)!;
    const any = c.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    if (!any) return 'none';
    const o = anyUnpack(any, HttpProtocolOptionsSchema)!;
    return o.upstreamProtocolOptions.case === 'explicitHttpConfig' ? `explicit ${o.upstreamProtocolOptions.value.protocolConfig.case}` : o.upstreamProtocolOptions.case;
  };
  assert.equal([options(7070), options(9000), options(8080)], ['useDownstreamProtocolConfig', 'explicit http2ProtocolOptions', 'none']);
});

test.run();
