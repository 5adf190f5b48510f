/**
 * gatewayapi/route-reference-not-found judges a parentRef as istiod does: a Gateway listener takes the route
 * kinds its protocol supports (gatewaycommon GenerateGatewaySupportedKinds: HTTP/HTTPS take HTTPRoute and
 * GRPCRoute, TCP TCPRoute, TLS TLSRoute plus TCPRoute when it terminates), intersected with
 * allowedRoutes.kinds; and only Gateway, Service, ServiceEntry and ListenerSet are parents
 * (conversion.go allowedParentReferences), anything else is an "unsupported parent".
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kindsOf } from '../../../src/mesh/gateway-api-attachment.js';
import rule from '../../../src/checks/rules/gatewayapi/route-reference-not-found.js';
import { findingsOf } from './_harness.js';

function findings(listener: string, kind: string, parentRef = '{name: edge}') {
  return findingsOf(`apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  selector: {app: orders}
  ports: [{name: http, port: 80}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: partner, namespace: shop}
spec:
  hosts: [api.partner.example]
  resolution: DNS
  ports: [{number: 443, name: https, protocol: HTTPS}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: classic, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: shop}
spec:
  gatewayClassName: istio
  listeners:
  - ${listener}
---
apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata: {name: r, namespace: shop}
spec:
  parentRefs: [${parentRef}]
  rules:
  - backendRefs: [{name: orders, port: 80}]
`, [rule]);
}

const HTTP = '{name: web, port: 80, protocol: HTTP}';
const CASES: [string, string, string, string | null][] = [
  ['a TCPRoute on a TLS listener that terminates', '{name: tls, port: 9443, protocol: TLS, tls: {mode: Terminate, certificateRefs: [{name: c}]}}', 'TCPRoute', null],
  ['a TCPRoute on a TLS listener whose tls block leaves mode to its default (Terminate)', '{name: tls, port: 9443, protocol: TLS, tls: {certificateRefs: [{name: c}]}}', 'TCPRoute', null],
  ['a TCPRoute on a TLS Passthrough listener', '{name: tls, port: 9443, protocol: TLS, tls: {mode: Passthrough}}', 'TCPRoute', 'takes TLSRoute'],
  ['a TLSRoute on a TLS Terminate listener', '{name: tls, port: 9443, protocol: TLS, tls: {mode: Terminate, certificateRefs: [{name: c}]}}', 'TLSRoute', null],
  ['a TCPRoute listed in allowedRoutes.kinds of an HTTP listener', '{name: web, port: 80, protocol: HTTP, allowedRoutes: {kinds: [{kind: HTTPRoute}, {kind: TCPRoute}]}}', 'TCPRoute', 'takes HTTPRoute'],
  ['an HTTPRoute listed in allowedRoutes.kinds of an HTTP listener', '{name: web, port: 80, protocol: HTTP, allowedRoutes: {kinds: [{kind: HTTPRoute}, {kind: TCPRoute}]}}', 'HTTPRoute', null],
  ['an HTTPRoute listed under another group in allowedRoutes.kinds', '{name: web, port: 80, protocol: HTTP, allowedRoutes: {kinds: [{group: example.com, kind: HTTPRoute}]}}', 'HTTPRoute', 'takes no route kind'],
  ['an HTTPRoute on a UDP listener (Istio has no UDP routes)', '{name: dns, port: 53, protocol: UDP}', 'HTTPRoute', 'takes no route kind'],
  ['a GRPCRoute on an HTTPS listener', '{name: https, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: c}]}}', 'GRPCRoute', null],
];
for (const [what, listener, kind, says] of CASES) {
  test(`GIVEN ${what} WHEN checked THEN ${says ? `one error saying "${says}"` : 'no finding'}`, async () => {
    const found = await findings(listener, kind);
    if (says === null) { assert.equal(found.map((f) => f.message), []); return; }
    assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
    assert.ok(found[0]!.message.includes(says) && found[0]!.message.includes('NotAllowedByListeners'), found[0]!.message);
  });
}

test('GIVEN a TCPRoute refused by its listener WHEN checked THEN the message speaks of connections, not hostnames', async () => {
  const [f] = await findings(HTTP, 'TCPRoute');
  assert.ok(f && f.message.includes('no connection is routed by it') && !f.message.includes('hostnames get 404'), f?.message);
});

const PARENTS: [string, string, string | null][] = [
  ['an Istio Gateway (networking.istio.io)', '{group: networking.istio.io, kind: Gateway, name: classic}', 'bound by a VirtualService'],
  ['a Gateway written with the core group ""', '{group: "", kind: Gateway, name: edge}', 'unsupported parent'],
  ['a ServiceEntry that exists', '{group: networking.istio.io, kind: ServiceEntry, name: partner}', null],
  ['a ServiceEntry that does not exist', '{group: networking.istio.io, kind: ServiceEntry, name: partners}', 'ServiceEntry "shop/partners" not found'],
  ['a ListenerSet that does not exist', '{group: gateway.networking.k8s.io, kind: ListenerSet, name: extra}', 'ListenerSet "shop/extra" not found'],
  ['a Service that exists', '{group: "", kind: Service, name: orders}', null],
];
for (const [what, parentRef, says] of PARENTS) {
  test(`GIVEN a parentRef to ${what} WHEN checked THEN ${says ? `one error saying "${says}"` : 'no finding'}`, async () => {
    const found = await findings(HTTP, 'HTTPRoute', parentRef);
    if (says === null) { assert.equal(found.map((f) => f.message), []); return; }
    assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
    assert.ok(found[0]!.message.includes(says), found[0]!.message);
  });
}

test('GIVEN listeners of each protocol WHEN kindsOf THEN Istio\'s supported kinds', () => {
  assert.equal(kindsOf({ protocol: 'HTTPS' }), ['HTTPRoute', 'GRPCRoute']);
  assert.equal(kindsOf({ protocol: 'TCP' }), ['TCPRoute']);
  assert.equal(kindsOf({ protocol: 'TLS', tls: { mode: 'Passthrough' } }), ['TLSRoute']);
  assert.equal(kindsOf({ protocol: 'TLS', tls: { mode: 'Terminate' } }), ['TLSRoute', 'TCPRoute']);
  assert.equal(kindsOf({ protocol: 'TLS', tls: { mode: 'Terminate' }, allowedRoutes: { kinds: [{ kind: 'TCPRoute' }] } }), ['TCPRoute']);
  assert.equal(kindsOf({ protocol: 'UDP' }), []);
});

test.run();
