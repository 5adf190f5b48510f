/**
 * validation/envoyfilter-structure: a patch value with an Envoy v2 API `@type` is refused ("referenced type unknown");
 * the message names the v3 type that replaced it where Envoy's API migration maps it by package.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/validation/envoyfilter-structure.js';
import { findingsOf } from './_harness.js';

async function fixOf(type: string): Promise<string> {
  const found = await findingsOf(`apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: old, namespace: shop}
spec:
  configPatches:
  - applyTo: HTTP_FILTER
    match: {context: SIDECAR_INBOUND, listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager}}}}
    patch:
      operation: INSERT_BEFORE
      value:
        name: my.filter
        typed_config:
          "@type": ${type}
`, [rule]);
  assert.is(found.length, 1, `one finding for ${type}`);
  return found[0]!.message.replace(/^.*retired v2 API; /, '');
}

test('GIVEN v2 @type URLs in an EnvoyFilter patch WHEN checked THEN each is refused and the fix names its own v3 type (not one example for all)', async () => {
  assert.is(await fixOf('type.googleapis.com/envoy.api.v2.Cluster'), 'write its v3 type, type.googleapis.com/envoy.config.cluster.v3.Cluster');
  assert.is(await fixOf('type.googleapis.com/envoy.api.v2.route.RouteAction'), 'write its v3 type, type.googleapis.com/envoy.config.route.v3.RouteAction');
  assert.is(await fixOf('type.googleapis.com/envoy.api.v2.auth.UpstreamTlsContext'), 'write its v3 type, type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
  assert.is(await fixOf('type.googleapis.com/envoy.config.filter.http.lua.v2.Lua'), 'write its v3 type, type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua');
  assert.is(await fixOf('type.googleapis.com/envoy.config.filter.network.tcp_proxy.v2.TcpProxy'), 'write its v3 type, type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy');
  assert.match(await fixOf('type.googleapis.com/envoy.config.trace.v2.ZipkinConfig'), /^write the v3 type \(e\.g\./);
});

test.run();
