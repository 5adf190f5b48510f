/**
 * gateway/merged-route-shadowed reads `match.gateways` as istiod does (routing.ts gatewayRefOf, Istio
 * resolveGatewayName): `ns/name`, `./name`, a short name and the legacy `name.ns.svc.cluster.local` all name
 * the Gateway, and on that Gateway the entry's gateways condition holds, so an /api prefix restricted to it
 * still swallows the /api/payments merged after it. (A catch-all would not: istiod moves it after the others.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mergedRouteShadowed from '../../../src/checks/rules/gateway/merged-route-shadowed.js';
import { findingsOf } from './_harness.js';

/** An earlier VirtualService (in `firstNamespace`) whose only rule is `prefix: /api` restricted to `matchGateways`, then /api/payments. */
function findings(firstNamespace: string, matchGateways: string) {
  return findingsOf(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*/shop.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: first, namespace: ${firstNamespace}, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/edge]
  http:
  - match: [{gateways: ${matchGateways}, uri: {prefix: /api}}]
    route: [{destination: {host: web.shop.svc.cluster.local}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: payments, namespace: shop, creationTimestamp: "2026-02-01T00:00:00Z"}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/edge]
  http:
  - match: [{uri: {prefix: /api/payments}}]
    route: [{destination: {host: payments.shop.svc.cluster.local}}]
`, [mergedRouteShadowed]);
}

const names: [string, string, string][] = [
  ['istio-system', '[./edge]', './name in the Gateway\'s namespace'],
  ['istio-system', '[edge]', 'a short name in the Gateway\'s namespace'],
  ['shop', '[istio-system/edge]', 'ns/name'],
  ['shop', '[edge.istio-system.svc.cluster.local]', 'the legacy FQDN'],
  ['shop', '[edge.istio-system]', 'the legacy name.namespace'],
  ['shop', '[mesh, istio-system/edge]', 'mesh and ns/name'],
];
for (const [ns, gateways, form] of names) {
  test(`GIVEN an earlier /api prefix whose match.gateways names the Gateway as ${form} (${gateways}) WHEN merged THEN the later /api/payments is reported`, async () => {
    const found = await findings(ns, gateways);
    assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
    assert.equal(found[0]!.resource?.name, 'payments');
    assert.ok(found[0]!.message.includes('Gateway istio-system/edge'), found[0]!.message);
  });
}

const others: [string, string, string][] = [
  ['shop', '[./edge]', './name from another namespace (shop/edge)'],
  ['shop', '[edge]', 'a short name from another namespace (shop/edge)'],
  ['shop', '[mesh]', 'mesh only'],
  ['shop', '[edge.shop.svc.cluster.local]', 'the legacy FQDN of another namespace'],
];
for (const [ns, gateways, form] of others) {
  test(`GIVEN an earlier /api prefix restricted to ${form} (${gateways}) WHEN merged on istio-system/edge THEN nothing`, async () => {
    assert.equal((await findings(ns, gateways)).map((f) => f.message), []);
  });
}

test.run();
