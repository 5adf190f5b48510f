import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, mergeGatewayServers, proxiesOf } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { checkSnapshot } from '../../../src/xds/snapshot-check.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import { checkFilterChains } from '../../../src/proxy/filter-chain-match.js';
import { graphOf } from '../../mesh/_graph.js';
import { assertRoundTrip } from './_roundtrip.js';
import { deploy, gw, route, svc, vs } from '../../mesh/view-fixtures.js';
import { duplicateChainMatches } from './_chains.js';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import type { FilterChain } from '../../../src/xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import { type HttpConnectionManager, HttpConnectionManagerSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';

// Gateway servers merged as istiod's mergeGateways merges them (pilot/pkg/model/gateway.go): per listener port and bind,
// HTTP-like protocols merge, other protocols after a plain-text server are skipped, a bind makes its own listener.

const ingress = deploy('ingress', 'istio-system', { istio: 'ingressgateway' });
const server = (port: number, protocol: string, name: string, hosts: string[], extra: Record<string, unknown> = {}) => ({ port: { number: port, name, protocol }, hosts, ...extra });
const simple = { tls: { mode: 'SIMPLE', credentialName: 'cert' } };
const backends = [svc('web', 'prod', [{ port: 80, name: 'http' }]), svc('db', 'prod', [{ port: 5432, name: 'tcp' }])];
const router = (objects: Record<string, unknown>[]) => {
  const g = graphOf([ingress, ...backends, ...objects]);
  return buildProxyView(g, proxiesOf(g).find((p) => p.type === 'router')!);
};
const translate = (objects: Record<string, unknown>[]) => {
  const set = translateProxy(router(objects), []);
  assert.equal(checkSnapshot(createSnapshot(set)), []);
  assert.equal(duplicateChainMatches(set.listeners), []);
  for (const l of set.listeners) assert.equal(checkFilterChains(l), [], `listener ${l.name}`);
  assertRoundTrip(set);
  return set;
};
const httpVs = (gateways: string[], hosts = ['web.example.com']) => vs('web', 'prod', { hosts, gateways, http: [{ route: [route('web')] }] });
const tcpVs = (gateways: string[]) => vs('db', 'prod', { hosts: ['*'], gateways, tcp: [{ route: [route('db', { port: { number: 5432 } })] }] });
/** The RDS name a chain's connection manager reads. */
const rdsOf = (c: FilterChain) => {
  const hcm = anyUnpack(c.filters[0]!.configType.value as never, HttpConnectionManagerSchema) as HttpConnectionManager;
  return hcm.routeSpecifier.case === 'rds' ? hcm.routeSpecifier.value.routeConfigName : '-';
};
const addressOf = (l: { address?: { address: { case: string; value?: unknown } } }) => {
  const sock = l.address?.address.value as { address: string; portSpecifier: { value: number } };
  return `${sock.address}:${sock.portSpecifier.value}`;
};

test('GIVEN a GRPC and an HTTP2 server WHEN translated THEN each port gets a listener whose connection manager reads http.<port>, with the routes (HTTP-like protocols are HTTP servers: Instance.IsHTTP)', () => {
  const set = translate([
    gw('g', 'istio-system', [server(80, 'GRPC', 'grpc', ['*']), server(81, 'HTTP2', 'h2', ['*'])]),
    httpVs(['istio-system/g']),
  ]);
  assert.equal(set.listeners.map((l) => l.name), ['0.0.0.0_80', '0.0.0.0_81']);
  assert.equal(set.routes.map((r) => [r.name, r.virtualHosts.flatMap((v) => v.domains)]), [['http.80', ['web.example.com']], ['http.81', ['web.example.com']]]);
});

test('GIVEN an HTTP server then a GRPC server on one port WHEN translated THEN they merge into one connection manager on http.<port> (canMergeProtocols)', () => {
  const set = translate([
    gw('g', 'istio-system', [server(80, 'HTTP', 'http', ['web.example.com']), server(80, 'GRPC', 'grpc', ['api.example.com'])]),
    httpVs(['istio-system/g'], ['web.example.com', 'api.example.com']),
  ]);
  assert.equal(set.listeners.map((l) => [l.name, l.filterChains.length]), [['0.0.0.0_80', 1]]);
  assert.equal(set.routes.map((r) => [r.name, r.virtualHosts.flatMap((v) => v.domains).sort()]), [['http.80', ['api.example.com', 'web.example.com']]]);
});

test('GIVEN an HTTP server then a TCP server on one port WHEN translated THEN the TCP server is skipped (istiod: "conflict with existing server"): one chain, which Envoy accepts, where two unmatched chains would be refused', () => {
  const objects = [
    gw('g', 'istio-system', [server(80, 'HTTP', 'http', ['*']), server(80, 'TCP', 'tcp', ['*'])]),
    httpVs(['istio-system/g']), tcpVs(['istio-system/g']),
  ];
  const set = translate(objects);
  assert.equal(set.listeners.map((l) => [l.name, l.filterChains.map((c) => c.filters.map((f) => f.name).join('+'))]), [['0.0.0.0_80', ['envoy.filters.network.http_connection_manager']]]);
  const merged = mergeGatewayServers(router(objects).gatewayServers);
  assert.equal(merged.skipped.map((s) => [s.server.protocol, s.reason, s.heldBy.protocol]), [['TCP', 'protocol-conflict', 'HTTP']]);
});

test('GIVEN a TCP server then an HTTP server on one port WHEN merged THEN the HTTP server is skipped, and a second TCP server on the port is skipped too', () => {
  const objects = [gw('g', 'istio-system', [server(80, 'TCP', 'tcp', ['*']), server(80, 'HTTP', 'http', ['*']), server(80, 'TCP', 'tcp2', ['*'])]), tcpVs(['istio-system/g'])];
  const merged = mergeGatewayServers(router(objects).gatewayServers);
  assert.equal(merged.serverPorts.map((p) => [p.port, p.protocol, p.servers.length]), [[80, 'TCP', 1]]);
  assert.equal(merged.skipped.map((s) => [s.server.portName, s.reason]), [['http', 'protocol-conflict'], ['tcp2', 'protocol-conflict']]);
  const set = translate(objects);
  assert.equal(set.listeners.map((l) => [l.name, l.filterChains.length]), [['0.0.0.0_80', 1]]);
  assert.equal(set.routes.filter((r) => r.name.startsWith('http.')), [], 'the skipped HTTP server has no route configuration');
});

test('GIVEN an HTTP server then an HTTPS server on one port WHEN merged THEN the HTTPS server is skipped; GIVEN the HTTPS server first THEN both stay, as a TLS chain and a plain-text chain on one listener', () => {
  const httpFirst = [gw('g', 'istio-system', [server(8443, 'HTTP', 'http', ['*']), server(8443, 'HTTPS', 'https', ['web.example.com'], simple)]), httpVs(['istio-system/g'])];
  assert.equal(mergeGatewayServers(router(httpFirst).gatewayServers).skipped.map((s) => [s.server.protocol, s.reason]), [['HTTPS', 'protocol-conflict']]);
  assert.equal(translate(httpFirst).listeners.map((l) => [l.name, l.filterChains.length]), [['0.0.0.0_8443', 1]]);
  const httpsFirst = [gw('g', 'istio-system', [server(8443, 'HTTPS', 'https', ['web.example.com'], simple), server(8443, 'HTTP', 'http', ['*'])]), httpVs(['istio-system/g'])];
  assert.equal(mergeGatewayServers(router(httpsFirst).gatewayServers).skipped, []);
  const set = translate(httpsFirst);
  assert.equal(set.listeners.map((l) => [l.name, l.filterChains.map((c) => c.filterChainMatch?.serverNames ?? [])]), [['0.0.0.0_8443', [['web.example.com'], []]]]);
  assert.equal(set.routes.map((r) => r.name), ['http.8443', 'https.8443.https.g.istio-system']);
});

test('GIVEN two HTTP servers on one port with different bind addresses WHEN translated THEN each gets its own listener <bind>_<port> on that address and its own route configuration http.<port>.<bind>', () => {
  const set = translate([
    gw('g', 'istio-system', [server(80, 'HTTP', 'a', ['web.example.com'], { bind: '10.0.0.1' }), server(80, 'HTTP', 'b', ['api.example.com'], { bind: '10.0.0.2' })]),
    httpVs(['istio-system/g'], ['web.example.com', 'api.example.com']),
  ]);
  assert.equal(set.listeners.map((l) => [l.name, addressOf(l as never)]), [['10.0.0.1_80', '10.0.0.1:80'], ['10.0.0.2_80', '10.0.0.2:80']]);
  assert.equal(set.listeners.map((l) => [l.name, l.filterChains.map(rdsOf)]), [['10.0.0.1_80', ['http.80.10.0.0.1']], ['10.0.0.2_80', ['http.80.10.0.0.2']]]);
  assert.equal(set.routes.map((r) => [r.name, r.virtualHosts.flatMap((v) => v.domains)]), [['http.80.10.0.0.1', ['web.example.com']], ['http.80.10.0.0.2', ['api.example.com']]]);
});

test('GIVEN two TLS servers declaring one host on one port WHEN their bind addresses differ THEN both are kept on their own listeners; WHEN they agree THEN the later is skipped (CheckDuplicates compares host and bind)', () => {
  const a = server(443, 'HTTPS', 'a', ['web.example.com'], { ...simple, bind: '10.0.0.1' });
  const apart = [gw('g', 'istio-system', [a, server(443, 'HTTPS', 'b', ['web.example.com'], { ...simple, bind: '10.0.0.2' })]), httpVs(['istio-system/g'])];
  assert.equal(mergeGatewayServers(router(apart).gatewayServers).skipped, []);
  const set = translate(apart);
  assert.equal(set.listeners.map((l) => l.name), ['10.0.0.1_443', '10.0.0.2_443']);
  assert.equal(set.routes.map((r) => r.name), ['https.443.a.g.istio-system.10.0.0.1', 'https.443.b.g.istio-system.10.0.0.2']);
  const together = [gw('g', 'istio-system', [a, server(443, 'HTTPS', 'b', ['web.example.com'], { ...simple, bind: '10.0.0.1' })]), httpVs(['istio-system/g'])];
  assert.equal(mergeGatewayServers(router(together).gatewayServers).skipped.map((s) => [s.server.portName, s.reason, s.hosts, s.heldBy.portName]), [['b', 'duplicate-tls-host', ['web.example.com'], 'a']]);
  assert.equal(translate(together).listeners.map((l) => [l.name, l.filterChains.length]), [['10.0.0.1_443', 1]]);
});

test('GIVEN a TLS server without tls.mode WHEN translated THEN it is a PASSTHROUGH server (the proto\'s zero value): chains per tls route SNI, no TLS termination', () => {
  const set = translate([
    svc('secure', 'prod', [{ port: 8443, name: 'tls' }]),
    gw('g', 'istio-system', [server(443, 'TLS', 'tls', ['secure.example.com'], { tls: { credentialName: 'cert' } })]),
    vs('secure', 'prod', { hosts: ['secure.example.com'], gateways: ['istio-system/g'], tls: [{ match: [{ sniHosts: ['secure.example.com'] }], route: [route('secure', { port: { number: 8443 } })] }] }),
  ]);
  const chains = set.listeners.find((l) => l.name === '0.0.0.0_443')!.filterChains;
  assert.equal(chains.map((c) => [c.filterChainMatch?.serverNames, c.transportSocket === undefined]), [[['secure.example.com'], true]]);
});

test.run();
