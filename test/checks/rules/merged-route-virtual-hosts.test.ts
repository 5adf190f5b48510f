/**
 * gateway/merged-route-shadowed groups VirtualServices by the virtual host istiod builds on a Gateway:
 * the intersection of each server host (namespace-scoped) with each VirtualService host, the narrower of
 * the two (gateway.go buildGatewayHTTPRouteConfig, host.Names.Intersection).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mergedRouteShadowed from '../../../src/checks/rules/gateway/merged-route-shadowed.js';
import { findingsOf } from './_harness.js';

function findings(serverHosts: string, apiHost: string, paymentsHost: string, paymentsNamespace = 'shop') {
  const vs = (name: string, ns: string, host: string, prefix: string) => `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: ${ns}}
spec:
  hosts: [${JSON.stringify(host)}]
  gateways: [istio-system/edge]
  http:
  - match: [{uri: {prefix: ${prefix}}}]
    route: [{destination: {host: ${name}.${ns}.svc.cluster.local}}]
`;
  return findingsOf(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ${serverHosts}
${vs('api', 'shop', apiHost, '/api')}${vs('payments', paymentsNamespace, paymentsHost, '/api/payments')}`, [mergedRouteShadowed]);
}

test('GIVEN a server listing only shop.example.com WHEN VirtualServices bind *.example.com and shop.example.com THEN they share that virtual host and /api shadows /api/payments', async () => {
  const found = await findings('[shop.example.com]', '*.example.com', 'shop.example.com');
  assert.ok(found.length >= 1, 'expected a finding');
  assert.ok(found.every((f) => f.message.includes('for host shop.example.com')), found.map((f) => f.message).join('\n'));
});

test('GIVEN a server listing *.example.com WHEN VirtualServices bind *.example.com and shop.example.com THEN nothing (two virtual hosts)', async () => {
  assert.equal((await findings('["*.example.com"]', '*.example.com', 'shop.example.com')).map((f) => f.message), []);
});

test('GIVEN both VirtualServices bind a host no server of the Gateway serves WHEN checked THEN nothing (merged nowhere)', async () => {
  assert.equal((await findings('[shop.example.com]', 'other.example.com', 'other.example.com')).map((f) => f.message), []);
});

test('GIVEN a server host scoped to namespace shop ("shop/*") WHEN the second VirtualService lives in web THEN nothing (the server does not serve it)', async () => {
  assert.equal((await findings('["shop/*"]', 'shop.example.com', 'shop.example.com', 'web')).map((f) => f.message), []);
  assert.ok((await findings('["shop/*"]', 'shop.example.com', 'shop.example.com', 'shop')).length >= 1, 'same namespace: merged');
});

test.run();
