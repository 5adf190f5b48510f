/**
 * routing/source-labels-match-no-workload: a match's sourceLabels judged against the clients of the input (with the
 * labels the injector adds and a StatefulSet's per-pod labels), silent when the clients can only live outside it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/routing/source-labels-match-no-workload.js';
import { findingsOf } from './_harness.js';

const VS = (match: string, extra = '') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cart, namespace: shop}
spec:
  hosts: [cart]
${extra}  http:
  - match:
    - ${match}
    route: [{destination: {host: cart}}]
`;

const WORKLOADS = `---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: app, image: db:1}]}
`;

test('GIVEN no workload at all in the input WHEN checked THEN nothing is said (nothing to judge against)', async () => {
  assert.equal(await findingsOf(VS('sourceLabels: {app: nowhere}'), [rule]), []);
});

test('GIVEN sourceLabels naming pod db-1 of a StatefulSet, or a label the injector adds WHEN checked THEN a client carries them: nothing is said', async () => {
  assert.equal(await findingsOf(VS('sourceLabels: {statefulset.kubernetes.io/pod-name: db-1}') + WORKLOADS, [rule]), []);
  assert.equal(await findingsOf(VS('sourceLabels: {service.istio.io/canonical-name: db}') + WORKLOADS, [rule]), []);
});

test('GIVEN sourceLabels naming pod db-2 of a StatefulSet of 2 replicas WHEN checked THEN info: no client carries them', async () => {
  const found = await findingsOf(VS('sourceLabels: {statefulset.kubernetes.io/pod-name: db-2}') + WORKLOADS, [rule]);
  assert.equal(found.map((f) => f.severity), ['info']);
  assert.match(found[0]!.message, 'http[0] match[0] sourceLabels statefulset.kubernetes.io/pod-name=db-2 select no workload of the input in any namespace');
});

test('GIVEN a VirtualService exported only to shop and clients labelled app=db only in namespace ops WHEN checked THEN info naming where they are', async () => {
  const ops = WORKLOADS.replace(/namespace: shop/g, 'namespace: ops').replace('name: shop,', 'name: ops,') + WORKLOADS.replace('name: db, namespace: shop', 'name: web, namespace: shop').replace(/app: db/g, 'app: web');
  const found = await findingsOf(VS('sourceLabels: {app: db}', '  exportTo: ["."]\n') + ops, [rule]);
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, 'in the namespaces it is exported to (StatefulSet ops/db carries them, but this VirtualService is not exported to its namespace)');
});

test('GIVEN a gateway-only VirtualService whose sourceLabels name the gateway deployment WHEN checked THEN the gateway is a client: nothing is said', async () => {
  const gateway = `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress, namespace: istio-ingress}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  template:
    metadata: {labels: {istio: ingressgateway}, annotations: {inject.istio.io/templates: gateway}}
    spec: {containers: [{name: istio-proxy, image: auto}]}
`;
  assert.equal(await findingsOf(VS('sourceLabels: {istio: ingressgateway}', '  gateways: [istio-ingress/public]\n') + WORKLOADS + gateway, [rule]), []);
});

test.run();
