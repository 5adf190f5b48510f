/**
 * Several Services / ServiceEntries with one host: every translator (clusters, load assignments,
 * virtual-host domains; cached and uncached) uses the one service istiod's SidecarScope keeps for the
 * proxy's namespace (`mesh/service-precedence.ts`), so its ports decide the cluster's protocol
 * options, its selector the endpoints and its addresses the domains.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import type { ClusterLoadAssignment } from '../../../src/xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { translateProxy, type WorkloadInstance } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';

type Obj = Record<string, unknown>;
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const se = (name: string, namespace: string, created: string, spec: Obj): Obj => ({
  apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace, creationTimestamp: created }, spec,
});
const endpointsOf = (a: ClusterLoadAssignment | undefined) => (a?.endpoints ?? []).flatMap((l) => l.lbEndpoints.map((e) => {
  const ep = e.hostIdentifier.case === 'endpoint' ? e.hostIdentifier.value.address?.address : undefined;
  return ep?.case === 'socketAddress' ? `${ep.value.address}:${ep.value.portSpecifier.case === 'portValue' ? ep.value.portSpecifier.value : '?'}` : '?';
}));

/** For `cluster` and `host:port`: whether the cluster speaks HTTP/2 upstream, its EDS endpoints, the virtual host's domains; both translation paths must agree. */
function outputOf(objects: Obj[], namespace: string, cluster: string, vhost: string, workloads: WorkloadInstance[] = []) {
  const view = buildProxyView(graphOf(objects), describeProxy({ name: 'client', namespace }));
  const sides = [true, false].map((cache) => {
    const set = translateProxy(view, workloads, { cache });
    const c = set.clusters.find((x) => x.name === cluster);
    assert.ok(c, `cluster ${cluster} in ${set.clusters.map((x) => x.name).join(', ')}`);
    const domains = set.routes.flatMap((r) => r.virtualHosts).find((v) => v.name === vhost)?.domains ?? [];
    return { h2: HTTP_OPTIONS in c.typedExtensionProtocolOptions, endpoints: endpointsOf(set.endpoints.find((e) => e.clusterName === cluster)), domains };
  });
  assert.equal(sides[0], sides[1], 'cached and uncached translations agree');
  return sides[0]!;
}

const REVIEWS = 'reviews.shop.svc.cluster.local';

test('GIVEN a Kubernetes Service and an older ServiceEntry in another namespace claiming its host WHEN a client is translated THEN the Service\'s port protocol, pods and cluster IP are used (istiod: no "domain squatting")', () => {
  const objects = [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { clusterIP: '10.96.0.10', selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] } },
    se('squat', 'ext', '2020-01-01T00:00:00Z', { hosts: [REVIEWS], addresses: ['240.0.0.5'], resolution: 'NONE', ports: [{ number: 9080, name: 'grpc', protocol: 'GRPC' }] }),
  ];
  const pods: WorkloadInstance[] = [{ name: 'reviews-1', namespace: 'shop', address: '10.0.0.1', labels: { app: 'reviews' }, ports: {} }];
  const out = outputOf(objects, 'front', `outbound|9080||${REVIEWS}`, `${REVIEWS}:9080`, pods);
  assert.equal([out.h2, out.endpoints], [false, ['10.0.0.1:9080']]);
  assert.ok(out.domains.includes('10.96.0.10') && !out.domains.includes('240.0.0.5'), out.domains.join(' '));
});

test('GIVEN a Kubernetes Service and an older DNS ServiceEntry in another namespace with an extra port claiming its host WHEN a client\'s view is built THEN it holds one service for the host, no cluster for the squatter\'s extra port, and the shared port\'s cluster is the Service\'s (EDS, not STRICT_DNS)', () => {
  const objects = [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] } },
    se('squat', 'ext', '2020-01-01T00:00:00Z', { hosts: [REVIEWS], resolution: 'DNS', ports: [{ number: 9080, name: 'http', protocol: 'HTTP' }, { number: 7070, name: 'tcp', protocol: 'TCP' }] }),
  ];
  const view = buildProxyView(graphOf(objects), describeProxy({ name: 'client', namespace: 'front' }));
  assert.equal(view.services.filter((x) => x.host === REVIEWS).map((x) => x.kind), ['Service']);
  const clusters = view.clusters.filter((c) => c.host === REVIEWS);
  assert.equal(clusters.map((c) => [c.name, c.discovery]), [[`outbound|9080||${REVIEWS}`, 'EDS']]);
  assert.equal(view.routes.filter((r) => r.host === REVIEWS).map((r) => r.port), [9080], 'one route view per port of the host');
});

test('GIVEN two ServiceEntries of one host in the client\'s namespace with different ports WHEN its view is built THEN istiod merges the later one\'s port into the first (one service, clusters for both ports)', () => {
  const objects = [
    se('first', 'front', '2020-01-01T00:00:00Z', { hosts: [PARTNER], resolution: 'DNS', ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }] }),
    se('second', 'front', '2021-01-01T00:00:00Z', { hosts: [PARTNER], resolution: 'DNS', ports: [{ number: 9090, name: 'http-b', protocol: 'HTTP' }] }),
  ];
  const view = buildProxyView(graphOf(objects), describeProxy({ name: 'client', namespace: 'front' }));
  const services = view.services.filter((x) => x.host === PARTNER);
  assert.equal(services.map((x) => x.ports.map((p) => p.number)), [[8080, 9090]]);
  assert.equal(view.clusters.filter((c) => c.host === PARTNER).map((c) => c.name), [`outbound|8080||${PARTNER}`, `outbound|9090||${PARTNER}`]);
});

const PARTNER = 'api.partner.example';
const partners = [
  se('a', 'ext-a', '2026-01-01T00:00:00Z', { hosts: [PARTNER], addresses: ['240.0.0.1'], resolution: 'DNS', ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }] }),
  se('b', 'ext-b', '2025-01-01T00:00:00Z', { hosts: [PARTNER], addresses: ['240.0.0.2'], resolution: 'DNS', ports: [{ number: 8080, name: 'grpc', protocol: 'GRPC' }] }),
];

test('GIVEN ServiceEntries of one host in two namespaces WHEN a client elsewhere is translated THEN the oldest one (ext-b: gRPC, 240.0.0.2) is used', () => {
  const out = outputOf(partners, 'front', `outbound|8080||${PARTNER}`, `${PARTNER}:8080`);
  assert.is(out.h2, true);
  assert.ok(out.domains.includes('240.0.0.2') && !out.domains.includes('240.0.0.1'), out.domains.join(' '));
});

test('GIVEN the same ServiceEntries WHEN a client in ext-a is translated THEN its own namespace\'s (HTTP/1, 240.0.0.1) is used', () => {
  const out = outputOf(partners, 'ext-a', `outbound|8080||${PARTNER}`, `${PARTNER}:8080`);
  assert.is(out.h2, false);
  assert.ok(out.domains.includes('240.0.0.1') && !out.domains.includes('240.0.0.2'), out.domains.join(' '));
});

test('GIVEN two mergeable ServiceEntries of one host in one namespace WHEN translated THEN the older one is used with the other\'s extra port (gRPC on 9090 too)', () => {
  const grpc = (n: number) => ({ number: n, name: `grpc-${n}`, protocol: 'GRPC' });
  const objects = [
    se('more', 'ext', '2026-01-01T00:00:00Z', { hosts: [PARTNER], resolution: 'DNS', ports: [grpc(80), grpc(9090)] }),
    se('first', 'ext', '2025-01-01T00:00:00Z', { hosts: [PARTNER], resolution: 'DNS', ports: [grpc(80)] }),
  ];
  assert.is(outputOf(objects, 'front', `outbound|80||${PARTNER}`, `${PARTNER}:80`).h2, true);
  assert.is(outputOf(objects, 'front', `outbound|9090||${PARTNER}`, `${PARTNER}:9090`).h2, true);
});

test.run();
