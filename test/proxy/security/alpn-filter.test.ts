/**
 * `istio.alpn` in the proxy: the filter's config becomes a table by upstream protocol, an HCM
 * carrying it is accepted while other unknown HTTP filters are still refused, and a plaintext host
 * keeps one connection pool whatever ALPN a request asks for. The TLS side is proven over real
 * sockets in `istio-alpn.e2e.test.ts`.
 */
import { create } from '@bufbuild/protobuf';
import { type Any, AnySchema, anyPack } from '@bufbuild/protobuf/wkt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StatsStore } from '../../../src/proxy/admin/stats.js';
import { compileCluster, hostsOf } from '../../../src/proxy/config/cluster-config.js';
import { compileHcm } from '../../../src/proxy/config/listener-config.js';
import { createExtensions } from '../../../src/proxy/extensions.js';
import { UpstreamCluster } from '../../../src/proxy/http/cluster-manager.js';
import { compileAlpnConfig } from '../../../src/proxy/tls/alpn-filter.js';
import { FilterConfig_Protocol, FilterConfigSchema } from '../../../src/xds/gen/envoy/config/filter/http/alpn/v2alpha1/config_pb.js';
import { HTTPFaultSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/fault/v3/fault_pb.js';
import { RouterSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { HttpConnectionManagerSchema } from '../../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { alpnFilter } from '../../../src/xds/translate/alpn.js';
import { assignment, edsCluster } from '../_harness.js';

const router = { name: 'envoy.filters.http.router', configType: { case: 'typedConfig' as const, value: anyPack(RouterSchema, create(RouterSchema)) } };
const hcm = (filters: { name: string; configType: { case: 'typedConfig'; value: Any } }[]) =>
  anyPack(HttpConnectionManagerSchema, create(HttpConnectionManagerSchema, { statPrefix: 's', routeSpecifier: { case: 'rds', value: { routeConfigName: 'r', configSource: { configSourceSpecifier: { case: 'ads', value: {} } } } }, httpFilters: [...filters, router] }));

test('GIVEN the istio.alpn config istiod writes WHEN compiled THEN each upstream protocol has its list', () => {
  assert.equal(compileAlpnConfig(alpnFilter().configType.value), {
    http10: ['istio-http/1.0', 'istio', 'http/1.0'], http11: ['istio-http/1.1', 'istio', 'http/1.1'], http2: ['istio-h2', 'istio', 'h2'],
  });
});

test('GIVEN a later empty override for a protocol, or only empty ones WHEN compiled THEN the later entry wins (no override), and no entry left means no table', () => {
  const cfg = (o: { upstreamProtocol: FilterConfig_Protocol; alpnOverride: string[] }[]) => anyPack(FilterConfigSchema, create(FilterConfigSchema, { alpnOverride: o }));
  assert.equal(compileAlpnConfig(cfg([{ upstreamProtocol: FilterConfig_Protocol.HTTP2, alpnOverride: ['x'] }, { upstreamProtocol: FilterConfig_Protocol.HTTP11, alpnOverride: ['y'] }, { upstreamProtocol: FilterConfig_Protocol.HTTP2, alpnOverride: [] }])), { http11: ['y'] });
  assert.is(compileAlpnConfig(cfg([{ upstreamProtocol: FilterConfig_Protocol.HTTP11, alpnOverride: [] }])), undefined);
});

test('GIVEN istio.alpn with another message as config WHEN compiled THEN a ConfigError names typed_config and the expected type', () => {
  assert.throws(() => compileAlpnConfig(anyPack(HTTPFaultSchema, create(HTTPFaultSchema))), (e: Error) => /typed_config: type type\.googleapis\.com\/envoy\.extensions\.filters\.http\.fault\.v3\.HTTPFault is not type\.googleapis\.com\/istio\.envoy\.config\.filter\.http\.alpn\.v2alpha1\.FilterConfig/.test(e.message));
});

test('GIVEN an HCM with istio.alpn, and one with an unknown filter that is not optional WHEN compiled with the proxy\'s extensions THEN the first is accepted, the second still refused', () => {
  const ext = createExtensions();
  assert.equal(compileHcm(hcm([alpnFilter()]), ext).filters.map((f) => f.name), ['istio.alpn']);
  const lua = { name: 'envoy.filters.http.lua', configType: { case: 'typedConfig' as const, value: create(AnySchema, { typeUrl: 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua' }) } };
  assert.throws(() => compileHcm(hcm([alpnFilter(), lua]), ext), (e: Error) => /HTTP filter "envoy\.filters\.http\.lua".*is not supported by this proxy and is not marked is_optional/.test(e.message));
});

test('GIVEN a plaintext host WHEN requests ask for the HTTP/1.1 pool or the HTTP/2 session with and without an ALPN override THEN they share one pool and one session (plaintext ignores the override)', () => {
  const cluster = compileCluster(edsCluster('plain'));
  const c = new UpstreamCluster(cluster, new StatsStore().cluster('plain'), createExtensions(), Math.random);
  c.setHosts(hostsOf(assignment('plain', [{ port: 1 }])));
  const host = c.hosts[0]!;
  const plain = c.pool(host);
  assert.ok(c.pool(host, ['istio-http/1.1', 'istio', 'http/1.1']) === plain, 'the same pool');
  const h2c = c.http2(host);
  assert.ok(c.http2(host, ['istio-h2', 'istio', 'h2']) === h2c, 'the same session holder');
  c.close();
});

test.run();
