/**
 * security/mesh-strict-mtls judges the PeerAuthentication istiod uses, not every one it reads: of several at one
 * level (mesh-wide, one namespace's selector-less ones, the ones selecting one workload) istiod keeps the oldest
 * (pilot/pkg/security/authn/policy_applier.go ComposePeerAuthentication: `cfg.CreationTimestamp.Before`, over
 * configs sorted by creation time then name). A newer one is reported as ignored (warning), whatever its mode,
 * and the rule agrees with the model's effective mode (graph.mtlsModeFor).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../../src/checks/engine.js';
import meshStrict from '../../../src/checks/rules/security/mesh-strict-mtls.js';
import { graphOfYaml } from './_harness.js';

const workload = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop}
spec:
  selector: {matchLabels: {app: cart}}
  template:
    metadata: {labels: {app: cart}}
    spec: {containers: [{name: app, image: cart:1}]}
`;
const pa = (name: string, ns: string, created: string, mode: string, extra = '') => `---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ${name}, namespace: ${ns}, creationTimestamp: "${created}"${extra}}
spec:
  mtls: {mode: ${mode}}
`;
const selecting = (name: string, created: string, mode: string) => `---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ${name}, namespace: shop, creationTimestamp: "${created}"}
spec:
  selector: {matchLabels: {app: cart}}
  mtls: {mode: ${mode}}
`;
const REASON = ', annotations: {meshproof.dev/mtls-exception-reason: "legacy clients"}';

async function run(yaml: string) {
  const g = await graphOfYaml(workload + yaml);
  const cart = g.workloads.all.find((w) => w.name === 'cart')!;
  const found = runRules(g, [meshStrict], {});
  return { mode: g.mtlsModeFor(cart).mode, found: found.map((f) => [f.resource?.name, f.severity]), messages: found.map((f) => f.message) };
}

test('GIVEN an older STRICT mesh-wide policy and a newer PERMISSIVE one WHEN checked THEN the mesh is STRICT and the newer one is a warning (ignored), not an error', async () => {
  const r = await run(pa('default', 'istio-system', '2024-01-01T00:00:00Z', 'STRICT') + pa('legacy', 'istio-system', '2025-01-01T00:00:00Z', 'PERMISSIVE'));
  assert.is(r.mode, 'STRICT');
  assert.equal(r.found, [['legacy', 'warning']]);
  assert.match(r.messages[0]!, 'ignored by istiod');
  assert.match(r.messages[0]!, 'istio-system/default (2024-01-01T00:00:00Z, mtls.mode STRICT)');
});

test('GIVEN an older PERMISSIVE mesh-wide policy and a newer STRICT one WHEN checked THEN the mesh is PERMISSIVE: the older is the error, the STRICT one a warning (ignored)', async () => {
  const r = await run(pa('legacy', 'istio-system', '2024-01-01T00:00:00Z', 'PERMISSIVE') + pa('default', 'istio-system', '2025-01-01T00:00:00Z', 'STRICT'));
  assert.is(r.mode, 'PERMISSIVE');
  assert.equal(r.found, [['legacy', 'error'], ['default', 'warning']]);
  assert.match(r.messages[0]!, 'mtls.mode PERMISSIVE');
});

test('GIVEN a justified older PERMISSIVE namespace policy and a newer STRICT one WHEN checked THEN the STRICT one is reported as ignored (the namespace stays PERMISSIVE)', async () => {
  const r = await run(pa('default', 'istio-system', '2024-01-01T00:00:00Z', 'STRICT') + pa('open', 'shop', '2024-02-01T00:00:00Z', 'PERMISSIVE', REASON) + pa('strict', 'shop', '2025-01-01T00:00:00Z', 'STRICT'));
  assert.is(r.mode, 'PERMISSIVE');
  assert.equal(r.found, [['strict', 'warning']]);
});

test('GIVEN two workload policies selecting cart, the older STRICT and the newer PERMISSIVE WHEN checked THEN the newer one is ignored (warning), not a weakening', async () => {
  const r = await run(pa('default', 'istio-system', '2024-01-01T00:00:00Z', 'STRICT') + selecting('cart-strict', '2024-02-01T00:00:00Z', 'STRICT') + selecting('cart-open', '2025-01-01T00:00:00Z', 'PERMISSIVE'));
  assert.is(r.mode, 'STRICT');
  assert.equal(r.found, [['cart-open', 'warning']]);
});

test('GIVEN the same two workload policies, the PERMISSIVE one older WHEN checked THEN it is the weakening (error) and the STRICT one is ignored', async () => {
  const r = await run(pa('default', 'istio-system', '2024-01-01T00:00:00Z', 'STRICT') + selecting('cart-strict', '2025-01-01T00:00:00Z', 'STRICT') + selecting('cart-open', '2024-02-01T00:00:00Z', 'PERMISSIVE'));
  assert.is(r.mode, 'PERMISSIVE');
  assert.equal(r.found, [['cart-strict', 'warning'], ['cart-open', 'error']]);
});

test.run();
