/**
 * References to the namespaces every cluster has (default, kube-system, kube-public, kube-node-lease) and to
 * the mesh root namespace are not "not found" when nothing of them is in the input: security/authz-namespace-not-found
 * (IST0101, as istioctl analyze reports against a cluster) and sidecar/egress-namespace-not-found.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../../src/checks/engine.js';
import authzNs from '../../../src/checks/rules/security/authz-namespace-not-found.js';
import egressNs from '../../../src/checks/rules/sidecar/egress-namespace-not-found.js';
import { graphOfYaml } from './_harness.js';

function graphOf(namespaces: string, egress: string, meshConfig = '') {
  return graphOfYaml(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: web:1}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ap, namespace: shop}
spec:
  rules: [{from: [{source: {namespaces: ${namespaces}}}]}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sc, namespace: shop}
spec:
  egress: [{hosts: ${egress}}]
${meshConfig}`);
}

test('GIVEN Kubernetes\' own namespaces and the root namespace WHEN referenced THEN nothing is reported', async () => {
  const g = await graphOf('["default", "kube-system", "kube-public", "kube-node-lease", "istio-system", "kube-*"]', '["kube-system/*", "default/*", "istio-system/*"]');
  assert.equal(runRules(g, [authzNs, egressNs], {}).map((f) => f.message), []);
});

test('GIVEN a namespace that is neither in the input nor built in WHEN referenced THEN both rules report it', async () => {
  const g = await graphOf('["kube-sytem"]', '["kube-sytem/*"]');
  const found = runRules(g, [authzNs, egressNs], {});
  assert.equal(found.map((f) => f.ruleId).sort(), ['security/authz-namespace-not-found', 'sidecar/egress-namespace-not-found']);
  assert.ok(found.every((f) => f.message.includes('kube-sytem')), found.map((f) => f.message).join('\n'));
});

test('GIVEN MeshConfig moves the root namespace to istio-config WHEN istio-config is referenced THEN it exists', async () => {
  const g = await graphOf('["istio-config"]', '["istio-config/*"]', `---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    rootNamespace: istio-config
`);
  assert.is(g.rootNamespace, 'istio-config');
  assert.equal(runRules(g, [authzNs, egressNs], {}).map((f) => f.message), []);
});

test.run();
