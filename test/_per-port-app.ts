/**
 * An app with per-port releases, shared by the check and verify tests: service `api` in `shop`
 * serves HTTP on 8080 and gRPC on 9090; one RouteTable holds a CanaryRelease for 8080 (90/10,
 * pinned by `x-canary: always`) and a HeaderSplit for 9090 (`end-user: jason` to v2, the rest to v1).
 * Not a test file.
 */
import { App, Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { CanaryRelease } from '../src/constructs/canary-release.js';
import { HeaderSplit } from '../src/constructs/header-split.js';
import { MeshService } from '../src/constructs/mesh-service.js';
import { RouteTable } from '../src/constructs/route-table.js';

/** The app, its manifests as objects, and as one YAML stream. */
export function perPortApp(): { app: App; objects: Record<string, any>[]; yaml: (objects?: Record<string, any>[]) => string } {
  const app = new App();
  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  const api = new MeshService(chart, 'api', {
    name: 'api',
    ports: [{ port: 8080, protocol: 'http' }, { port: 9090, protocol: 'grpc' }],
    versions: ['v1', 'v2'].map((name) => ({ name, image: `api:${name}` })),
  });
  const table = new RouteTable(chart, 'api-routes', { hosts: [api] });
  new CanaryRelease(chart, 'http', { service: api, stable: 'v1', canary: 'v2', canaryWeight: 10, port: 8080, routeTable: table, pinCanary: { header: 'x-canary', value: 'always' } });
  new HeaderSplit(chart, 'grpc', { service: api, port: 9090, routeTable: table, defaultSubset: 'v1', rules: [{ match: { headers: { 'end-user': 'jason' } }, subset: 'v2' }] });
  const objects = app.charts.flatMap((c) => c.toJson()) as Record<string, any>[];
  return { app, objects, yaml: (o = objects) => o.map((x) => stringify(x)).join('---\n') };
}
