import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBinary, toBinary, toJsonString } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { ClusterSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { FilterChain } from '../../../src/xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import { type Listener, ListenerSchema } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { HttpConnectionManagerSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { TcpProxySchema } from '../../../src/xds/gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { DownstreamTlsContextSchema } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import { checkSnapshot } from '../../../src/xds/snapshot-check.js';
import { TRANSLATE_REGISTRY } from '../../../src/xds/translate/dump.js';
import { translateProxy, VIRTUAL_INBOUND } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';

type Obj = Record<string, unknown>;
const NS = 'shop';
const proxy = describeProxy({ name: 'cart', namespace: NS, labels: { app: 'cart' }, serviceAccount: 'cart' });
const workload: Obj = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cart', namespace: NS },
  spec: { template: { metadata: { labels: { app: 'cart' } }, spec: { containers: [{ name: 'app', ports: [{ containerPort: 8080 }, { containerPort: 5432 }, { containerPort: 9000, name: 'grpc' }] }] } } },
};
const service: Obj = {
  apiVersion: 'v1', kind: 'Service', metadata: { name: 'cart', namespace: NS },
  spec: { selector: { app: 'cart' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'tcp-db', port: 5432 }, { name: 'grpc', port: 9090, targetPort: 'grpc' }] },
};
const pa = (name: string, spec: Obj): Obj => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace: NS }, spec });

/** The translated resources of the cart sidecar, the inbound listener decoded from its binary encoding. */
function translate(objects: Obj[]) {
  const view = buildProxyView(graphOf([workload, service, ...objects]), proxy);
  const set = translateProxy(view, []);
  const raw = set.listeners.find((l) => l.name === VIRTUAL_INBOUND);
  const listener = raw && fromBinary(ListenerSchema, toBinary(ListenerSchema, raw));
  return { set, listener };
}

const chainsOf = (l: Listener | undefined) => (l?.filterChains ?? []).map((c) => [c.filterChainMatch?.destinationPort, c.filterChainMatch?.transportProtocol, c.name]);
const unpack = <T extends Parameters<typeof anyUnpack>[1]>(c: FilterChain, i: number, schema: T) => {
  const f = c.filters[i]!;
  assert.is(f.configType.case, 'typedConfig');
  return anyUnpack(f.configType.value as Parameters<typeof anyUnpack>[0], schema)!;
};

test('GIVEN STRICT, PERMISSIVE and DISABLE ports WHEN translated THEN virtualInbound has chains on the container port: tls only, tls + raw_buffer, raw_buffer only', () => {
  const { listener } = translate([pa('wl', { selector: { matchLabels: { app: 'cart' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { 5432: { mode: 'PERMISSIVE' }, 9000: { mode: 'DISABLE' } } })]);
  assert.ok(listener, 'virtualInbound exists');
  assert.is(listener!.address?.address.case, 'socketAddress');
  assert.is((listener!.address!.address.value as { portSpecifier: { value: number } }).portSpecifier.value, 15006);
  assert.equal(listener!.listenerFilters.map((f) => [f.name, f.filterDisabled?.rule]), [
    ['envoy.filters.listener.tls_inspector', { case: 'destinationPortRange', value: { $typeName: 'envoy.type.v3.Int32Range', start: 9000, end: 9001 } }],
  ], 'istiod populateListenerFilters: the TLS inspector off on the DISABLE port; no http_inspector (no chain matches http/1.1 or h2c)');
  assert.equal(chainsOf(listener), [
    [5432, 'tls', 'inbound_0.0.0.0_5432_mtls'], [5432, 'raw_buffer', 'inbound_0.0.0.0_5432_plaintext'],
    [8080, 'tls', 'inbound_0.0.0.0_8080_mtls'],
    [9000, 'raw_buffer', 'inbound_0.0.0.0_9000_plaintext'],
    [undefined, 'tls', 'inbound_passthrough_mtls_http'], [undefined, 'tls', 'inbound_passthrough_mtls'],
  ]);
  const md = listener!.filterChains[2]!.metadata!.filterMetadata.meshproof as unknown as { mtls: { mode: string; source: string; origin: { name: string; path: string[] } }; services: { host: string; port: number }[] };
  assert.equal([md.mtls.mode, md.mtls.source, md.mtls.origin.name, md.mtls.origin.path], ['STRICT', 'workload', 'wl', ['spec', 'mtls']]);
  assert.equal(md.services.map((s) => [s.host, s.port]), [['cart.shop.svc.cluster.local', 80]]);
});

test('GIVEN no PeerAuthentication WHEN translated THEN every port is PERMISSIVE (Istio\'s default): both chains', () => {
  const { listener } = translate([]);
  assert.equal(chainsOf(listener).map(([p, t]) => `${p}/${t}`), [
    '5432/tls', '5432/raw_buffer', '8080/tls', '8080/raw_buffer', '9000/tls', '9000/raw_buffer',
    'undefined/tls', 'undefined/raw_buffer', 'undefined/tls', 'undefined/raw_buffer', 'undefined/tls',
  ]);
});

test('GIVEN ports no Service declares WHEN translated THEN the passthrough chains (no destination_port, protocol sniffed) apply the workload-wide mode, HTTP RBAC on the HTTP chain and network RBAC on the TCP chain, in front of InboundPassthroughCluster (ORIGINAL_DST)', () => {
  const deny = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'deny-legacy', namespace: NS }, spec: { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['legacy'] } }] }] } };
  const { set, listener } = translate([pa('wl', { selector: { matchLabels: { app: 'cart' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'DISABLE' } } }), deny]);
  const pass = listener!.filterChains.filter((c) => c.name.startsWith('inbound_passthrough'));
  assert.equal(pass.map((c) => [c.filterChainMatch?.destinationPort, c.filterChainMatch?.transportProtocol, c.filterChainMatch?.applicationProtocols, c.filters.map((f) => f.name)]), [
    [undefined, 'tls', ['istio-http/1.0', 'istio-http/1.1', 'istio-h2'], ['envoy.filters.network.http_connection_manager']],
    [undefined, 'tls', [], ['envoy.filters.network.rbac', 'envoy.filters.network.tcp_proxy']],
  ], 'STRICT workload-wide even though port 8080 is DISABLE');
  const hcm = unpack(pass[0]!, 0, HttpConnectionManagerSchema);
  assert.equal(hcm.httpFilters.map((f) => f.name), ['envoy.filters.http.rbac', 'envoy.filters.http.router']);
  const rc = hcm.routeSpecifier.value as { name: string; virtualHosts: { name: string; routes: { action: { value: { clusterSpecifier: { value: string } } } }[] }[] };
  assert.equal([rc.name, rc.virtualHosts[0]!.name, rc.virtualHosts[0]!.routes[0]!.action.value.clusterSpecifier.value], ['InboundPassthroughCluster', 'inbound|http|0', 'InboundPassthroughCluster']);
  assert.equal(unpack(pass[1]!, 1, TcpProxySchema).clusterSpecifier, { case: 'cluster', value: 'InboundPassthroughCluster' });
  const cluster = set.clusters.find((c) => c.name === 'InboundPassthroughCluster')!;
  assert.equal([cluster.clusterDiscoveryType.case, cluster.clusterDiscoveryType.value], ['type', 4], 'ORIGINAL_DST');
});

test('GIVEN a tls chain WHEN decoded THEN it terminates ISTIO_MUTUAL: SDS "default" certificate, "ROOTCA" validation, client certificate required; plaintext chains have no transport socket', () => {
  const { listener } = translate([]);
  const [tls, plain] = listener!.filterChains.filter((c) => c.filterChainMatch?.destinationPort === 8080);
  assert.is(plain!.transportSocket, undefined);
  assert.is(tls!.transportSocket?.name, 'envoy.transport_sockets.tls');
  const ctx = anyUnpack(tls!.transportSocket!.configType.value as Parameters<typeof anyUnpack>[0], DownstreamTlsContextSchema)!;
  assert.is(ctx.requireClientCertificate?.valueOf(), true);
  assert.equal(ctx.commonTlsContext!.tlsCertificateSdsSecretConfigs.map((s) => s.name), ['default']);
  assert.is(ctx.commonTlsContext!.validationContextType.case, 'validationContextSdsSecretConfig');
  assert.is((ctx.commonTlsContext!.validationContextType.value as { name: string }).name, 'ROOTCA');
  assert.equal(ctx.commonTlsContext!.alpnProtocols, ['h2', 'http/1.1']);
  assert.equal([ctx.commonTlsContext!.tlsParams?.tlsMinimumProtocolVersion, ctx.commonTlsContext!.tlsParams?.tlsMaximumProtocolVersion], [3, 4], 'TLS 1.2 to 1.3');
  const db = listener!.filterChains.find((c) => c.filterChainMatch?.destinationPort === 5432 && c.transportSocket)!;
  const tcpCtx = anyUnpack(db.transportSocket!.configType.value as Parameters<typeof anyUnpack>[0], DownstreamTlsContextSchema)!;
  assert.equal(tcpCtx.commonTlsContext!.alpnProtocols, ['istio-peer-exchange', 'h2', 'http/1.1'], 'TCP ports: Istio\'s ALPNDownstreamWithMxc');
});

test('GIVEN HTTP, gRPC and TCP ports WHEN translated THEN HTTP ports get an HCM routing to inbound|<port>|| (router last), TCP ports a tcp_proxy; each cluster is STATIC on 127.0.0.1', () => {
  const { set, listener } = translate([pa('strict', { mtls: { mode: 'STRICT' } })]);
  const [db, web, grpc] = listener!.filterChains;
  const hcm = unpack(web!, 0, HttpConnectionManagerSchema);
  assert.equal(hcm.httpFilters.map((f) => f.name), ['envoy.filters.http.router'], 'no AuthorizationPolicy: no RBAC filter');
  assert.equal([hcm.normalizePath, hcm.forwardClientCertDetails, hcm.setCurrentClientCertDetails?.uri], [true, 2, true], 'paths normalized before RBAC; XFCC APPEND_FORWARD with the peer URI');
  assert.is(hcm.routeSpecifier.case, 'routeConfig');
  const rc = hcm.routeSpecifier.value as { name: string; virtualHosts: { domains: string[]; routes: { action: { value: { clusterSpecifier: { value: string } } } }[] }[] };
  assert.equal([rc.name, rc.virtualHosts[0]!.domains, rc.virtualHosts[0]!.routes[0]!.action.value.clusterSpecifier.value], ['inbound|8080||', ['*'], 'inbound|8080||']);
  assert.is(unpack(grpc!, 0, HttpConnectionManagerSchema).statPrefix, 'inbound_0.0.0.0_9000');
  assert.equal(db!.filters.map((f) => f.name), ['envoy.filters.network.tcp_proxy']);
  assert.equal(unpack(db!, 0, TcpProxySchema).clusterSpecifier, { case: 'cluster', value: 'inbound|5432||' });
  const inbound = set.clusters.filter((c) => c.name.startsWith('inbound|')).map((c) => fromBinary(ClusterSchema, toBinary(ClusterSchema, c)));
  assert.equal(inbound.map((c) => c.name), ['inbound|5432||', 'inbound|8080||', 'inbound|9000||']);
  const ep = inbound[1]!.loadAssignment!.endpoints[0]!.lbEndpoints[0]!.hostIdentifier.value as { address: { address: { value: { address: string; portSpecifier: { value: number } } } } };
  assert.equal([ep.address.address.value.address, ep.address.address.value.portSpecifier.value], ['127.0.0.1', 8080]);
  assert.ok(inbound[2]!.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'], 'gRPC port: HTTP/2 to the application');
  assert.equal(checkSnapshot(createSnapshot(set)), []);
});

test('GIVEN the consistency check WHEN the inbound cluster a chain names is missing THEN it reports the tcp_proxy and route references (the check covers inbound resources)', () => {
  const { set } = translate([]);
  const broken = { ...set, clusters: set.clusters.filter((c) => !c.name.startsWith('inbound|')) };
  const missing = [...new Set(checkSnapshot(createSnapshot(broken)).filter((p) => p.code === 'XDS_MISSING_CLUSTER').map((p) => p.name))].sort();
  assert.equal(missing, ['inbound|5432||', 'inbound|8080||', 'inbound|9000||']);
});

test('GIVEN a gateway, a workload no Service selects, or a proxyless node WHEN translated THEN there is no inbound listener or cluster', () => {
  const lonely = translateProxy(buildProxyView(graphOf([workload]), proxy), []);
  const gw = translateProxy(buildProxyView(graphOf([workload, service]), describeProxy({ type: 'router', name: 'gw', namespace: 'istio-ingress', labels: { istio: 'ingressgateway' } })), []);
  const proxyless = translateProxy(buildProxyView(graphOf([workload, service]), proxy), [], { proxyless: true });
  for (const set of [lonely, gw, proxyless]) {
    assert.not.ok(set.listeners.some((l) => l.name === VIRTUAL_INBOUND));
    assert.not.ok(set.clusters.some((c) => c.name.startsWith('inbound|') || c.name === 'InboundPassthroughCluster'));
  }
});

test('GIVEN a ServiceEntry selecting the pod on one of the Service\'s container ports, its host sorting first (equal creation times) WHEN translated THEN that port takes the entry\'s protocol (HCM, not tcp_proxy), its metadata names both, and the entry\'s other port gets a chain and cluster', () => {
  const entry: Obj = {
    apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'cart-vm', namespace: NS },
    spec: { hosts: ['a-cart.internal'], location: 'MESH_INTERNAL', resolution: 'STATIC', workloadSelector: { labels: { app: 'cart' } }, ports: [{ number: 5432, name: 'http-db', protocol: 'HTTP' }, { number: 7000, name: 'tcp-extra', protocol: 'TCP' }] },
  };
  const { set, listener } = translate([entry, pa('strict', { mtls: { mode: 'STRICT' } })]);
  assert.equal(chainsOf(listener).map(([p]) => p), [5432, 7000, 8080, 9000, undefined, undefined]);
  const db = listener!.filterChains[0]!;
  assert.equal(db.filters.map((f) => f.name), ['envoy.filters.network.http_connection_manager'], 'the first service of the port (creation time, then hostname) decides: HTTP');
  const md = db.metadata!.filterMetadata.meshproof as unknown as { protocol: string; services: { host: string; port: number; origin: { kind: string } }[] };
  assert.equal([md.protocol, md.services.map((s) => `${s.origin.kind}/${s.host}:${s.port}`)], ['HTTP', ['ServiceEntry/a-cart.internal:5432', 'Service/cart.shop.svc.cluster.local:5432']]);
  assert.equal(unpack(listener!.filterChains[1]!, 0, TcpProxySchema).clusterSpecifier, { case: 'cluster', value: 'inbound|7000||' });
  assert.equal(set.clusters.filter((c) => c.name.startsWith('inbound|')).map((c) => c.name), ['inbound|5432||', 'inbound|7000||', 'inbound|8080||', 'inbound|9000||']);
  assert.equal(checkSnapshot(createSnapshot(set)), []);
});

test('GIVEN the inbound listener WHEN printed as proto-JSON THEN every packed message is known to the registry (no unknown Any)', () => {
  const { listener } = translate([{ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'a', namespace: NS }, spec: { rules: [{ from: [{ source: { namespaces: ['web'] } }] }] } }]);
  const json = toJsonString(ListenerSchema, listener!, { registry: TRANSLATE_REGISTRY });
  assert.match(json, /envoy\.extensions\.filters\.http\.rbac\.v3\.RBAC/);
  assert.match(json, /envoy\.extensions\.filters\.network\.rbac\.v3\.RBAC/);
});

test.run();
