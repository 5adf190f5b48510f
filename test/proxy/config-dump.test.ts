/**
 * `/config_dump` query parameters as Envoy's admin answers them (config_dump_handler.cc): `mask`
 * (FieldMask, into the element's Any resource with `resource`), `name_regex` (RE2 full match on the
 * resource name), and their errors, over a real admin socket of a proxy configured by ADS.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ProxyHandle } from '../../src/proxy/main.js';
import { assignment, edsCluster, get, httpListener, routeConfig, startTestProxy, startXds } from './_harness.js';

const ADDR = '127.0.9.21';
const CLUSTERS = ['outbound|80||a.default.svc.cluster.local', 'outbound|80|v1|a.default.svc.cluster.local', 'outbound|9080||b.other.svc.cluster.local'];
let proxy: ProxyHandle;
let xds: Awaited<ReturnType<typeof startXds>>;

type Dump = { configs: Record<string, unknown>[] };
async function dump(query: string): Promise<{ status: number; body: string; json: Dump | undefined }> {
  const r = await get(proxy.adminPort!, `/config_dump${query}`);
  return { status: r.status, body: r.body, json: r.status === 200 ? (JSON.parse(r.body) as Dump) : undefined };
}

test.before(async () => {
  xds = await startXds({
    clusters: CLUSTERS.map((c) => edsCluster(c, { connectTimeoutMs: 250 })),
    endpoints: CLUSTERS.map((c) => assignment(c, [{ port: 1 }])),
    listeners: [httpListener('0.0.0.0_80', ADDR, '80'), httpListener('0.0.0.0_9080', ADDR, '9080')],
    routes: [
      routeConfig('80', [{ name: 'a', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: CLUSTERS[0]! } } } }] }]),
      routeConfig('9080', [{ name: 'b', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: CLUSTERS[2]! } } } }] }]),
    ],
  });
  proxy = await startTestProxy(xds.port);
  await proxy.waitReady();
});

test.after(async () => {
  await proxy?.close();
  await xds?.close();
});

test('GIVEN name_regex WHEN the whole dump is asked THEN only resources whose name fully matches, in every kind of dump', async () => {
  const r = await dump(`?include_eds&name_regex=${encodeURIComponent('outbound\\|80\\|.*')}`);
  assert.is(r.status, 200);
  const clusters = r.json!.configs[1]!.dynamic_active_clusters as { cluster: { name: string } }[];
  assert.equal(clusters.map((c) => c.cluster.name).sort(), [...CLUSTERS.slice(0, 2)].sort());
  const eds = r.json!.configs.at(-1)!.dynamic_endpoint_configs as { endpoint_config: { cluster_name: string } }[];
  assert.equal(eds.map((e) => e.endpoint_config.cluster_name).sort(), [...CLUSTERS.slice(0, 2)].sort());
  // Full match, not a search: "80" alone names no listener ("0.0.0.0_80" only contains it).
  const partial = await dump('?resource=dynamic_listeners&name_regex=80');
  assert.equal(partial.json!.configs, []);
  const listeners = await dump(`?resource=dynamic_listeners&name_regex=${encodeURIComponent('.*_9080')}`);
  assert.equal(listeners.json!.configs.map((c) => c.name), ['0.0.0.0_9080']);
  const routes = await dump('?resource=dynamic_route_configs&name_regex=80');
  assert.equal(routes.json!.configs.map((c) => (c.route_config as { name: string }).name), ['80']);
});

test('GIVEN an invalid name_regex THEN 400 naming the pattern as given and the parse error, not the anchored JS RegExp made from it', async () => {
  const r = await dump(`?name_regex=${encodeURIComponent('outbound|(80')}`);
  assert.is(r.status, 400);
  assert.is(r.body, 'Error while parsing name_regex from outbound|(80: Unterminated group\n');
  const open = await dump(`?name_regex=${encodeURIComponent('(')}`);
  assert.is(open.body, 'Error while parsing name_regex from (: Unterminated group\n');
});

test('GIVEN resource and a mask into the Any resource THEN each element keeps only the masked fields, @type included', async () => {
  const r = await dump('?resource=dynamic_active_clusters&mask=cluster.name,cluster.connect_timeout,version_info');
  assert.is(r.status, 200);
  assert.is(r.json!.configs.length, 3);
  for (const c of r.json!.configs) {
    assert.equal(Object.keys(c).sort(), ['@type', 'cluster', 'version_info']);
    assert.is(c['@type'], 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump.DynamicCluster');
    assert.equal(c.cluster, { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: (c.cluster as { name: string }).name, connect_timeout: '0.250s' });
  }
  // A nested message path inside the resource, and the listener's nested state.
  const eds = await dump('?include_eds&resource=dynamic_endpoint_configs&mask=endpoint_config.cluster_name');
  assert.equal(Object.keys(eds.json!.configs[0]!.endpoint_config as object).sort(), ['@type', 'cluster_name']);
  const l = await dump('?resource=dynamic_listeners&mask=name,active_state.version_info');
  assert.equal(l.json!.configs[0], { '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump.DynamicListener', name: '0.0.0.0_80', active_state: { version_info: xds.cache.getSnapshot('test/proxy')!.types.listener.version } });
});

test('GIVEN a mask naming no field of the element, or indexing into a repeated field THEN 400, and no partial dump', async () => {
  for (const mask of ['cluster.nope', 'nope', 'cluster.load_assignment.endpoints.lb_endpoints', 'version_info.x', 'cluster.name.x']) {
    const r = await dump(`?resource=dynamic_active_clusters&mask=${mask}`);
    assert.is(r.status, 400, mask);
    assert.match(r.body, /^FieldMask .* could not be successfully used/, mask);
  }
  // Envoy's Any handling goes one level only: a listener's Any sits under active_state.
  assert.is((await dump('?resource=dynamic_listeners&mask=active_state.listener.name')).status, 400);
});

test('GIVEN a mask without resource THEN each dump it fits is trimmed, the others dropped; fitting none is 400', async () => {
  const r = await dump('?mask=version_info');
  assert.is(r.status, 200);
  // Bootstrap and Routes dumps have no version_info: dropped, as Envoy does.
  assert.equal(r.json!.configs.map((c) => c['@type']), ['type.googleapis.com/envoy.admin.v3.ClustersConfigDump', 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump']);
  assert.ok(r.json!.configs.every((c) => Object.keys(c).sort().join() === '@type,version_info'));
  const node = await dump('?mask=bootstrap.node.id');
  assert.equal(node.json!.configs, [{ '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: { node: { id: 'test/proxy' } } }]);
  const none = await dump('?mask=nothing_like_this');
  assert.is(none.status, 400);
  assert.match(none.body, /FieldMask nothing_like_this could not be successfully applied to any configs/);
});

test('GIVEN resource errors THEN Envoy\'s answers: unknown 404, not repeated 400, static (empty) 200', async () => {
  assert.is((await dump('?resource=dynamic_clusters')).status, 404);
  const scalar = await dump('?resource=version_info');
  assert.is(scalar.status, 400);
  assert.match(scalar.body, /version_info is not a repeated field\. Use \?mask=version_info to get only this field/);
  const stat = await dump('?resource=static_clusters');
  assert.is(stat.status, 200);
  assert.equal(stat.json!.configs, []);
  // Endpoints exist only with include_eds.
  assert.is((await dump('?resource=dynamic_endpoint_configs')).status, 404);
});

test.run();
