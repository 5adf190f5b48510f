/**
 * The Gateway API rules judge the listeners of an accepted ListenerSet like a Gateway's (certificateRefs, HTTPS without
 * tls, route attachment by listener, kind, namespace and hostname), a ReferenceGrant for a ListenerSet's certificate
 * must name kind ListenerSet, and a route or object still written as the experimental XListenerSet is told where it went.
 * The xDS side drops a ListenerSet listener whose certificateRefs do not resolve, as istiod does (`Valid: programmed`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import certificateRefNotFound from '../../../src/checks/rules/gatewayapi/certificate-ref-not-found.js';
import listenerWithoutTls from '../../../src/checks/rules/gatewayapi/listener-without-tls.js';
import routeReferenceNotFound from '../../../src/checks/rules/gatewayapi/route-reference-not-found.js';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { validateCrdObject } from '../../../src/validate/index.js';
import { findingsOf, graphOfYaml } from './_harness.js';

const BASE = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: shared, namespace: infra}
spec:
  gatewayClassName: istio
  allowedListeners: {namespaces: {from: All}}
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: v1
kind: Secret
metadata: {name: a-cert, namespace: certs}
type: kubernetes.io/tls
data: {tls.crt: "", tls.key: ""}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: team-a}
spec:
  selector: {app: web}
  ports: [{name: http, port: 8080}]
`;

const listenerSet = (listeners: string) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: team-a, namespace: team-a}
spec:
  parentRef: {name: shared, namespace: infra}
  listeners: ${listeners}
`;

const grant = (fromKind: string) => `---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: certs, namespace: certs}
spec:
  from: [{group: gateway.networking.k8s.io, kind: ${fromKind}, namespace: team-a}]
  to: [{group: "", kind: Secret}]
`;

const HTTPS_CROSS_NS = '[{name: web, port: 443, protocol: HTTPS, hostname: a.example.com, tls: {certificateRefs: [{name: a-cert, namespace: certs}]}}]';
const router = describeProxy({ type: 'router', name: 'shared-istio', namespace: 'infra', labels: { 'gateway.networking.k8s.io/gateway-name': 'shared' } });

for (const [given, fromKind, refused] of [['no ReferenceGrant', null, true], ['a ReferenceGrant from kind Gateway', 'Gateway', true], ['a ReferenceGrant from kind ListenerSet', 'ListenerSet', false]] as const) {
  test(`GIVEN a ListenerSet HTTPS listener whose certificate is in another namespace, with ${given} WHEN checked and viewed THEN ${refused ? 'RefNotPermitted on the ListenerSet, and no server' : 'no finding, and a server'}`, async () => {
    const yaml = BASE + listenerSet(HTTPS_CROSS_NS) + (fromKind ? grant(fromKind) : '');
    const found = await findingsOf(yaml, [certificateRefNotFound]);
    assert.equal(found.map((f) => [f.resource?.kind, f.message.includes('is not accessible to a ListenerSet in namespace team-a (RefNotPermitted)')]), refused ? [['ListenerSet', true]] : []);
    const ports = buildProxyView(await graphOfYaml(yaml), router).gatewayServers.map((s) => s.port);
    assert.equal(ports, refused ? [80] : [80, 443], 'istiod drops a ListenerSet listener whose TLS does not resolve');
  });
}

test('GIVEN a ListenerSet HTTPS listener without tls WHEN checked THEN listener-without-tls reports it on the ListenerSet', async () => {
  const found = await findingsOf(BASE + listenerSet('[{name: web, port: 443, protocol: HTTPS}]'), [listenerWithoutTls]);
  assert.equal(found.map((f) => f.resource?.kind), ['ListenerSet']);
  assert.ok(found[0]!.message.includes('has no tls') && !found[0]!.message.includes('status shows no error'), found[0]!.message);
});

const route = (parentRef: string, host: string, namespace = 'team-a') => `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: ${namespace}}
spec:
  parentRefs: [${parentRef}]
  hostnames: [${host}]
  rules: [{backendRefs: [{name: web, namespace: team-a, port: 8080}]}]
`;
const HTTP_SET = listenerSet('[{name: web, port: 8080, protocol: HTTP, hostname: a.example.com}]');

for (const [given, yaml, says] of [
  ['a hostname the listener does not take', route('{kind: ListenerSet, name: team-a}', 'other.example.com'), 'NoMatchingListenerHostname'],
  ['another namespace (allowedRoutes Same)', route('{kind: ListenerSet, name: team-a, namespace: team-a}', 'a.example.com', 'team-b'), 'does not admit routes from namespace team-b'],
  ['a sectionName the ListenerSet lacks', route('{kind: ListenerSet, name: team-a, sectionName: api}', 'a.example.com'), 'listener "api" not found: the ListenerSet has listeners "web" (port 8080)'],
  ['the old XListenerSet parent kind', route('{group: gateway.networking.x-k8s.io, kind: XListenerSet, name: team-a}', 'a.example.com'), 'became the standard ListenerSet'],
  ['a matching listener', route('{kind: ListenerSet, name: team-a, sectionName: web}', 'a.example.com'), null],
] as const) {
  test(`GIVEN a route on a ListenerSet with ${given} WHEN checked THEN ${says ? `it says "${says}"` : 'no finding'}`, async () => {
    const found = (await findingsOf(BASE + HTTP_SET + yaml, [routeReferenceNotFound])).filter((f) => f.resource?.kind === 'HTTPRoute' && f.message.includes('parentRef'));
    if (says === null) { assert.equal(found.map((f) => f.message), []); return; }
    assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
    assert.ok(found[0]!.message.includes(says), found[0]!.message);
  });
}

test('GIVEN an object still written as the experimental XListenerSet WHEN validated THEN the message says it became gateway.networking.k8s.io/v1 ListenerSet', () => {
  const [v] = validateCrdObject({ apiVersion: 'gateway.networking.x-k8s.io/v1alpha1', kind: 'XListenerSet', metadata: { name: 'a', namespace: 'b' }, spec: {} });
  assert.ok(v && v.message.includes('no longer serves XListenerSet') && v.message.includes('apiVersion: gateway.networking.k8s.io/v1, kind: ListenerSet'), v?.message);
});

test.run();
