import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseManifests } from '../../src/mesh/parse.js';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import { gatewayApiOf, GATEWAY_API_ROUTE_KINDS } from '../../src/mesh/gateway-api.js';
import { isModelledKind } from '../../src/mesh/kinds.js';

const { files, problems } = await loadInputs(['test/fixtures/input/mesh']);
const graph = MeshGraph.from(files);
const workload = (name: string) => graph.workloads.all.find((w) => w.name === name)!;
const names = (objects: readonly { name: string }[]) => objects.map((o) => o.name);

test('GIVEN the mesh fixture WHEN loaded THEN nothing is unknown, and the Gateway API Gateway is not indexed as an Istio Gateway', () => {
  assert.equal(problems.map((p) => [p.code, p.location.line]), []);
  assert.equal(names(graph.ofKind('Gateway')), ['public', 'local']);
  assert.equal(names(gatewayApiOf(graph).ofKind('Gateway')), ['k8s-gateway']);
  assert.equal(graph.namespaces(), ['default', 'istio-system', 'prod']);
  assert.is(graph.get('Service', 'prod', 'ratings')?.file, 'test/fixtures/input/mesh/mesh.yaml');
});

test('GIVEN Gateway API kinds the rules read WHEN asked THEN each is modelled in any version, and only in its own group', () => {
  for (const kind of ['Gateway', 'ReferenceGrant', 'BackendTLSPolicy', ...GATEWAY_API_ROUTE_KINDS]) {
    for (const v of ['v1', 'v1beta1', 'v1alpha2']) assert.ok(isModelledKind(kind, `gateway.networking.k8s.io/${v}`), `${kind} ${v}`);
  }
  assert.not.ok(isModelledKind('BackendTLSPolicy', 'networking.istio.io/v1'));
  assert.not.ok(isModelledKind('XBackendTrafficPolicy', 'gateway.networking.x-k8s.io/v1alpha1'));
  assert.not.ok(isModelledKind('HTTPRoute', 'networking.istio.io/v1'));
  assert.ok(isModelledKind('Gateway', 'networking.istio.io/v1'));
});

test('GIVEN hosts WHEN looked up in the service registry THEN short, FQDN, wildcard SE and exportTo apply', () => {
  const table: [string, string, string[]][] = [
    ['reviews', 'default', ['reviews.default.svc.cluster.local']],
    ['reviews.default.svc.cluster.local', 'prod', ['reviews.default.svc.cluster.local']],
    ['reviews', 'prod', []],
    ['reviews.default', 'default', []],
    ['api.example.com', 'default', ['*.example.com']],
    ['a.b.example.com', 'prod', ['*.example.com']],
    ['ratings.prod.svc.cluster.local', 'prod', ['ratings.prod.svc.cluster.local']],
    ['ratings.prod.svc.cluster.local', 'default', []],
  ];
  for (const [host, from, expected] of table) assert.equal(graph.servicesForHost(host, from).map((s) => s.host), expected, `${host} from ${from}`);
  const reviews = graph.servicesForHost('reviews', 'default')[0]!;
  assert.equal(reviews.ports.map((p) => [p.number, p.name, p.protocol]), [[9080, 'http', 'HTTP']]);
});

test('GIVEN DestinationRules in client, service and root namespaces WHEN looked up THEN Istio precedence applies', () => {
  assert.equal(pick(graph.destinationRulesFor('reviews', 'default')), ['client-namespace', ['reviews']]);
  assert.equal(pick(graph.destinationRulesFor('reviews.default.svc.cluster.local', 'prod')), ['client-namespace', ['reviews-prod']]);
  // A client in the root namespace takes only the root's private rules as its own (istiod rootNamespaceLocal):
  // reviews-root is exported everywhere, so the service namespace's rule comes first.
  assert.equal(pick(graph.destinationRulesFor('reviews.default.svc.cluster.local', 'istio-system')), ['service-namespace', ['reviews']]);
  assert.equal(pick(graph.destinationRulesFor('reviews.default.svc.cluster.local', 'other')), ['service-namespace', ['reviews']]);
  assert.is(graph.destinationRulesFor('ratings.prod.svc.cluster.local', 'prod'), null);
});

function pick(m: ReturnType<MeshGraph['destinationRulesFor']>): unknown {
  return m && [m.scope, names(m.rules)];
}

test('GIVEN subsets WHEN resolved THEN each maps to the workloads its labels select', () => {
  const subsets = graph.subsetsOf('reviews', 'default');
  assert.equal(subsets.map((s) => [s.name, names(s.workloads)]), [['v1', ['reviews-v1']], ['v2', ['reviews-v2']], ['v3', []]]);
  assert.equal(subsets[2]!.destinationRule.locate(subsets[2]!.path).line, 105);
});

test('GIVEN VirtualService gateway references WHEN resolved THEN ns/name, short and mesh forms work', () => {
  const web = graph.get('VirtualService', 'default', 'web')!;
  assert.equal(graph.gatewaysOf(web).map((g) => [g.key, g.gateway?.name ?? null]), [['istio-system/public', 'public'], ['default/local', 'local'], ['mesh', null]]);
  assert.equal(names(graph.virtualServicesFor('www.bookinfo.com', 'istio-system/public', 'default')), ['web']);
  assert.equal(names(graph.virtualServicesFor('reviews', 'mesh', 'default')), ['reviews']);
  assert.equal(names(graph.virtualServicesFor('reviews.default.svc.cluster.local', 'istio-system/public', 'default')), []);
  const publicGw = graph.get('Gateway', 'istio-system', 'public')!;
  assert.equal(graph.gatewayServersForHost(publicGw, 'www.bookinfo.com', 'default').map((m) => m.host), ['default/*.bookinfo.com']);
  assert.equal(graph.gatewayServersForHost(publicGw, 'www.bookinfo.com', 'prod'), []);
  assert.equal(graph.gatewayServersForHost(publicGw, 'admin.bookinfo.com', 'istio-system').map((m) => m.host), ['./admin.bookinfo.com']);
});

test('GIVEN workloads WHEN selected THEN selectors, services, sidecars and policies resolve', () => {
  assert.equal(names(graph.workloadsSelectedBy('default', { app: 'reviews' })), ['reviews-v1', 'reviews-v2']);
  assert.equal(names(graph.workloadsSelectedBy(null, { istio: 'ingressgateway' })), ['ingressgateway']);
  const v1 = workload('reviews-v1');
  const v2 = workload('reviews-v2');
  assert.is(v1.serviceAccount, 'bookinfo-reviews');
  assert.equal(v1.containerPorts.map((p) => p.containerPort), [9080]);
  assert.equal(graph.servicesSelecting(v1).map((s) => s.host), ['reviews.default.svc.cluster.local']);
  assert.equal(names(graph.sidecarsFor(v1)), ['reviews-v1']);
  assert.equal(names(graph.sidecarsFor(v2)), ['default']);
  assert.is(graph.peerAuthenticationsFor(v1).effective?.name, 'default');
  assert.is(graph.peerAuthenticationsFor(v2).effective?.name, 'reviews-v2');
  assert.equal(names(graph.authorizationPoliciesFor(v1)), ['deny-all']);
  assert.equal(names(graph.authorizationPoliciesFor(v2)), ['deny-all', 'reviews-v2-only']);
});

test('GIVEN two objects with the same kind/namespace/name WHEN indexed THEN the later one is a duplicate', () => {
  const obj = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' } };
  const loc = { file: 'f', line: 1, column: 1 };
  const m = (i: number) => ({ body: obj, file: 'f', docIndex: i, itemIndex: null, location: loc, locate: () => loc, source: null });
  const g = MeshGraph.from([m(0), m(1)]);
  assert.is(g.ofKind('Service').length, 1);
  assert.equal(g.duplicates.map((d) => d.docIndex), [1]);
});

test('GIVEN a mesh-wide STRICT policy and a workload policy that leaves mtls UNSET but sets a port to PERMISSIVE WHEN asking the mode THEN the workload inherits STRICT and the port is PERMISSIVE', () => {
  const pa = (name: string, namespace: string, spec: unknown) => `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec: ${JSON.stringify(spec)}\n`;
  const text = [
    pa('default', 'istio-system', { mtls: { mode: 'STRICT' } }),
    pa('legacy-port', 'shop', { selector: { matchLabels: { app: 'cart' } }, mtls: { mode: 'UNSET' }, portLevelMtls: { '9090': { mode: 'PERMISSIVE' } } }),
    'apiVersion: v1\nkind: Pod\nmetadata: {name: cart, namespace: shop, labels: {app: cart}}\nspec: {containers: [{name: c, image: i}]}\n',
  ].join('---\n');
  const g = MeshGraph.from([parseManifests(text, 'mtls.yaml', '/mtls.yaml').file]);
  const cart = g.workloads.all.find((w) => w.name === 'cart')!;
  assert.is(g.peerAuthenticationsFor(cart).effective?.name, 'default');
  assert.equal([g.mtlsModeFor(cart).mode, g.mtlsModeFor(cart).policy?.name], ['STRICT', 'default']);
  assert.equal([g.mtlsModeFor(cart, 9090).mode, g.mtlsModeFor(cart, 9090).policy?.name], ['PERMISSIVE', 'legacy-port']);
});

test('GIVEN two PeerAuthentications at one level WHEN composed THEN the oldest decides (creation time, then name), not the first listed', () => {
  const text = [
    'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: ledger, namespace: ledger}',
    'spec: {selector: {matchLabels: {app: ledger}}, template: {metadata: {labels: {app: ledger, tier: db}}, spec: {containers: [{name: a, image: a}]}}}',
    '---', 'apiVersion: security.istio.io/v1', 'kind: PeerAuthentication',
    'metadata: {name: newer-permissive, namespace: ledger, creationTimestamp: "2026-01-01T00:00:00Z"}', 'spec: {selector: {matchLabels: {app: ledger}}, mtls: {mode: PERMISSIVE}}',
    '---', 'apiVersion: security.istio.io/v1', 'kind: PeerAuthentication',
    'metadata: {name: older-strict, namespace: ledger, creationTimestamp: "2025-01-01T00:00:00Z"}', 'spec: {selector: {matchLabels: {tier: db}}, mtls: {mode: STRICT}}',
    '---', 'apiVersion: security.istio.io/v1', 'kind: PeerAuthentication', 'metadata: {name: z-disable, namespace: ledger}', 'spec: {mtls: {mode: DISABLE}}',
    '---', 'apiVersion: security.istio.io/v1', 'kind: PeerAuthentication', 'metadata: {name: a-strict, namespace: ledger}', 'spec: {mtls: {mode: STRICT}}',
  ].join('\n');
  const g = MeshGraph.from([parseManifests(text, 'pa.yaml', '/pa.yaml').file]);
  const ledger = g.workloads.all.find((w) => w.name === 'ledger')!;
  assert.equal([g.mtlsModeFor(ledger).mode, g.mtlsModeFor(ledger).policy?.name], ['STRICT', 'older-strict']);
  assert.equal(names(g.peerAuthenticationsFor(ledger).namespace), ['a-strict', 'z-disable']);
  assert.is(g.namespaceMtls('ledger'), 'STRICT');
});

test.run();
