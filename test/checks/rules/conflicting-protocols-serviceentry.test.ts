/**
 * service/conflicting-target-port-protocols with a ServiceEntry that selects pods (`workloadSelector`):
 * its ports send to the same container ports as the Services of those pods (targetPort, else the port
 * number), so a TCP entry on an HTTP Service's container port is the same conflict as two Services.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/service/conflicting-target-port-protocols.js';
import { findingsOf } from './_harness.js';

function findings(entry: { namespace?: string; selector?: string; protocol?: string; targetPort?: string }) {
  return findingsOf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: payments, namespace: shop}
spec:
  selector: {matchLabels: {app: payments}}
  template:
    metadata: {labels: {app: payments}}
    spec: {containers: [{name: payments, image: "payments:1", ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: payments, namespace: shop}
spec:
  selector: {app: payments}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: payments-raw, namespace: ${entry.namespace ?? 'shop'}}
spec:
  hosts: [payments-raw.internal, payments-raw.alt]
  location: MESH_INTERNAL
  resolution: STATIC
  workloadSelector: {labels: ${entry.selector ?? '{app: payments}'}}
  ports: [{number: 9000, name: raw, protocol: ${entry.protocol ?? 'TCP'}${entry.targetPort ? `, targetPort: ${entry.targetPort}` : ', targetPort: 8080'}}]
`, [rule]);
}

test('GIVEN a TCP ServiceEntry selecting the pods of an HTTP Service on the same container port WHEN checked THEN both are reported once, naming each other by kind', async () => {
  const found = await findings({});
  assert.equal(found.map((f) => `${f.resource?.kind} ${f.resource?.name}`).sort(), ['Service payments', 'ServiceEntry payments-raw']);
  assert.ok(found.some((f) => f.message.includes('which ServiceEntry shop/payments-raw port 9000 declares as TCP')), found.map((f) => f.message).join('\n'));
});

for (const [what, entry] of [
  ['in another namespace', { namespace: 'billing' }],
  ['selecting other labels', { selector: '{app: ledger}' }],
  ['declaring HTTP too', { protocol: 'HTTP' }],
  ['targeting another container port', { targetPort: '9090' }],
] as const) {
  test(`GIVEN the ServiceEntry ${what} WHEN checked THEN nothing`, async () => {
    assert.equal((await findings(entry)).map((f) => f.message), []);
  });
}

test.run();
