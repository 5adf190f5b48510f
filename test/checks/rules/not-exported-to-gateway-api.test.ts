/**
 * routing/not-exported-to-gateway for Gateway API routes: istiod deploys a Gateway API Gateway's proxies in the
 * Gateway's namespace, and a gateway proxy has clusters only for the hosts exported there
 * (pilot/pkg/model/sidecar.go DefaultSidecarScopeForGateway: servicesExportedToNamespace(configNamespace)).
 * A backend Service (or ServiceEntry Hostname) exported elsewhere gets 503 at that gateway.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/routing/not-exported-to-gateway.js';
import { findingsOf } from './_harness.js';

function findings(serviceExport: string, entryExport: string, backend: string, kind = 'HTTPRoute') {
  return findingsOf(`apiVersion: v1
kind: Service
metadata: {name: invoices, namespace: billing, annotations: {networking.istio.io/exportTo: "${serviceExport}"}}
spec:
  selector: {app: invoices}
  ports: [{name: http, port: 80}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: partner, namespace: billing}
spec:
  hosts: [api.partner.example]
  exportTo: ${entryExport}
  resolution: DNS
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: edge}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata: {name: r, namespace: billing}
spec:
  parentRefs: [{name: public, namespace: edge}]
  rules:
  - backendRefs: [${backend}]
`, [rule]);
}

const SERVICE = '{name: invoices, port: 80}';
const HOSTNAME = '{group: networking.istio.io, kind: Hostname, name: api.partner.example, port: 443}';

test('GIVEN a backend Service exported to "." in another namespace than the Gateway WHEN checked THEN one warning naming the Gateway namespace', async () => {
  const found = await findings('.', '["*"]', SERVICE);
  assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
  assert.ok(found[0]!.message.includes('Gateway edge/public') && found[0]!.message.includes('export it to "edge"'), found[0]!.message);
});

test('GIVEN a ServiceEntry Hostname backend exported to "." WHEN checked THEN it is reported too', async () => {
  const found = await findings('*', '["."]', HOSTNAME);
  assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
  assert.ok(found[0]!.message.includes('Hostname "api.partner.example"'), found[0]!.message);
});

for (const [what, exp] of [['exported to the Gateway namespace by name', '., edge'], ['exported everywhere', '*']] as const) {
  test(`GIVEN the backend Service ${what} WHEN checked THEN nothing`, async () => {
    assert.equal((await findings(exp, '["*"]', SERVICE)).map((f) => f.message), []);
  });
}

test('GIVEN a GRPCRoute to a hidden Service WHEN checked THEN it is reported as well', async () => {
  assert.equal((await findings('.', '["*"]', SERVICE, 'GRPCRoute')).length, 1);
});

test.run();
