/**
 * routing/not-exported-to-gateway for a delegate VirtualService: istiod builds its merged routes for the
 * proxies of its gateway roots, so a destination whose Service is not exported to their namespace has no
 * cluster there (503), though the delegate itself has no hosts or gateways.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/routing/not-exported-to-gateway.js';
import { findingsOf } from './_harness.js';

function findings(serviceExportTo: string, rootGateways: string) {
  return findingsOf(`apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop, annotations: {networking.istio.io/exportTo: "${serviceExportTo}"}}
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
kind: VirtualService
metadata: {name: root, namespace: istio-ingress}
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
  - route: [{destination: {host: orders, port: {number: 8080}}}]
`, [rule]);
}

test('GIVEN a delegate of a gateway root routing to a Service exported only to "." WHEN checked THEN the delegate route is reported for the gateway proxies', async () => {
  const found = await findings('.', '[edge]');
  assert.equal(found.length, 1);
  assert.ok(found[0]!.resource?.name === 'orders-routes' && found[0]!.message.includes('Gateway istio-ingress/edge'), found[0]!.message);
});

test('GIVEN the Service exported to istio-ingress too WHEN checked THEN nothing', async () => {
  assert.equal((await findings('., istio-ingress', '[edge]')).map((f) => f.message), []);
});

test('GIVEN a mesh-only root WHEN checked THEN nothing (no gateway proxies build it)', async () => {
  assert.equal((await findings('.', '[mesh]')).map((f) => f.message), []);
});

test.run();
