/**
 * validation/mesh-config on a revision's MeshConfig (`istio-<revision>`): validated as the default
 * revision's; applied when it is the only one and the input has no `istio` ConfigMap (a revision-only
 * install); with several and no `istio` one, an info finding says the checks and xDS use Istio's defaults.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/validation/mesh-config.js';
import { findingsOf } from './_harness.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';

let n = 0;
const dir = mkdtempSync(path.join(tmpdir(), 'meshproof-revision-'));
function writeTemp(content: string): string {
  const file = path.join(dir, `m${n++}.yaml`);
  writeFileSync(file, content);
  return file;
}

const map = (name: string, mesh: string) => `apiVersion: v1
kind: ConfigMap
metadata: {name: ${name}, namespace: istio-system}
data:
  mesh: |
${mesh.split('\n').map((l) => `    ${l}`).join('\n')}
`;

test('GIVEN only one revision\'s istio-canary MeshConfig WHEN checked THEN it is applied (a revision-only install): no info finding, and the graph reads its trust domain', async () => {
  assert.equal(await findingsOf(map('istio-canary', 'trustDomain: corp.example'), [rule]), []);
  const graph = MeshGraph.from((await loadInputs([writeTemp(map('istio-canary', 'trustDomain: corp.example'))])).files);
  assert.is(graph.trustDomain, 'corp.example');
  assert.is(graph.meshConfigSource?.name, 'istio-canary');
  assert.is(graph.meshConfigAssumed, false);
});

test('GIVEN two revisions\' MeshConfigs and no istio one WHEN checked THEN an info finding on each says it is not applied and how to judge with it', async () => {
  const found = await findingsOf(`${map('istio-canary', 'trustDomain: corp.example')}---\n${map('istio-stable', 'trustDomain: corp.example')}`, [rule]);
  assert.equal(found.map((f) => [f.severity, f.resource?.name]), [['info', 'istio-canary'], ['info', 'istio-stable']]);
  assert.match(found[0]!.message, /validated but not applied: the checks and xDS use the --mesh-config file when one is given, else Istio's defaults/);
  assert.match(found[0]!.message, /--mesh-config/);
  const graph = MeshGraph.from((await loadInputs([writeTemp(`${map('istio-canary', 'trustDomain: corp.example')}---\n${map('istio-stable', 'trustDomain: corp.example')}`)])).files);
  assert.is(graph.trustDomain, 'cluster.local');
  assert.is(graph.meshConfigAssumed, true);
});

test('GIVEN the istio MeshConfig beside istio-canary WHEN checked THEN no info finding (the default revision\'s applies); a bad value in istio-canary is still an error', async () => {
  const found = await findingsOf(`${map('istio', 'trustDomain: corp.example')}---\n${map('istio-canary', 'connectTimeout: fast')}`, [rule]);
  assert.equal(found.map((f) => [f.severity, f.resource?.name]), [['error', 'istio-canary']]);
});

test('GIVEN a ConfigMap whose data.mesh is null WHEN checked THEN nothing: there is no MeshConfig in it', async () => {
  assert.equal(await findingsOf('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: null\n', [rule]), []);
});

test.run();
