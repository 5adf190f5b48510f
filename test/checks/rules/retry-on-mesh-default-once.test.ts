/**
 * A MeshConfig defaultHttpRetryPolicy whose retryOn retries nothing is one fault, written once: istiod gives the
 * policy whole to every http route that writes no retries (route.go, retry.ConvertPolicy). It is reported once, on
 * the MeshConfig where it is written (the istio ConfigMap's line inside data.mesh, or the --mesh-config file), and
 * resilience/retry-on-retries-nothing keeps its findings for routes' own retries.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMeshConfig } from '../../../src/mesh/mesh-config.js';
import retryOnRetriesNothing from '../../../src/checks/rules/resilience/retry-on-retries-nothing.js';
import meshConfigRule from '../../../src/checks/rules/validation/mesh-config.js';
import { findingsOf } from './_harness.js';

const YAML = `apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    defaultHttpRetryPolicy:
      attempts: 3
      retryOn: retriable-status-codes
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pricing, namespace: shop}
spec:
  hosts: [pricing]
  http:
  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: pricing}}]
  - route: [{destination: {host: pricing}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: quotes, namespace: shop}
spec:
  hosts: [quotes]
  http:
  - route: [{destination: {host: quotes}}]
  - route: [{destination: {host: quotes}}]
    retries: {attempts: 2, retryOn: retriable-headers}
`;

test('GIVEN a MeshConfig defaultHttpRetryPolicy retrying nothing and three routes without retries WHEN checked THEN one warning on the retryOn line of data.mesh, none per route', async () => {
  const found = await findingsOf(YAML, [retryOnRetriesNothing, meshConfigRule]);
  const onMesh = found.filter((f) => f.resource?.kind === 'ConfigMap');
  assert.equal(onMesh.map((f) => [f.ruleId, f.severity, f.location.line]), [['validation/mesh-config', 'warning', 8]], JSON.stringify(found.map((f) => f.message)));
  assert.ok(onMesh[0]!.message.includes('defaultHttpRetryPolicy.retryOn "retriable-status-codes" lists no status code'), onMesh[0]!.message);
  assert.ok(onMesh[0]!.message.includes('the 3 attempts never happen'), onMesh[0]!.message);
  const onRoutes = found.filter((f) => f.ruleId === 'resilience/retry-on-retries-nothing');
  assert.equal(onRoutes.map((f) => [f.resource?.name, f.location.line]), [['quotes', 28]], JSON.stringify(onRoutes.map((f) => f.message)));
});

test('GIVEN the same policy in a --mesh-config file (snake_case keys) WHEN parsed THEN one warning at its retry_on line', () => {
  const { warnings } = parseMeshConfig('default_http_retry_policy:\n  attempts: 2\n  retry_on: "retriable-status-codes, retriable-headers"\n', 'mesh.yaml');
  assert.equal(warnings.map((w) => [w.code, w.location.line]), [['mesh-config/not-validated', 3]]);
  assert.ok(warnings[0]!.message.includes('and no header Istio could pass'), warnings[0]!.message);
});

test('GIVEN a defaultHttpRetryPolicy retrying nothing but with attempts 0 WHEN parsed THEN no warning (retries are off)', () => {
  assert.equal(parseMeshConfig('defaultHttpRetryPolicy:\n  attempts: 0\n  retryOn: retriable-status-codes\n', 'mesh.yaml', { unknownFields: 'ignore' }).warnings, []);
});

test.run();
