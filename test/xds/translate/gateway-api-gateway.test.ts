/**
 * The gateway half of Gateway API in the proxy config: the proxy istiod deploys for a Gateway of class istio
 * (`<name>-istio`) serves its listeners as Istio servers and the HTTPRoutes attached to them as routes, as
 * istiod's gateway_collection.go / route_collections.go convert them (sectionName and port, hostnames
 * intersected with the listener's, allowedRoutes namespaces, ReferenceGrant for backends in another namespace,
 * TLS Terminate with certificateRefs), table-tested as "this request reaches this cluster".
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { checkSnapshot } from '../../../src/xds/snapshot-check.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import type { RouteConfiguration } from '../../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import type { GraphOptions } from '../../../src/mesh/graph.js';
import { meshContextOrThrow } from '../../../src/mesh/mesh-config.js';
import { graphOf } from '../../mesh/_graph.js';
import { deploy, svc } from '../../mesh/view-fixtures.js';
import { assertRoundTrip } from './_roundtrip.js';
import { downstreamTls, selectChain } from './_chains.js';
import { selectRoute, targetOf } from './_select.js';

const GW = 'gateway.networking.k8s.io/v1';
const gateway = (name: string, listeners: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({
  apiVersion: GW, kind: 'Gateway', metadata: { name, namespace: 'edge' }, spec: { gatewayClassName: 'istio', listeners, ...extra },
});
const httpRoute = (name: string, namespace: string, spec: Record<string, unknown>, created = '2026-01-01T00:00:00Z') => ({
  apiVersion: GW, kind: 'HTTPRoute', metadata: { name, namespace, creationTimestamp: created }, spec,
});
const backend = (name: string, extra: Record<string, unknown> = {}) => ({ name, port: 9080, ...extra });
const services = [svc('web-v1', 'shop'), svc('web-v2', 'shop'), svc('edge-web', 'edge')];
const cluster = (name: string, ns = 'shop') => `outbound|9080||${name}.${ns}.svc.cluster.local`;

/** The router's translated config (the only router in the graph), checked for consistency. */
function translate(objects: Record<string, unknown>[], opts?: GraphOptions) {
  const g = graphOf([...services, ...objects], opts);
  const router = proxiesOf(g).find((p) => p.type === 'router');
  assert.ok(router, 'the Gateway has a proxy');
  const view = buildProxyView(g, router);
  const set = translateProxy(view, []);
  assert.equal(checkSnapshot(createSnapshot(set)), []);
  assertRoundTrip(set);
  return { view, set, rds: (name: string) => set.routes.find((r) => r.name === name) as RouteConfiguration };
}
const reach = (rc: RouteConfiguration | undefined, authority: string, path = '/', headers: Record<string, string> = {}) => (rc ? targetOf(selectRoute(rc, { authority, path, headers })) : 'no RDS');

const httpListener = { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } };

test('GIVEN a Gateway with an HTTP listener and an HTTPRoute (header match, 90/10 split) WHEN the proxy public-istio is translated THEN RDS http.80 sends x-canary to v2 and splits the rest 90/10; each route names its HTTPRoute rule', () => {
  const { set, rds, view } = translate([
    gateway('public', [httpListener]),
    httpRoute('shop', 'shop', {
      parentRefs: [{ name: 'public', namespace: 'edge' }], hostnames: ['shop.example.com'],
      rules: [
        { matches: [{ headers: [{ name: 'X-Canary', value: 'true' }] }], backendRefs: [backend('web-v2')] },
        { backendRefs: [backend('web-v1', { weight: 90 }), backend('web-v2', { weight: 10 })], timeouts: { request: '5s' } },
      ],
    }),
  ]);
  assert.equal([view.proxy.name, view.proxy.namespace], ['public-istio', 'edge']);
  assert.equal(set.listeners.map((l) => l.name), ['0.0.0.0_80']);
  const rc = rds('http.80');
  assert.equal(rc.virtualHosts.map((v) => [v.name, v.domains]), [['shop.example.com:80', ['shop.example.com']]]);
  assert.is(reach(rc, 'shop.example.com', '/', { 'x-canary': 'true' }), cluster('web-v2'));
  assert.is(reach(rc, 'shop.example.com', '/cart'), `${cluster('web-v1')}=90,${cluster('web-v2')}=10`);
  assert.is(reach(rc, 'other.example.com'), 'NR');
  const routes = rc.virtualHosts[0]!.routes;
  assert.equal(routes.map((r) => r.name), ['shop.shop.0', 'shop.shop.1']);
  const origin = routes[1]!.metadata?.filterMetadata.meshproof?.origin as Record<string, unknown>;
  assert.equal([origin.kind, origin.namespace, origin.name, origin.path], ['HTTPRoute', 'shop', 'shop', ['spec', 'rules', 1]]);
  const timeout = routes[1]!.action.case === 'route' ? routes[1]!.action.value.timeout?.seconds : undefined;
  assert.is(timeout, 5n);
});

test('GIVEN parentRefs by sectionName and port, and route hostnames WHEN attached THEN only the listeners they name and whose hostname intersects take the route', () => {
  const { rds } = translate([
    gateway('public', [
      { name: 'a', port: 80, protocol: 'HTTP', hostname: 'a.example.com' },
      { name: 'b', port: 80, protocol: 'HTTP', hostname: 'b.example.com' },
      { name: 'other', port: 8080, protocol: 'HTTP' },
    ]),
    httpRoute('by-section', 'edge', { parentRefs: [{ name: 'public', sectionName: 'a' }], rules: [{ backendRefs: [backend('edge-web')] }] }),
    httpRoute('by-port', 'edge', { parentRefs: [{ name: 'public', port: 8080 }], hostnames: ['c.example.com'], rules: [{ backendRefs: [backend('edge-web')] }] }),
    httpRoute('no-host-match', 'edge', { parentRefs: [{ name: 'public', sectionName: 'b' }], hostnames: ['c.example.com'], rules: [{ backendRefs: [backend('edge-web')] }] }),
    httpRoute('wrong-port', 'edge', { parentRefs: [{ name: 'public', sectionName: 'b', port: 8080 }], rules: [{ backendRefs: [backend('edge-web')] }] }),
  ]);
  assert.equal(rds('http.80').virtualHosts.map((v) => v.name), ['a.example.com:80']);
  assert.is(reach(rds('http.80'), 'a.example.com'), cluster('edge-web', 'edge'));
  assert.is(reach(rds('http.80'), 'b.example.com'), 'NR', 'b takes neither a route for c.example.com nor one bound to port 8080');
  assert.equal(rds('http.8080').virtualHosts.map((v) => v.name), ['c.example.com:8080']);
});

test('GIVEN allowedRoutes Same (the default), Selector and All WHEN routes of other namespaces attach THEN only admitted namespaces bind (Selector by the Namespaces\' labels)', () => {
  const ns = (name: string, labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  const route = (name: string, namespace: string, section: string) => httpRoute(name, namespace, { parentRefs: [{ name: 'public', namespace: 'edge', sectionName: section }], hostnames: [`${name}.example.com`], rules: [{ backendRefs: [backend('web-v1', { namespace: 'shop' })] }] });
  const { rds } = translate([
    ns('shop', { team: 'web' }), ns('blog', { team: 'docs' }),
    gateway('public', [
      { name: 'same', port: 80, protocol: 'HTTP' },
      { name: 'selected', port: 81, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'web' } } } } },
    ]),
    route('same-shop', 'shop', 'same'), route('selected-shop', 'shop', 'selected'), route('selected-blog', 'blog', 'selected'),
  ]);
  assert.equal(rds('http.80')?.virtualHosts.map((v) => v.name) ?? [], [], 'Same admits only edge');
  assert.equal(rds('http.81').virtualHosts.map((v) => v.name), ['selected-shop.example.com:81'], 'the selector takes shop (team: web), not blog');
  assert.is(reach(rds('http.81'), 'selected-shop.example.com'), cluster('web-v1'), 'a backend in the route\'s own namespace needs no grant');
});

test('GIVEN backendRefs into another namespace WHEN a ReferenceGrant allows one of them THEN it is routed; the other answers 500 (istiod\'s empty destination); a mirror to it is dropped', () => {
  const grant = { apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant', metadata: { name: 'edge-to-v1', namespace: 'shop' }, spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'edge' }], to: [{ group: '', kind: 'Service', name: 'web-v1' }] } };
  const objects = [
    gateway('public', [httpListener]),
    httpRoute('cross', 'edge', {
      parentRefs: [{ name: 'public' }], hostnames: ['shop.example.com'],
      rules: [
        { matches: [{ path: { type: 'PathPrefix', value: '/v1' } }], backendRefs: [backend('web-v1', { namespace: 'shop' })], filters: [{ type: 'RequestMirror', requestMirror: { backendRef: backend('web-v2', { namespace: 'shop' }) } }] },
        { matches: [{ path: { type: 'PathPrefix', value: '/v2' } }], backendRefs: [backend('web-v2', { namespace: 'shop' })] },
      ],
    }),
  ];
  const granted = translate([...objects, grant]).rds('http.80');
  assert.is(reach(granted, 'shop.example.com', '/v1'), cluster('web-v1'));
  assert.is(reach(granted, 'shop.example.com', '/v2'), 'direct:500');
  const v1 = selectRoute(granted, { authority: 'shop.example.com', path: '/v1' })!;
  assert.equal(v1.action.case === 'route' ? v1.action.value.requestMirrorPolicies.length : -1, 0, 'the mirror to web-v2 has no grant');
  assert.is(reach(translate(objects).rds('http.80'), 'shop.example.com', '/v1'), 'direct:500', 'without the grant web-v1 is refused too');
});

test('GIVEN an HTTPS listener terminating with a Secret, one in another namespace without a grant, and a wildcard listener beside an exact one WHEN translated THEN the chain serves kubernetes-gateway://edge/shop-cert, the ungranted certificate is left out, and the wildcard listener leaves the exact host to the other', () => {
  const { set, rds } = translate([
    gateway('public', [
      { name: 'https', port: 443, protocol: 'HTTPS', hostname: 'shop.example.com', tls: { mode: 'Terminate', certificateRefs: [{ name: 'shop-cert' }] } },
      { name: 'foreign', port: 443, protocol: 'HTTPS', hostname: 'blog.example.com', tls: { certificateRefs: [{ name: 'blog-cert', namespace: 'blog' }] } },
      { name: 'exact', port: 80, protocol: 'HTTP', hostname: 'a.example.com' },
      { name: 'wild', port: 80, protocol: 'HTTP', hostname: '*.example.com' },
    ]),
    httpRoute('shop', 'edge', { parentRefs: [{ name: 'public', sectionName: 'https' }], rules: [{ backendRefs: [backend('edge-web')] }] }),
    httpRoute('wild', 'edge', { parentRefs: [{ name: 'public', sectionName: 'wild' }], hostnames: ['a.example.com', 'b.example.com'], rules: [{ backendRefs: [backend('edge-web')] }] }),
  ]);
  const tls = downstreamTls(selectChain(set.listeners, { ip: '192.0.2.1', port: 443, sni: 'shop.example.com' }))!;
  assert.equal(tls.commonTlsContext?.tlsCertificateSdsSecretConfigs.map((s) => s.name), ['kubernetes-gateway://edge/shop-cert']);
  const foreign = downstreamTls(selectChain(set.listeners, { ip: '192.0.2.1', port: 443, sni: 'blog.example.com' }))!;
  assert.equal(foreign.commonTlsContext?.tlsCertificateSdsSecretConfigs.map((s) => s.name), []);
  const https = rds('https.443.default.public~istio-autogenerated-k8s-gateway~https.edge');
  assert.is(reach(https, 'shop.example.com'), cluster('edge-web', 'edge'));
  assert.equal(rds('http.80').virtualHosts.map((v) => v.name), ['b.example.com:80'], 'a.example.com belongs to the exact listener, which the route does not name');
});

test('GIVEN a Gateway whose address names an existing Service (manual deployment) WHEN its pods are translated THEN they serve its listeners on the Service\'s targetPorts, a listener port the Service lacks binds nothing; no <name>-istio deployment is made', () => {
  const ingress = deploy('ingress', 'edge', { istio: 'ingressgateway' });
  const { view, set, rds } = translate([
    ingress, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ingress', namespace: 'edge' }, spec: { selector: { istio: 'ingressgateway' }, ports: [{ port: 80, name: 'http', targetPort: 8080 }] } },
    gateway('public', [httpListener, { name: 'admin', port: 9000, protocol: 'HTTP' }], { addresses: [{ type: 'Hostname', value: 'ingress' }] }),
    httpRoute('web', 'edge', { parentRefs: [{ name: 'public' }], rules: [{ backendRefs: [backend('edge-web')] }] }),
  ]);
  assert.is(view.proxy.name, 'ingress');
  assert.equal(set.listeners.map((l) => l.name), ['0.0.0.0_8080']);
  assert.is(reach(rds('http.8080'), 'anything.example.com'), cluster('edge-web', 'edge'));
});

test('GIVEN a managed Gateway whose Service the input holds (port 80 → targetPort 8080) WHEN its proxy is translated THEN it listens on 8080, as that Service says', () => {
  const { set } = translate([
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'public-istio', namespace: 'edge' }, spec: { selector: { 'gateway.networking.k8s.io/gateway-name': 'public' }, ports: [{ port: 80, name: 'http', targetPort: 8080 }] } },
    gateway('public', [httpListener]),
    httpRoute('web', 'edge', { parentRefs: [{ name: 'public' }], rules: [{ backendRefs: [backend('edge-web')] }] }),
  ]);
  assert.equal(set.listeners.map((l) => l.name), ['0.0.0.0_8080']);
});

test('GIVEN TLS Passthrough, TCP and unsupported-protocol listeners and no TLSRoute or TCPRoute (gateway-api-l4-routes.test.ts has them) WHEN translated THEN the servers are there without routes, the snapshot stays consistent, and an UDP listener or an HTTPS one without tls gets no server', () => {
  const { view, set } = translate([
    gateway('public', [
      { name: 'pass', port: 8443, protocol: 'TLS', tls: { mode: 'Passthrough' } },
      { name: 'tcp', port: 9000, protocol: 'TCP' },
      { name: 'udp', port: 53, protocol: 'UDP' },
      { name: 'bare', port: 443, protocol: 'HTTPS' },
      httpListener,
    ]),
  ]);
  assert.equal(view.gatewayServers.map((s) => [s.gateway, s.port, s.protocol, s.tls?.mode ?? null, s.routes.length]), [
    ['edge/public~istio-autogenerated-k8s-gateway~pass', 8443, 'TLS', 'PASSTHROUGH', 0],
    ['edge/public~istio-autogenerated-k8s-gateway~tcp', 9000, 'TCP', null, 0],
    ['edge/public~istio-autogenerated-k8s-gateway~http', 80, 'HTTP', null, 0],
  ]);
  assert.equal(set.listeners.map((l) => l.name), ['0.0.0.0_80']);
});

test('GIVEN two HTTPRoutes for one host on one listener, the later created first in the input WHEN merged THEN the older route\'s rules come first among equals, and Exact before PathPrefix whatever the route', () => {
  const rule = (path: Record<string, unknown>, to: string) => ({ matches: [{ path }], backendRefs: [backend(to)] });
  const { rds } = translate([
    gateway('public', [httpListener]),
    httpRoute('newer', 'edge', { parentRefs: [{ name: 'public' }], hostnames: ['h.example.com'], rules: [rule({ type: 'PathPrefix', value: '/a' }, 'edge-web'), rule({ type: 'Exact', value: '/x' }, 'edge-web')] }, '2026-02-01T00:00:00Z'),
    httpRoute('older', 'shop', { parentRefs: [{ name: 'public', namespace: 'edge' }], hostnames: ['h.example.com'], rules: [rule({ type: 'PathPrefix', value: '/a' }, 'web-v1')] }, '2026-01-01T00:00:00Z'),
  ]);
  const vh = rds('http.80').virtualHosts.find((v) => v.name === 'h.example.com:80')!;
  assert.equal(vh.routes.map((r) => r.name), ['edge.newer.1', 'shop.older.0', 'edge.newer.0']);
  assert.is(reach(rds('http.80'), 'h.example.com', '/a'), cluster('web-v1'));
});

test('GIVEN MeshConfig defaultVirtualServiceExportTo ["."] WHEN routes of the Gateway\'s namespace and of another attach THEN the gateway proxy gets only its own namespace\'s (istiod\'s VirtualServices from HTTPRoutes have the default exportTo)', () => {
  const context = meshContextOrThrow({ meshConfig: { text: 'defaultVirtualServiceExportTo: ["."]\n', file: 'm.yaml' } });
  const route = (name: string, namespace: string) => httpRoute(name, namespace, { parentRefs: [{ name: 'public', namespace: 'edge' }], hostnames: [`${name}.example.com`], rules: [{ backendRefs: [backend('edge-web', { namespace: 'edge' })] }] });
  const objects = [gateway('public', [httpListener]), route('own', 'edge'), route('foreign', 'shop')];
  assert.equal(translate(objects, { context }).rds('http.80').virtualHosts.map((v) => v.name), ['own.example.com:80']);
  assert.equal(translate(objects).rds('http.80').virtualHosts.map((v) => v.name), ['foreign.example.com:80', 'own.example.com:80'], 'with the default (*) both');
});

test('GIVEN a Gateway of class istio and a sidecar in another namespace WHEN the sidecar is translated THEN it has an outbound cluster per port of the Service istiod creates with the Gateway (public-istio.edge), with EDS, like any Service', () => {
  const g = graphOf([
    ...services,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } },
    deploy('web-v1', 'shop', { app: 'web-v1' }),
    gateway('public', [httpListener, { name: 'db', port: 5432, protocol: 'TCP' }]),
  ]);
  const sidecar = proxiesOf(g).find((p) => p.type === 'sidecar' && p.name === 'web-v1');
  assert.ok(sidecar, 'web-v1 is a sidecar');
  const set = translateProxy(buildProxyView(g, sidecar), []);
  assert.equal(checkSnapshot(createSnapshot(set)), []);
  const host = 'public-istio.edge.svc.cluster.local';
  assert.equal(set.clusters.map((c) => c.name).filter((n) => n.endsWith(`|${host}`)), [`outbound|15021||${host}`, `outbound|5432||${host}`, `outbound|80||${host}`]);
  assert.ok(set.endpoints.some((e) => e.clusterName === `outbound|80||${host}`), 'EDS names it');
});

test.run();
