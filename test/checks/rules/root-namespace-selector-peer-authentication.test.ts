/**
 * A PeerAuthentication with a selector in the root namespace is ignored by istiod
 * (pilot/pkg/security/authn/policy_applier.go ComposePeerAuthentication: a selector policy is workload-level
 * only `if cfg.Namespace != rootNamespace`), for workloads of other namespaces and of the root namespace alike.
 * The mesh model (policy.ts peerAuthenticationsFor) leaves it out, and security/mesh-strict-mtls says it is ignored
 * instead of calling it a weakening.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../../src/checks/engine.js';
import meshStrict from '../../../src/checks/rules/security/mesh-strict-mtls.js';
import tlsDisable from '../../../src/checks/rules/security/tls-disable-toward-strict.js';
import { graphOfYaml } from './_harness.js';

/** A collector workload in `ns`, the mesh-wide policy `meshMode`, and a STRICT selector policy in `policyNs`. */
function graphOf(ns: string, policyNs: string, meshMode = 'PERMISSIVE') {
  return graphOfYaml(`apiVersion: v1
kind: Service
metadata: {name: collector, namespace: ${ns}}
spec:
  selector: {app: collector}
  ports: [{name: grpc-otlp, port: 4317}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: collector, namespace: ${ns}}
spec:
  selector: {matchLabels: {app: collector}}
  template:
    metadata: {labels: {app: collector, sidecar.istio.io/inject: "true"}}
    spec: {containers: [{name: app, image: collector:1}]}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: ${meshMode}}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: collector-strict, namespace: ${policyNs}}
spec:
  selector: {matchLabels: {app: collector}}
  mtls: {mode: STRICT}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: collector-plain, namespace: shop}
spec:
  host: collector.${ns}.svc.cluster.local
  trafficPolicy: {tls: {mode: DISABLE}}
`);
}

for (const ns of ['istio-system', 'telemetry']) {
  test(`GIVEN a STRICT selector policy in the root namespace selecting a workload in ${ns} WHEN its mTLS is decided THEN the mesh-wide PERMISSIVE holds`, async () => {
    const g = await graphOf(ns, 'istio-system');
    const w = g.workloads.all.find((x) => x.name === 'collector')!;
    assert.equal(g.peerAuthenticationsFor(w).workload, []);
    assert.is(g.mtlsModeFor(w).mode, 'PERMISSIVE');
    assert.equal(runRules(g, [tlsDisable], {}).map((f) => f.message), []);
  });
}

test('GIVEN the same selector policy in the workload\'s own namespace WHEN checked THEN it is workload-level STRICT and DISABLE toward it is an error', async () => {
  const g = await graphOf('telemetry', 'telemetry');
  const w = g.workloads.all.find((x) => x.name === 'collector')!;
  assert.is(g.mtlsModeFor(w).mode, 'STRICT');
  assert.equal(runRules(g, [tlsDisable], {}).map((f) => f.resource?.name), ['collector-plain']);
});

test('GIVEN a selector policy in the root namespace WHEN mesh-strict-mtls runs THEN one warning says istiod ignores it', async () => {
  const g = await graphOf('telemetry', 'istio-system', 'STRICT');
  const found = runRules(g, [meshStrict], {});
  assert.equal(found.map((f) => [f.resource?.name, f.severity]), [['collector-strict', 'warning']]);
  assert.ok(found[0]!.message.includes('ignored by istiod') && found[0]!.message.includes('move it to the namespace'), found[0]!.message);
});

test.run();
