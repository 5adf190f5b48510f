/**
 * references/subset-exists for gateway routes: istiod looks the DestinationRule up from the namespace of
 * the proxy that routes (PushContext.destinationRule), so for a VirtualService bound to a Gateway that is
 * the namespace its pods run in, not the VirtualService's; rules whose matches name only `mesh` are the
 * sidecars' alone.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import subsetExists from '../../../src/checks/rules/references/subset-exists.js';
import subsetNotApplied from '../../../src/checks/rules/references/subset-not-applied.js';
import { findingsOf } from './_harness.js';

function findings(opts: { exportTo: string; gatewayPods?: boolean; matchGateways?: string }) {
  return findingsOf(`apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  selector: {app: orders}
  ports: [{name: http, port: 8080}]
---
${opts.gatewayPods === false ? '' : `apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress, namespace: istio-ingress}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  template:
    metadata: {labels: {istio: ingressgateway}}
    spec: {containers: [{name: istio-proxy, image: auto}]}
---
`}apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: istio-system}
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
  exportTo: ${opts.exportTo}
  subsets: [{name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders-edge, namespace: shop}
spec:
  hosts: [orders.example.com, orders]
  gateways: [istio-system/edge, mesh]
  http:
  - ${opts.matchGateways ? `match: [{gateways: ${opts.matchGateways}}]\n    ` : ''}route:
    - destination: {host: orders, subset: v2, port: {number: 8080}}
`, [subsetExists, subsetNotApplied]);
}

test('GIVEN a subset rule exported only to "." and gateway pods in istio-ingress WHEN checked THEN the gateway proxies do not see the subset, and the message says why', async () => {
  const found = await findings({ exportTo: '["."]' });
  assert.is(found.length, 1, found.map((f) => f.message).join('\n'));
  assert.match(found[0]!.message, /as the proxies of Gateway istio-system\/edge see it: no DestinationRule for that host applies in namespace istio-ingress; DestinationRule shop\/orders defines it but it is not exported to namespace istio-ingress/);
});

test('GIVEN the rule is exported to istio-ingress too WHEN checked THEN nothing', async () => {
  assert.equal((await findings({ exportTo: '[".", istio-ingress]' })).map((f) => f.message), []);
});

test('GIVEN no gateway pods in the input WHEN checked THEN the Gateway namespace (istio-system, the root) is assumed and said so', async () => {
  const found = await findings({ exportTo: '["."]', gatewayPods: false });
  assert.is(found.length, 1);
  assert.match(found[0]!.message, /assumed to run in its namespace: no pods of it in the input/);
});

test('GIVEN the rule is matched only for mesh WHEN checked THEN the gateway proxies are not asked (the sidecars in shop see the rule)', async () => {
  assert.equal((await findings({ exportTo: '["."]', matchGateways: '[mesh]' })).map((f) => f.message), []);
});

test.run();
