/**
 * Per-port releases through xDS translation: a CanaryRelease for 8080 (90/10, pinned by header) and
 * a HeaderSplit for 9090 in one VirtualService give route configurations `8080` and `9090` that
 * each hold only their port's routes, to their port's clusters.
 */
import { App, Chart } from 'cdk8s';
import { test } from 'uvu';
import { stringify } from 'yaml';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { CanaryRelease } from '../../../src/constructs/canary-release.js';
import { MeshService } from '../../../src/constructs/mesh-service.js';
import { graphOfYaml } from '../../checks/rules/_harness.js';
import { perPortApp } from '../../_per-port-app.js';
import { selectRoute, targetOf } from './_select.js';

const API = 'api.shop.svc.cluster.local';
const cluster = (port: number, subset: string) => `outbound|${port}|${subset}|${API}`;

test('GIVEN a CanaryRelease for 8080 and a HeaderSplit for 9090 of one service WHEN translated for a sidecar THEN each port\'s route configuration sends its requests to that port\'s routes and clusters', async () => {
  const graph = await graphOfYaml(perPortApp().yaml());
  const set = translateProxy(buildProxyView(graph, describeProxy({ name: 'client', namespace: 'shop' })), []);
  const rc = (port: number) => set.routes.find((r) => r.name === String(port))!;
  const table: [number, Record<string, string>, string, string][] = [
    [8080, {}, 'http-split', `${cluster(8080, 'v1')}=90,${cluster(8080, 'v2')}=10`],
    [8080, { 'x-canary': 'always' }, 'http-pinned', cluster(8080, 'v2')],
    [8080, { 'end-user': 'jason' }, 'http-split', `${cluster(8080, 'v1')}=90,${cluster(8080, 'v2')}=10`],
    [9090, {}, 'grpc-default', cluster(9090, 'v1')],
    [9090, { 'end-user': 'jason' }, 'grpc-v2', cluster(9090, 'v2')],
    [9090, { 'x-canary': 'always' }, 'grpc-default', cluster(9090, 'v1')],
  ];
  for (const [port, headers, name, target] of table) {
    assert.ok(rc(port), `no RouteConfiguration "${port}" in ${set.routes.map((r) => r.name).join(', ')}`);
    const r = selectRoute(rc(port), { authority: `${API}:${port}`, path: '/', headers });
    assert.equal([r?.name, targetOf(r)], [name, target], `${port} ${JSON.stringify(headers)}`);
  }
});

test('GIVEN a VirtualService whose only routes match port 8080 WHEN translated for a sidecar THEN port 9090 keeps the service\'s default route (istiod builds no virtual host from the VirtualService there), not a 404', async () => {
  const app = new App();
  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  const api = new MeshService(chart, 'api', { name: 'api', ports: [{ port: 8080, protocol: 'http' }, { port: 9090, protocol: 'grpc' }], versions: ['v1', 'v2'].map((name) => ({ name, image: `api:${name}` })) });
  new CanaryRelease(chart, 'http', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 10, port: 8080 });
  const graph = await graphOfYaml(app.charts.flatMap((c) => c.toJson()).map((x) => stringify(x)).join('---\n'));
  const set = translateProxy(buildProxyView(graph, describeProxy({ name: 'client', namespace: 'shop' })), []);
  const pick = (port: number) => {
    const r = selectRoute(set.routes.find((c) => c.name === String(port))!, { authority: `${API}:${port}`, path: '/', headers: {} });
    return [r?.name, targetOf(r)];
  };
  assert.equal(pick(8080), ['http-split', `${cluster(8080, 'v1')}=90,${cluster(8080, 'v2')}=10`]);
  assert.equal(pick(9090), ['default', `outbound|9090||${API}`]);
});

test.run();
