/**
 * references/subset-exists for gateway routes when a DestinationRule in the gateway proxies' namespace has a
 * workloadSelector: istiod (SidecarScope.DestinationRule) uses it for the gateway pods it selects.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import subsetExists from '../../../src/checks/rules/references/subset-exists.js';
import subsetNotApplied from '../../../src/checks/rules/references/subset-not-applied.js';
import { findingsOf } from './_harness.js';

function findings(selector: string) {
  return findingsOf(`apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  selector: {app: orders}
  ports: [{name: http, port: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress, namespace: istio-ingress}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  template:
    metadata: {labels: {istio: ingressgateway}}
    spec: {containers: [{name: istio-proxy, image: auto}]}
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
metadata: {name: orders-from-ingress, namespace: istio-ingress}
spec:
  host: orders.shop.svc.cluster.local
  workloadSelector: {matchLabels: ${selector}}
  subsets: [{name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders-edge, namespace: istio-ingress}
spec:
  hosts: [orders.example.com]
  gateways: [edge]
  http:
  - route: [{destination: {host: orders.shop.svc.cluster.local, subset: v2}}]
`, [subsetExists, subsetNotApplied]);
}

test('GIVEN the subset rule selects the gateway pods (istio: ingressgateway) WHEN checked THEN nothing', async () => {
  assert.equal((await findings('{istio: ingressgateway}')).map((f) => f.message), []);
});

test('GIVEN it selects other pods (istio: egressgateway) WHEN checked THEN reported for the gateway proxies', async () => {
  const found = await findings('{istio: egressgateway}');
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.includes('Gateway istio-ingress/edge'), found[0]!.message);
});

test.run();
