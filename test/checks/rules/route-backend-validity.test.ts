/**
 * gatewayapi/route-reference-not-found judges every backend reference istiod resolves (conversion.go
 * buildDestination): rules[].backendRefs[] and RequestMirror filter backends, and refuses what istiod refuses
 * before any lookup: a Service backend without port or named by its host, a Hostname backend with namespace
 * or without port, and networking.istio.io kinds other than Hostname.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/gatewayapi/route-reference-not-found.js';
import { findingsOf } from './_harness.js';

function findings(ruleYaml: string, kind = 'HTTPRoute') {
  return findingsOf(`apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  selector: {app: orders}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: invoices, namespace: billing}
spec:
  selector: {app: invoices}
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
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: shop}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata: {name: r, namespace: shop}
spec:
  parentRefs: [{name: edge}]
  rules:
  - ${ruleYaml}
`, [rule]);
}

const BAD: [string, string, string][] = [
  ['backendRefs: [{name: orders}]', 'has no port', 'a Service backend without port'],
  ['backendRefs: [{name: orders.shop.svc.cluster.local, port: 80}]', 'write name: orders', 'a Service named by its host'],
  ['backendRefs: [{name: invoices.billing, port: 80}]', 'write name: invoices, namespace: billing', 'a Service named name.namespace'],
  ['backendRefs: [{group: networking.istio.io, kind: ServiceEntry, name: partner, port: 443}]', 'InvalidDestinationKind', 'kind ServiceEntry'],
  ['backendRefs: [{group: networking.istio.io, kind: Hostname, name: api.partner.example, namespace: shop, port: 443}]', 'sets namespace', 'a Hostname with namespace'],
  ['backendRefs: [{group: networking.istio.io, kind: Hostname, name: api.partner.example}]', 'has no port', 'a Hostname without port'],
  ['backendRefs: [{name: orders, port: 80}]\n    filters: [{type: RequestMirror, requestMirror: {backendRef: {name: orders-shadow, port: 80}}}]', 'RequestMirror backendRef Service "shop/orders-shadow" not found', 'a missing mirror backend'],
  ['backendRefs: [{name: orders, port: 80}]\n    filters: [{type: RequestMirror, requestMirror: {backendRef: {name: invoices, namespace: billing, port: 80}}}]', 'RequestMirror backendRef Service "billing/invoices" is in another namespace', 'a mirror backend in another namespace without ReferenceGrant'],
];
for (const [yaml, says, what] of BAD) {
  test(`GIVEN ${what} WHEN checked THEN one error saying "${says}"`, async () => {
    const found = await findings(yaml);
    assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
    assert.ok(found[0]!.message.includes(says), found[0]!.message);
  });
}

test('GIVEN a rule whose backendRefs all have weight 0 WHEN checked THEN one error: every request gets 500', async () => {
  const found = await findings('backendRefs: [{name: orders, port: 80, weight: 0}, {group: networking.istio.io, kind: Hostname, name: api.partner.example, port: 443, weight: 0}]');
  assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
  assert.ok(found[0]!.message.includes('every backendRef weight 0') && found[0]!.message.includes('500'), found[0]!.message);
});

test('GIVEN one backendRef weight 0 and one without weight (1) WHEN checked THEN nothing', async () => {
  assert.equal((await findings('backendRefs: [{name: orders, port: 80, weight: 0}, {group: networking.istio.io, kind: Hostname, name: api.partner.example, port: 443}]')).map((f) => f.message), []);
});

test('GIVEN a GRPCRoute backend without port WHEN checked THEN the same error', async () => {
  const found = await findings('backendRefs: [{name: orders}]', 'GRPCRoute');
  assert.ok(found.length === 1 && found[0]!.message.startsWith('GRPCRoute backendRef'), found.map((f) => f.message).join('\n'));
});

for (const yaml of [
  'backendRefs: [{name: orders, port: 80}]',
  'backendRefs: [{group: networking.istio.io, kind: Hostname, name: api.partner.example, port: 443}]',
  'backendRefs: [{name: orders, port: 80}]\n    filters: [{type: RequestMirror, requestMirror: {backendRef: {name: orders, port: 80}}}]',
  'backendRefs: [{group: example.com, kind: Bucket, name: whatever}]',
]) {
  test(`GIVEN a valid (or unjudged) backend ${yaml.replace(/\n\s*/g, ' ')} WHEN checked THEN nothing`, async () => {
    assert.equal((await findings(yaml)).map((f) => f.message), []);
  });
}

test.run();
