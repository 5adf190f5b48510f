/**
 * Sidecar egress exclusions (Istio 1.31, istio/istio#60581): `hosts: ["*\/*", "~legacy/*", "~/api.example.com"]`
 * imports everything except the hosts an entry with a `~` before its namespace covers (pilot/pkg/model/sidecar.go
 * `convertIstioListenerToWrapper`, `selectServices`; VirtualServices in `SelectVirtualServices`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../src/mesh/view/index.js';
import { graphOf } from './_graph.js';
import { route, sidecar, svc, vs } from './view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'web', labels: { app: 'client' } });
const se = (name: string, namespace: string, host: string) => ({
  apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace },
  spec: { hosts: [host], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] },
});

const mesh = (hosts: string[]) => graphOf([
  svc('reviews', 'prod'), svc('old', 'legacy'), svc('local', 'web'),
  se('api', 'ext', 'api.example.com'), se('www', 'ext', 'www.example.com'),
  sidecar('default', 'web', { egress: [{ hosts }] }),
]);

test('GIVEN a Sidecar importing */* but excluding a namespace and a host WHEN its proxy is viewed THEN those services are not visible and nothing is reported', () => {
  const v = buildProxyView(mesh(['*/*', '~legacy/*', '~/api.example.com']), client);
  assert.equal(v.services.map((s) => s.host), ['local.web.svc.cluster.local', 'reviews.prod.svc.cluster.local', 'www.example.com']);
  assert.equal(v.problems, []);
  assert.not.ok(v.clusters.some((c) => c.host === 'api.example.com' || c.host.endsWith('.legacy.svc.cluster.local')), 'no cluster for an excluded host');
});

test('GIVEN only "~/*" WHEN viewed THEN the proxy imports nothing (the old "no namespace" form still trims everything)', () => {
  const v = buildProxyView(mesh(['~/*']), client);
  assert.equal([v.services, v.problems], [[], []]);
});

test('GIVEN "~./*" next to "*/*" WHEN viewed THEN only the Sidecar\'s own namespace is excluded', () => {
  const v = buildProxyView(mesh(['*/*', '~./*']), client);
  assert.equal(v.services.map((s) => s.host), ['api.example.com', 'old.legacy.svc.cluster.local', 'reviews.prod.svc.cluster.local', 'www.example.com']);
});

test('GIVEN a VirtualService in an excluded namespace WHEN viewed THEN the proxy does not apply it (SelectVirtualServices skips an excluded host)', () => {
  const objects = (hosts: string[]) => graphOf([
    svc('reviews', 'prod'), svc('ratings', 'prod'),
    vs('steal', 'legacy', { hosts: ['reviews.prod.svc.cluster.local'], http: [{ route: [route('ratings.prod.svc.cluster.local')] }] }),
    sidecar('default', 'web', { egress: [{ hosts }] }),
  ]);
  const routesOf = (hosts: string[]) => buildProxyView(objects(hosts), client).routes.find((r) => r.host === 'reviews.prod.svc.cluster.local')!;
  assert.equal(routesOf(['*/*']).virtualServices.map((o) => `${o.ref.namespace}/${o.ref.name}`), ['legacy/steal'], 'imported without the exclusion (else this proves nothing)');
  const excluded = routesOf(['*/*', '~legacy/*']);
  assert.equal(excluded.virtualServices, []);
  assert.equal(excluded.http[0]!.destinations.map((d) => d.host), ['reviews.prod.svc.cluster.local'], 'the default route');
});

test('GIVEN a malformed exclusion WHEN viewed THEN it is a view problem at its path that teaches, and it excludes nothing', () => {
  const v = buildProxyView(mesh(['*/*', '~Legacy_NS/*']), client);
  assert.equal(v.problems.map((p) => [p.code, p.origin.path]), [['view/egress-host', ['spec', 'egress', 0, 'hosts', 1]]]);
  assert.match(v.problems[0]!.message, /"Legacy_NS" is not "\*", "\.", or a namespace name \(after the "~" that excludes\)\. Fix: /);
  assert.ok(v.services.some((s) => s.host === 'old.legacy.svc.cluster.local'));
});

test.run();
