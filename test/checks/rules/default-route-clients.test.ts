/**
 * routing/default-route-required per client: a rule built only into some sidecars (sourceLabels, sourceNamespace)
 * leaves only those without a default; a StatefulSet's pods are told apart by their per-pod labels, and an input
 * without workloads stands a client for each sourceLabels written.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/routing/default-route-required.js';
import { findingsOf } from './_harness.js';

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec:
  selector: {app: cart}
  ports: [{name: http, port: 8080}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cart, namespace: shop}
spec:
  hosts: [cart]
  http:
  - match:
    - sourceLabels: {statefulset.kubernetes.io/pod-name: db-1}
      headers: {x: {exact: "1"}}
    route: [{destination: {host: cart}}]
`;

const DB = `---
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

test('GIVEN a rule for pod db-1 of a StatefulSet with a header WHEN checked THEN only that pod is named as left without a default', async () => {
  const found = await findingsOf(SERVICE + DB, [rule]);
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, 'get 404 (NR) for StatefulSet shop/db pod db-1 (StatefulSet shop/db (its other pods) and other sidecars: no rule applies to them');
});

test('GIVEN a StatefulSet of 2,147,483,647 replicas WHEN checked THEN its pods are not listed one by one: pod db-1 and the others, in bounded memory', async () => {
  const found = await findingsOf(SERVICE + DB.replace('replicas: 2', 'replicas: 2147483647'), [rule]);
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, 'get 404 (NR) for StatefulSet shop/db pod db-1 (StatefulSet shop/db (its other pods) and other sidecars');
});

test('GIVEN the StatefulSet runs one replica WHEN checked THEN no pod db-1 exists and nothing is reported', async () => {
  assert.equal((await findingsOf(SERVICE + DB.replace('replicas: 2', 'replicas: 1'), [rule])).map((f) => f.message), []);
});

test('GIVEN no workload in the input WHEN checked THEN the sourceLabels written stand for a client, which is named', async () => {
  const found = await findingsOf(SERVICE, [rule]);
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, 'for sidecars labelled statefulset.kubernetes.io/pod-name=db-1 (other sidecars: no rule applies to them');
});

test.run();
