/**
 * service/conflicting-target-port-protocols compares only ports the sidecar proxies: a `protocol: UDP`
 * Service port targets the container's UDP port, which is another port than its TCP port of the same number
 * (pkg/config/kube/conversion.go ConvertProtocol gives it protocol UDP; inbound listeners are TCP only).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/service/conflicting-target-port-protocols.js';
import { findingsOf } from './_harness.js';

/** Service payments http 80→8080 and Service payments-other with `otherPort` targeting 8080. */
function findings(otherPort: string) {
  return findingsOf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: payments, namespace: shop}
spec:
  selector: {matchLabels: {app: payments}}
  template:
    metadata: {labels: {app: payments}}
    spec: {containers: [{name: app, image: payments:1, ports: [{containerPort: 8080}, {containerPort: 8080, protocol: UDP}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: payments, namespace: shop}
spec:
  selector: {app: payments}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: payments-other, namespace: shop}
spec:
  selector: {app: payments}
  ports: [${otherPort}]
`, [rule]);
}

test('GIVEN a UDP port onto the same container port number WHEN checked THEN no conflict', async () => {
  assert.equal((await findings('{name: statsd, port: 8125, targetPort: 8080, protocol: UDP}')).map((f) => f.message), []);
});

test('GIVEN a UDP port named like a protocol (udp-dns) onto it WHEN checked THEN no conflict', async () => {
  assert.equal((await findings('{name: tcp-dns, port: 53, targetPort: 8080, protocol: UDP}')).map((f) => f.message), []);
});

test('GIVEN the same port as TCP (tcp-raw) WHEN checked THEN both Services are reported', async () => {
  const found = await findings('{name: tcp-raw, port: 9000, targetPort: 8080}');
  assert.equal(found.map((f) => f.resource?.name).sort(), ['payments', 'payments-other']);
  assert.ok(found.every((f) => f.message.includes('container port 8080')), found.map((f) => f.message).join('\n'));
});

test.run();
