/**
 * routing/routes-never-applied through a Sidecar egress listener bound to a port: istiod builds that listener
 * with the Sidecar's port protocol for every service it imports, so http routes of an HTTP service port do not
 * apply to the workloads of a Sidecar that declares the port TCP.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/routing/routes-never-applied.js';
import { findingsOf } from './_harness.js';

function findings(listenerPort: string, hosts = '[shop/*]', sidecarNamespace = 'web', extra = '') {
  return findingsOf(`${extra}apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  selector: {app: orders}
  ports: [{name: http-api, port: 8080}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders, namespace: shop}
spec:
  hosts: [orders.shop.svc.cluster.local]
  http:
  - route: [{destination: {host: orders.shop.svc.cluster.local}}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: egress, namespace: ${sidecarNamespace}}
spec:
  egress:
  - port: ${listenerPort}
    hosts: ${hosts}
  - hosts: [istio-system/*]
`, [rule]);
}

test('GIVEN a Sidecar egress listener declared TCP on the HTTP service port WHEN checked THEN the http routes are never applied for its workloads', async () => {
  const found = await findings('{number: 8080, protocol: TCP, name: tcp}');
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.includes('never applied to the workloads of namespace web (Sidecar web/egress)'), found[0]!.message);
  assert.ok(found[0]!.message.includes('declared TCP'), found[0]!.message);
});

for (const [port, hosts, ns, what] of [
  ['{number: 8080, protocol: HTTP, name: http}', '[shop/*]', 'web', 'the listener declared HTTP'],
  ['{number: 8080, name: unnamed}', '[shop/*]', 'web', 'no listener protocol (sniffed)'],
  ['{number: 9090, protocol: TCP, name: tcp}', '[shop/*]', 'web', 'the TCP listener on another port'],
  ['{number: 8080, protocol: TCP, name: tcp}', '[billing/*]', 'web', 'the TCP listener importing another namespace'],
  ['{number: 8080, protocol: TCP, name: tcp}', '[shop/*]', 'istio-system', 'a root-namespace Sidecar and no workload in the input'],
]) {
  test(`GIVEN ${what} WHEN checked THEN nothing`, async () => {
    assert.equal((await findings(port!, hosts!, ns!)).map((f) => f.message), []);
  });
}

test('GIVEN the mesh-default Sidecar (root namespace, no selector) declares the listener TCP WHEN a namespace without its own Sidecar runs workloads THEN the routes are never applied for that namespace', async () => {
  const found = await findings('{number: 8080, protocol: TCP, name: tcp}', '[shop/*]', 'istio-system',
    'apiVersion: v1\nkind: Pod\nmetadata: {name: storefront, namespace: web}\nspec: {containers: [{name: app, image: storefront:1}]}\n---\n');
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.includes('never applied to the workloads of namespace web (mesh-default Sidecar istio-system/egress)'), found[0]!.message);
});

const gammaRoute = (ns: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: orders-canary, namespace: ${ns}}
spec:
  parentRefs: [{group: "", kind: Service, name: orders, namespace: shop}]
  rules:
  - backendRefs: [{name: orders, namespace: shop, port: 8080}]
---
`;

test('GIVEN a producer mesh HTTPRoute for the service WHEN the Sidecar declares the listener TCP THEN the HTTPRoute is never applied for its workloads', async () => {
  const found = (await findings('{number: 8080, protocol: TCP, name: tcp}', '[shop/*]', 'web', gammaRoute('shop'))).filter((f) => f.resource?.kind === 'HTTPRoute');
  assert.equal(found.length, 1);
  assert.ok(found[0]!.message.includes('This HTTPRoute (a mesh route for orders.shop.svc.cluster.local) is never applied to the workloads of namespace web'), found[0]!.message);
});

test('GIVEN a consumer mesh HTTPRoute of another namespace WHEN web\'s Sidecar declares the listener TCP THEN nothing for the HTTPRoute (only billing applies it)', async () => {
  assert.equal((await findings('{number: 8080, protocol: TCP, name: tcp}', '[shop/*]', 'web', gammaRoute('billing'))).filter((f) => f.resource?.kind === 'HTTPRoute').length, 0);
});


/** orders with two HTTP ports; the Sidecar declares 9000 TCP and imports shop/* on its other ports too. */
function twoPorts(vsHttp: string) {
  return findingsOf(`apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  selector: {app: orders}
  ports: [{name: http-api, port: 8080}, {name: http-admin, port: 9000}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders, namespace: shop}
spec:
  hosts: [orders.shop.svc.cluster.local]
  http:
${vsHttp}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: egress, namespace: web}
spec:
  egress:
  - port: {number: 9000, protocol: TCP, name: tcp-admin}
    hosts: [shop/*]
  - hosts: [shop/*, istio-system/*]
`, [rule]);
}

test('GIVEN a TCP listener on one HTTP port of a two-port service and the routes match no port WHEN checked THEN nothing: the listener without port applies them on the other port', async () => {
  const found = await twoPorts('  - route: [{destination: {host: orders.shop.svc.cluster.local, port: {number: 8080}}}]');
  assert.equal(found.map((f) => f.message), []);
});

test('GIVEN the same listeners and a route written for the TCP-declared port (match port 9000) WHEN checked THEN it is reported', async () => {
  const found = await twoPorts('  - match: [{port: 9000}]\n    route: [{destination: {host: orders.shop.svc.cluster.local, port: {number: 9000}}}]\n  - route: [{destination: {host: orders.shop.svc.cluster.local, port: {number: 8080}}}]');
  assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
  assert.ok(found[0]!.message.includes('declared TCP'), found[0]!.message);
});

test.run();
