/**
 * routing/routes-never-applied for a mesh HTTPRoute / GRPCRoute (parentRef a Service): it applies on the
 * parent's port (parentRef.port, else every port), which must carry HTTP.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/routing/routes-never-applied.js';
import { findingsOf } from './_harness.js';

function findings(ports: string, parentPort: string, kind = 'HTTPRoute') {
  return findingsOf(`apiVersion: v1
kind: Service
metadata: {name: ledger, namespace: shop}
spec:
  selector: {app: ledger}
  ports: ${ports}
---
apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata: {name: canary, namespace: shop}
spec:
  parentRefs: [{group: "", kind: Service, name: ledger${parentPort ? `, port: ${parentPort}` : ''}}]
  rules:
  - backendRefs: [{name: ledger, port: 80}]
`, [rule]);
}

test('GIVEN a mesh HTTPRoute on a Service whose only port is tcp- WHEN checked THEN never applied', async () => {
  const found = await findings('[{name: tcp-web, port: 80}]', '');
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.includes('port 80 (TCP by its name "tcp-web") carries no HTTP'), found[0]!.message);
});

test('GIVEN a GRPCRoute whose parentRef port is the tcp- one of two ports WHEN checked THEN never applied', async () => {
  assert.equal((await findings('[{name: http, port: 8080}, {name: tcp-web, port: 80}]', '80', 'GRPCRoute')).length, 1);
});

for (const [ports, parentPort, what] of [
  ['[{name: http, port: 8080}, {name: tcp-web, port: 80}]', '', 'no parentRef port and one HTTP port'],
  ['[{name: http, port: 8080}, {name: tcp-web, port: 80}]', '8080', 'parentRef port on the HTTP port'],
  ['[{name: tcp-web, port: 80, appProtocol: http}]', '', 'appProtocol http over a tcp- name'],
  ['[{name: web, port: 80}]', '', 'a sniffed port'],
]) {
  test(`GIVEN ${what} WHEN checked THEN nothing`, async () => {
    assert.equal((await findings(ports!, parentPort!)).map((f) => f.message), []);
  });
}

test.run();
