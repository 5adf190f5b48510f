/**
 * service/conflicting-target-port-protocols on a VM: a WorkloadEntry selected by a Kubernetes Service and
 * by a ServiceEntry `workloadSelector` receives each service port on the port its `ports` map gives for the
 * service port's name, which wins over `targetPort` (workload_entry.proto, WorkloadEntry.ports), else on
 * targetPort, else on the service port number (mesh/endpoint-port.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/service/conflicting-target-port-protocols.js';
import { findingsOf } from './_harness.js';

/** Service http 80→8080 and ServiceEntry tcp-raw 9000 (`entryTargetPort`), both selecting a VM whose port map is `portMap`. */
function findings(portMap: string, entryTargetPort = '') {
  return findingsOf(`apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: payments-vm, namespace: shop}
spec: {address: 10.0.0.7, labels: {app: payments}, ports: ${portMap}}
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
metadata: {name: payments-raw, namespace: shop}
spec:
  hosts: [payments-raw.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  workloadSelector: {labels: {app: payments}}
  ports: [{number: 9000, name: tcp-raw, protocol: TCP${entryTargetPort ? `, targetPort: ${entryTargetPort}` : ''}}]
`, [rule]);
}

const conflicts: [string, string, string, number][] = [
  ['{tcp-raw: 8080}', '', 'the map sends the entry\'s tcp-raw to the Service\'s 8080', 8080],
  ['{http: 9000}', '', 'the map sends the Service\'s http to 9000 (over its targetPort 8080), where the entry\'s port lands', 9000],
  ['{}', '8080', 'no map: both targetPorts are 8080', 8080],
  ['{tcp-raw: 8080}', '7000', 'the map wins over the entry\'s targetPort 7000', 8080],
];
for (const [portMap, target, what, port] of conflicts) {
  test(`GIVEN a VM with ports ${portMap} WHEN ${what} THEN both services are reported on VM port ${port}`, async () => {
    const found = await findings(portMap, target);
    assert.equal(found.map((f) => `${f.resource?.kind} ${f.resource?.name}`).sort(), ['Service payments', 'ServiceEntry payments-raw']);
    assert.ok(found.every((f) => f.message.includes(`port ${port} of WorkloadEntry shop/payments-vm`)), found.map((f) => f.message).join('\n'));
  });
}

for (const [portMap, target, what] of [
  ['{tcp-raw: 9000}', '', 'the map keeps the entry on 9000'],
  ['{}', '', 'no map and no targetPort: the entry stays on 9000'],
  ['{tcp-raw: 9000}', '8080', 'the map (9000) wins over the entry\'s targetPort 8080'],
  ['{http: 8081}', '8080', 'the map moves the Service to 8081, away from the entry\'s 8080'],
]) {
  test(`GIVEN a VM with ports ${portMap} WHEN ${what} THEN nothing`, async () => {
    assert.equal((await findings(portMap!, target)).map((f) => f.message), []);
  });
}

test.run();
