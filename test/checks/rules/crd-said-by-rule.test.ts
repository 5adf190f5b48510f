/**
 * schema/crd-validation leaves to a dedicated rule the CRD refusals that rule reports on the same
 * field with what istiod does and a fix (one finding per problem): HTTPRoute timeouts to
 * gatewayapi/route-timeouts, a Service backendRef's missing or named port to
 * gatewayapi/route-reference-not-found; the same refusal on a reference the dedicated rule does not
 * judge (a port name on an Istio Hostname backend) stays a schema finding.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import crdValidation from '../../../src/checks/rules/schema/crd-validation.js';
import routeTimeouts from '../../../src/checks/rules/gatewayapi/route-timeouts.js';
import routeReference from '../../../src/checks/rules/gatewayapi/route-reference-not-found.js';
import { findingsOf } from './_harness.js';

const YAML = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: orders, namespace: shop}
spec:
  rules:
  - timeouts: {request: 5s, backendRequest: 10s}
    backendRefs: [{name: orders, port: 80}]
  - timeouts: {request: 1.5s}
    backendRefs: [{name: orders, port: http}]
  - timeouts: {request: 1m, backendRequest: 1d}
    backendRefs: [{name: orders}]
  - backendRefs: [{group: networking.istio.io, kind: Hostname, name: api.example.com, port: https}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g, namespace: shop}
spec:
  rules:
  - backendRefs: [{name: orders}]
---
apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec: {selector: {app: orders}, ports: [{name: http, port: 80}]}
`;

async function findings() {
  return (await findingsOf(YAML, [crdValidation, routeTimeouts, routeReference])).map((f) => `${f.ruleId} ${f.location.line}`);
}

test('GIVEN HTTPRoute timeouts and Service backendRefs the CRD refuses WHEN checked THEN each is one finding, by the dedicated rule AND the schema rule keeps the refusal no other rule reports', async () => {
  const got = await findings();
  assert.equal(got.filter((f) => f.startsWith('schema/crd-validation')), ['schema/crd-validation 12'], `schema findings: ${got.join(', ')}`);
  for (const line of [6, 8, 10]) assert.ok(got.includes(`gatewayapi/route-timeouts ${line}`), `route-timeouts at line ${line}: ${got.join(', ')}`);
  for (const line of [9, 11, 19]) assert.ok(got.includes(`gatewayapi/route-reference-not-found ${line}`), `route-reference-not-found at line ${line}: ${got.join(', ')}`);
});

test.run();
