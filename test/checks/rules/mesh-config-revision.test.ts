/**
 * validation/mesh-config on a revision's MeshConfig (`istio-<revision>`): validated as the default
 * revision's, and, when the input has no `istio` ConfigMap, an info finding says the checks and xDS
 * use Istio's defaults instead (meshproof applies one MeshConfig, the default revision's).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/validation/mesh-config.js';
import { findingsOf } from './_harness.js';

const map = (name: string, mesh: string) => `apiVersion: v1
kind: ConfigMap
metadata: {name: ${name}, namespace: istio-system}
data:
  mesh: |
${mesh.split('\n').map((l) => `    ${l}`).join('\n')}
`;

test('GIVEN only a revision\'s istio-canary MeshConfig WHEN checked THEN an info finding says it is not applied and how to judge with it', async () => {
  const found = await findingsOf(map('istio-canary', 'trustDomain: corp.example'), [rule]);
  assert.equal(found.map((f) => [f.severity, f.resource?.name]), [['info', 'istio-canary']]);
  assert.match(found[0]!.message, /validated but not applied: the checks and xDS use the --mesh-config file when one is given, else Istio's defaults/);
  assert.match(found[0]!.message, /--mesh-config/);
});

test('GIVEN the istio MeshConfig beside istio-canary WHEN checked THEN no info finding (the default revision\'s applies); a bad value in istio-canary is still an error', async () => {
  const found = await findingsOf(`${map('istio', 'trustDomain: corp.example')}---\n${map('istio-canary', 'connectTimeout: fast')}`, [rule]);
  assert.equal(found.map((f) => [f.severity, f.resource?.name]), [['error', 'istio-canary']]);
});

test('GIVEN a ConfigMap whose data.mesh is null WHEN checked THEN nothing: there is no MeshConfig in it', async () => {
  assert.equal(await findingsOf('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: null\n', [rule]), []);
});

test.run();
