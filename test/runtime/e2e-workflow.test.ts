/**
 * The e2e-kind workflow deploys the runtime `meshproof runtime synth` writes and fails when the
 * in-cluster expectations fail. Its shell is linted by workflow-lint.test.ts and its shape by the
 * GitHub workflow schema in workflows.test.ts; this checks the order and the failure paths.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { ROOT } from '../_project.js';

interface Step { name?: string; run?: string; if?: string }
const steps = (parse(fs.readFileSync(path.join(ROOT, '.github/workflows/e2e-kind.yml'), 'utf8')) as { jobs: { kind: { steps: Step[] } } }).jobs.kind.steps;
const index = (needle: string) => steps.findIndex((s) => s.run?.includes(needle));

test('GIVEN e2e-kind.yml WHEN its steps are read in order THEN the image is loaded, then the runtime synthesized with that image, applied, rolled out, and the Job run after it', () => {
  const order = ['kind load docker-image meshproof-runtime:e2e', 'runtime synth dist --out build/runtime --image meshproof-runtime:e2e', 'kubectl apply --server-side -f build/runtime/runtime.k8s.yaml', 'kubectl rollout status', 'kubectl apply --server-side -f build/runtime/expectations-job.k8s.yaml'].map(index);
  assert.ok(order.every((i) => i >= 0), JSON.stringify(order));
  assert.equal([...order].sort((a, b) => a - b), order);
});

test('GIVEN e2e-kind.yml WHEN the runtime is deployed THEN the mesh CA Secret the xDS server and the Job mount (meshproof-ca, ca-cert.pem and ca-key.pem) exists first, made by openssl as a CA', () => {
  const ca = index('kubectl create secret generic meshproof-ca');
  assert.ok(ca >= 0 && ca < index('kubectl apply --server-side -f build/runtime/runtime.k8s.yaml'));
  const run = steps[ca]!.run!;
  assert.match(run, /--from-file=ca-cert\.pem=\S+ --from-file=ca-key\.pem=\S+/);
  assert.match(run, /basicConstraints=critical,CA:TRUE/);
  assert.match(run, /kubectl create namespace meshproof-system/);
});

test('GIVEN the Job step WHEN the Job fails or never finishes THEN the step exits 1 with an error annotation, and its logs are followed while it runs', () => {
  const run = steps[index('expectations-job.k8s.yaml')]!.run!;
  assert.match(run, /kubectl logs --follow "job\/\$job"/);
  assert.match(run, /elif \[ "\$\{failed:-0\}" -ge 1 \]; then\n\s+echo "::error::[^\n]+"\n\s+exit 1/);
  assert.match(run, /else\n\s+echo "::error::[^\n]+did not finish[^\n]+"\n\s+exit 1/);
});

test('GIVEN a failure anywhere WHEN the job ends THEN a diagnostics step prints pods, events and the runtime\'s logs', () => {
  const diag = steps.at(-1)!;
  assert.is(diag.if, 'failure()');
  for (const needle of ['kubectl get pods --all-namespaces', 'kubectl get events --all-namespaces', 'deployment/meshproof-xds', 'job/meshproof-expectations']) assert.ok(diag.run!.includes(needle), needle);
});

test.run();
