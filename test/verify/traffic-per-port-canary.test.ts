/**
 * Per-port canaries proven over real sockets: one service serving HTTP on 8080 and 9090, a
 * CanaryRelease for each port in one RouteTable (8080 90/10, 9090 50/50). The generated split
 * promises send to their port (`match.port` becomes the request's port) and hold through the
 * embedded runtime; with the port matches swapped, or removed as before per-port routes, the
 * requests of a port take the other port's split and the promises break.
 */
import { App, Chart } from 'cdk8s';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { CanaryRelease } from '../../src/constructs/canary-release.js';
import { MeshNamespace } from '../../src/constructs/mesh-namespace.js';
import { MeshService } from '../../src/constructs/mesh-service.js';
import { RouteTable } from '../../src/constructs/route-table.js';
import { collectExpectations } from '../../src/verify/expectations/collect.js';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { createRuntime } from '../../src/verify/runtime/index.js';
import { graphOfYaml } from '../checks/rules/_harness.js';
import { PROOF_OPTIONS } from './_proof.js';

const IDS = ['shop/web#web-split.split', 'shop/admin#admin-split.split'];

/** The app's manifests and its two split promises. */
function perPortCanaries(): { objects: Record<string, any>[]; promises: Expectation[] } {
  const app = new App();
  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  new MeshNamespace(chart, 'ns', { name: 'shop', defaultDeny: false });
  const api = new MeshService(chart, 'api', {
    name: 'api',
    ports: [{ port: 8080, protocol: 'http' }, { port: 9090, protocol: 'http', name: 'admin' }],
    versions: ['v1', 'v2'].map((name) => ({ name, image: `api:${name}` })),
  });
  const table = new RouteTable(chart, 'api-routes', { hosts: [api] });
  new CanaryRelease(chart, 'web', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 10, port: 8080, routeTable: table });
  new CanaryRelease(chart, 'admin', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 50, port: 9090, routeTable: table });
  const promises = IDS.map((id) => collectExpectations(app).find((e) => e.id === id)!);
  return { objects: app.charts.flatMap((c) => c.toJson()) as Record<string, any>[], promises };
}

/** The verdicts of the two promises over the manifests, the VirtualService's http routes edited by `edit` first. */
async function prove(edit: (http: Record<string, any>[]) => void = () => {}) {
  const { objects, promises } = perPortCanaries();
  const copy = structuredClone(objects);
  edit(copy.find((o) => o.kind === 'VirtualService')!.spec.http);
  const graph = await graphOfYaml(copy.map((o) => stringify(o)).join('---\n'));
  const { verdicts } = await createRuntime().run(graph, promises, () => {}, PROOF_OPTIONS);
  return IDS.map((id) => verdicts.get(id)!);
}

test('GIVEN CanaryReleases for port 8080 (90/10) and 9090 (50/50) of one service WHEN their promises are proven with traffic THEN each split holds on its own port', async () => {
  const { promises } = perPortCanaries();
  assert.equal(promises.map((p) => p.request?.port), [8080, 9090]);
  const [web, admin] = await prove();
  assert.is(web!.status, 'held', web!.detail);
  assert.match(web!.detail, /^v1: \d+\.\d % of \d+ \(expected 90\.0 %/);
  assert.is(admin!.status, 'held', admin!.detail);
  assert.match(admin!.detail, /^v1: \d+\.\d % of \d+ \(expected 50\.0 %/);
});

test('GIVEN the two splits\' port matches swapped WHEN proven THEN requests to each port take the other split and both promises break', async () => {
  const [web, admin] = await prove((http) => { [http[0]!.match, http[1]!.match] = [http[1]!.match, http[0]!.match]; });
  assert.is(web!.status, 'broken', web!.detail);
  assert.is(admin!.status, 'broken', admin!.detail);
});

test('GIVEN the splits without port matches (the rendering before per-port routes) WHEN proven THEN port 9090 takes the 8080 split and its promise breaks', async () => {
  const [web, admin] = await prove((http) => { for (const r of http) delete r.match; });
  assert.is(web!.status, 'held', web!.detail);
  assert.is(admin!.status, 'broken', admin!.detail);
  assert.match(admin!.detail, /^v1: \d+\.\d % of \d+ \(expected 50\.0 %/);
});

test.run();
