/**
 * Admin, Prometheus and readiness servers over real sockets, and the access-log line format.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatAccessLog } from '../../src/proxy/access-log.js';
import { assignment, edsCluster, get, httpListener, routeConfig, startEcho, startTestProxy, startXds, until } from './_harness.js';

const ADDR = '127.0.9.6';

test('GIVEN a running proxy WHEN the admin endpoints are read THEN they have Envoy\'s shapes and names', async () => {
  const a = await startEcho('a');
  const xds = await startXds({
    clusters: [edsCluster('outbound|80||a.default.svc.cluster.local')], endpoints: [assignment('outbound|80||a.default.svc.cluster.local', [{ port: a.port }])],
    listeners: [httpListener('0.0.0.0_80', ADDR, '80')],
    routes: [routeConfig('80', [{ name: 'a', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'outbound|80||a.default.svc.cluster.local' } } } }] }])],
  });
  // Before config arrives the proxy is not ready.
  const proxy = await startTestProxy(xds.port, { initialBackoffMs: 10_000 });
  try {
    await proxy.waitReady();
    const ready = await get(proxy.readinessPort!, '/healthz/ready');
    assert.is(ready.status, 200);
    assert.is(ready.body, 'LIVE\n');
    assert.is((await get(proxy.adminPort!, '/ready')).body, 'LIVE\n');

    const { port } = proxy.listenerAddress('0.0.0.0_80')!;
    for (let i = 0; i < 3; i++) assert.is((await get(port, '/', { host: 'a' }, 'GET', undefined, ADDR)).status, 200);
    assert.is((await get(port, '/', { host: 'a' }, 'GET', undefined, ADDR)).status, 200);

    const dump = JSON.parse((await get(proxy.adminPort!, '/config_dump')).body) as { configs: Record<string, unknown>[] };
    assert.equal(dump.configs.map((c) => c['@type']), [
      'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
      'type.googleapis.com/envoy.admin.v3.ListenersConfigDump', 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
    ]);
    const listeners = dump.configs[2]!.dynamic_listeners as { name: string; active_state: { version_info: string; listener: Record<string, unknown> } }[];
    assert.is(listeners[0]!.name, '0.0.0.0_80');
    assert.is(listeners[0]!.active_state.listener['@type'], 'type.googleapis.com/envoy.config.listener.v3.Listener');
    assert.is(listeners[0]!.active_state.version_info, xds.cache.getSnapshot('test/proxy')!.types.listener.version);
    assert.ok('filter_chains' in listeners[0]!.active_state.listener, 'proto field names, as Envoy prints them');
    const withEds = JSON.parse((await get(proxy.adminPort!, '/config_dump?include_eds')).body) as { configs: Record<string, unknown>[] };
    assert.is(withEds.configs.at(-1)!['@type'], 'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump');

    const prom = (await get(proxy.prometheusPort!, '/stats/prometheus')).body;
    assert.match(prom, /# TYPE envoy_cluster_upstream_rq_total counter\n/);
    assert.match(prom, /envoy_cluster_upstream_rq_total\{envoy_cluster_name="outbound\|80\|\|a\.default\.svc\.cluster\.local"\} 4\n/);
    assert.match(prom, /envoy_cluster_upstream_rq\{envoy_response_code="200",envoy_cluster_name="outbound\|80\|\|a\.default\.svc\.cluster\.local"\} 4\n/);
    assert.match(prom, /envoy_cluster_upstream_rq_xx\{envoy_response_code_class="2",envoy_cluster_name="outbound\|80\|\|a\.default\.svc\.cluster\.local"\} 4\n/);
    assert.match(prom, /envoy_http_downstream_rq_total\{envoy_http_conn_manager_prefix="0\.0\.0\.0_80"\} 4\n/);
    assert.match(prom, /envoy_cluster_membership_healthy\{envoy_cluster_name="outbound\|80\|\|a\.default\.svc\.cluster\.local"\} 1\n/);

    const ls = JSON.parse((await get(proxy.adminPort!, '/listeners?format=json')).body) as { listener_statuses: { name: string; local_address: { socket_address: { address: string; port_value: number } } }[] };
    assert.equal(ls.listener_statuses, [{ name: '0.0.0.0_80', local_address: { socket_address: { address: ADDR, port_value: port } } }]);
    assert.is((await get(proxy.adminPort!, '/nope')).status, 404);

    // /clusters?format=json: Envoy's envoy.admin.v3.Clusters (proto JSON: snake_case, defaults left out).
    const clusters = await get(proxy.adminPort!, '/clusters?format=json');
    assert.is(clusters.headers['content-type'], 'application/json');
    const statuses = (JSON.parse(clusters.body) as { cluster_statuses: { name: string }[] }).cluster_statuses;
    assert.equal(statuses.find((c) => c.name === 'outbound|80||a.default.svc.cluster.local'), {
      name: 'outbound|80||a.default.svc.cluster.local',
      added_via_api: true,
      host_statuses: [{
        address: { socket_address: { address: '127.0.0.1', port_value: a.port } },
        stats: [{ type: 'GAUGE', name: 'rq_active' }],
        health_status: { eds_health_status: 'HEALTHY' },
        weight: 1,
        locality: { region: 'r', zone: 'z' },
      }],
      observability_name: 'outbound|80||a.default.svc.cluster.local',
    });
    assert.match((await get(proxy.adminPort!, '/clusters')).body, new RegExp(`^outbound\\|80\\|\\|a\\.default\\.svc\\.cluster\\.local::127\\.0\\.0\\.1:${a.port}::rq_active::0\n`, 'm'));

    // Draining: /ready turns 503 DRAINING.
    const drained = proxy.drain();
    await until(() => proxy.state() === 'DRAINING', 1000);
    await drained;
  } finally {
    await proxy.close();
    await xds.close();
    await a.close();
  }
});

test('GIVEN no control plane WHEN readiness is asked THEN 503 PRE_INITIALIZING', async () => {
  const proxy = await startTestProxy(1, { initialBackoffMs: 10_000 });
  try {
    const r = await get(proxy.readinessPort!, '/healthz/ready');
    assert.is(r.status, 503);
    assert.is(r.body, 'PRE_INITIALIZING\n');
  } finally {
    await proxy.close();
  }
});

test('GIVEN an access log entry WHEN formatted THEN it is Envoy\'s default line with flags, then cluster and details', () => {
  const line = formatAccessLog({
    startMs: Date.UTC(2026, 10, 29, 12, 0, 0, 5), method: 'GET', path: '/a?b', protocol: 'HTTP/1.1', status: 503, flags: ['UF', 'URX'],
    bytesReceived: 0, bytesSent: 91, durationMs: 12.4, upstreamServiceTimeMs: undefined, xForwardedFor: undefined, userAgent: 'curl/8 "x"',
    requestId: 'id-1', authority: 'a.test', upstreamHost: '127.0.0.1:8080', upstreamCluster: 'outbound|80||a', details: 'upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}',
  });
  assert.is(line, '[2026-11-29T12:00:00.005Z] "GET /a?b HTTP/1.1" 503 UF,URX 0 91 12 - "-" "curl/8 \\x22x\\x22" "id-1" "a.test" "127.0.0.1:8080" outbound|80||a upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}\n');
});

test.run();
