/**
 * `gateway/conflicting-gateways` (IST0145) pairs servers whose hosts are written alike, as istioctl's analyzer does;
 * what istiod then does follows its own comparison (model.CheckDuplicates after sanitizeServerHostNamespace):
 * `./api.example.com` in two namespaces stands for two different keys, so istiod keeps both servers and Envoy
 * refuses the two chains for one SNI name; in one namespace istiod skips the later server.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/gateway/conflicting-gateways.js';
import { findingsOf } from './_harness.js';

const gateway = (name: string, namespace: string, host: string, mode = 'SIMPLE') => `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https-${name}, protocol: HTTPS}
    hosts: ["${host}"]
    tls: {mode: ${mode}${mode === 'SIMPLE' ? `, credentialName: ${name}-cert` : ''}}
`;
const workload = `apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-ingressgateway, namespace: istio-ingress}
spec:
  selector:
    matchLabels: {istio: ingressgateway}
  template:
    metadata:
      labels: {istio: ingressgateway}
    spec:
      containers:
      - {name: istio-proxy, image: auto}
`;

test('GIVEN "./api.example.com" in Gateways of two namespaces on one workload WHEN checked THEN IST0145 says istiod keeps both servers and Envoy rejects the listener', async () => {
  const found = await findingsOf(workload + gateway('a', 'shop', './api.example.com') + gateway('b', 'web', './api.example.com'), [rule]);
  assert.is(found.length, 2);
  for (const f of found) {
    assert.match(f.message, /istiod keeps both TLS servers \(it compares "(shop|web)\/api\.example\.com" and "(web|shop)\/api\.example\.com", which differ/);
    assert.match(f.message, /Envoy rejects listener 0\.0\.0\.0_443/);
    assert.not.match(f.message, /more specific/);
  }
});

test('GIVEN "./api.example.com" in two Gateways of one namespace WHEN checked THEN istiod skips the later server', async () => {
  const found = await findingsOf(workload + gateway('a', 'shop', './api.example.com') + gateway('b', 'shop', './api.example.com'), [rule]);
  assert.is(found.length, 2);
  for (const f of found) assert.match(f.message, /istiod keeps the first TLS server for that SNI host and skips the other/);
});

test('GIVEN "./api.example.com" in two namespaces, one server PASSTHROUGH WHEN checked THEN both are kept and the chains of its tls matches decide', async () => {
  const found = await findingsOf(workload + gateway('a', 'shop', './api.example.com') + gateway('b', 'web', './api.example.com', 'PASSTHROUGH'), [rule]);
  assert.ok(found.length > 0);
  for (const f of found) assert.match(f.message, /a PASSTHROUGH server's chains come from its VirtualServices' tls matches/);
});

test('GIVEN "shop/api.example.com" and "*/api.example.com" WHEN checked THEN IST0145 stays silent (the analyzer compares hosts as written)', async () => {
  assert.equal(await findingsOf(workload + gateway('a', 'shop', 'shop/api.example.com') + gateway('b', 'web', '*/api.example.com'), [rule]), []);
});

test.run();
