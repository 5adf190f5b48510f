/**
 * gatewayapi/route-reference-not-found: a backendRef port the Service or ServiceEntry does not declare.
 * istiod converts it as written (pilot/pkg/config/kube/gateway/conversion.go buildDestination) but builds
 * clusters only for declared ports, so the route sends to outbound|<port>||<host>, which does not exist.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/gatewayapi/route-reference-not-found.js';
import { findingsOf } from './_harness.js';

const BASE = `apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  selector: {app: orders}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: tcp-admin, port: 9000}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: payments, namespace: shop}
spec:
  hosts: [api.payments.example]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{name: https, number: 443, protocol: HTTPS}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: shop}
spec:
  gatewayClassName: istio
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - {name: tcp, port: 9000, protocol: TCP}
---
`;

async function messages(route: string): Promise<string[]> {
  return (await findingsOf(BASE + route, [rule])).map((f) => f.message);
}

const route = (kind: string, listener: string, backend: string) => `apiVersion: gateway.networking.k8s.io/${kind === 'TCPRoute' ? 'v1alpha2' : 'v1'}
kind: ${kind}
metadata: {name: orders, namespace: shop}
spec:
  parentRefs: [{name: public, sectionName: ${listener}}]
  rules:
  - backendRefs: [${backend}]
`;

test('GIVEN an HTTPRoute backendRef on the container port 8080 WHEN checked THEN it names the missing cluster and the Service ports', async () => {
  const found = await messages(route('HTTPRoute', 'http', '{name: orders, port: 8080}'));
  assert.is(found.length, 1, found.join('\n'));
  assert.match(found[0]!, /port 8080 is not a port of it \(ports: 80, 9000\)/);
  assert.match(found[0]!, /outbound\|8080\|\|orders\.shop\.svc\.cluster\.local/);
});

test('GIVEN a GRPCRoute and a TCPRoute on declared Service ports WHEN checked THEN nothing is reported', async () => {
  assert.equal(await messages(route('GRPCRoute', 'http', '{name: orders, port: 80}')), []);
  assert.equal(await messages(route('TCPRoute', 'tcp', '{name: orders, port: 9000}')), []);
});

test('GIVEN a TCPRoute backendRef on a port the Service lacks WHEN checked THEN it is reported', async () => {
  const found = await messages(route('TCPRoute', 'tcp', '{name: orders, port: 9443}'));
  assert.is(found.length, 1, found.join('\n'));
  assert.match(found[0]!, /TCPRoute backendRef Service "shop\/orders" port 9443/);
});

test('GIVEN a Hostname backend on port 80 of a ServiceEntry that declares only 443 WHEN checked THEN it is reported; on 443 THEN not', async () => {
  const bad = await messages(route('HTTPRoute', 'http', '{group: networking.istio.io, kind: Hostname, name: api.payments.example, port: 80}'));
  assert.is(bad.length, 1, bad.join('\n'));
  assert.match(bad[0]!, /Hostname "api\.payments\.example" port 80 is not a port of it \(ports: 443\)/);
  assert.equal(await messages(route('HTTPRoute', 'http', '{group: networking.istio.io, kind: Hostname, name: api.payments.example, port: 443}')), []);
});

test('GIVEN a backendRef port written as the Service port name WHEN checked THEN the message says it must be the number and gives it', async () => {
  const found = await messages(route('HTTPRoute', 'http', '{name: orders, port: http}'));
  assert.is(found.length, 1, found.join('\n'));
  assert.match(found[0]!, /port "http" is a name, but a backendRef port is the Service port number .*write port: 80$/);
});

test.run();
