/**
 * gateway/host-without-route judges a Gateway's hosts only when the input holds VirtualServices: a repository
 * of Gateways alone (a platform team's) keeps the routes elsewhere, and every host would read as unrouted.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import gatewayHostWithoutRoute from '../../../src/checks/rules/gateway/host-without-route.js';
import { findingsOf } from './_harness.js';

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["shop.example.com"]
`;
const MESH_ROUTE = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}}]
`;

async function findings(yaml: string) {
  return (await findingsOf(yaml, [gatewayHostWithoutRoute])).map((f) => f.message);
}

test('GIVEN only a Gateway WHEN checked THEN its hosts are not judged (the routes live elsewhere)', async () => {
  assert.equal(await findings(GATEWAY), []);
});

test('GIVEN the Gateway and a mesh VirtualService WHEN checked THEN its unrouted host is reported', async () => {
  const found = await findings(GATEWAY + MESH_ROUTE);
  assert.is(found.length, 1, found.join('\n'));
  assert.match(found[0]!, /declares host "shop\.example\.com" of server port 80/);
});

test.run();
