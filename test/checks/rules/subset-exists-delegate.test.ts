/**
 * references/subset-exists for a delegate VirtualService: istiod merges its routes into each root that
 * delegates to it and builds them for the root's proxies, so the DestinationRule is looked up from the
 * roots' consumers (a gateway root: its proxies' namespace; a mesh root: the root's namespace), not from
 * the delegate's namespace.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import subsetExists from '../../../src/checks/rules/references/subset-exists.js';
import subsetNotApplied from '../../../src/checks/rules/references/subset-not-applied.js';
import { findingsOf } from './_harness.js';

function findings(rootNamespace: string, rootGateways: string, drExportTo: string) {
  return findingsOf(`apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  selector: {app: orders}
  ports: [{name: http, port: 8080}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: istio-ingress}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*/orders.example.com"]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: orders, namespace: shop}
spec:
  host: orders.shop.svc.cluster.local
  exportTo: ${drExportTo}
  subsets: [{name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root, namespace: ${rootNamespace}}
spec:
  hosts: [orders.example.com]
  gateways: ${rootGateways}
  http:
  - match: [{uri: {prefix: /orders}}]
    delegate: {name: orders-routes, namespace: shop}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders-routes, namespace: shop}
spec:
  http:
  - match: [{uri: {prefix: /orders}}]
    route: [{destination: {host: orders.shop.svc.cluster.local, subset: v2}}]
`, [subsetExists, subsetNotApplied]);
}

test('GIVEN a gateway root in istio-ingress and the subset rule exported only to "." in shop WHEN checked THEN the delegate is reported from istio-ingress', async () => {
  const found = await findings('istio-ingress', '[edge]', '["."]');
  assert.equal(found.length, 1);
  assert.ok(found[0]!.resource?.name === 'orders-routes' && found[0]!.message.includes('namespace istio-ingress'), found[0]!.message);
});

test('GIVEN the rule also exported to istio-ingress WHEN checked THEN nothing', async () => {
  assert.equal((await findings('istio-ingress', '[edge]', '[".", istio-ingress]')).map((f) => f.message), []);
});

test('GIVEN a mesh root in web and the rule exported only to "." WHEN checked THEN reported from web', async () => {
  const found = await findings('web', '[mesh]', '["."]');
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.includes('namespace web'), found[0]!.message);
});

test('GIVEN a mesh root in shop itself WHEN checked THEN nothing (the rule is visible there)', async () => {
  assert.equal((await findings('shop', '[mesh]', '["."]')).map((f) => f.message), []);
});

test.run();
