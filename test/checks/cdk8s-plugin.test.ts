import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateManifests, type Cdk8sValidationContext } from '../../src/checks/cdk8s-plugin.js';
import { FIXTURES } from '../cli/_io.js';

async function summary(fixture: string): Promise<{ status: string; findings: string; ruleNames: string[] }> {
  const out = { status: '', findings: '', ruleNames: [] as string[] };
  const context: Cdk8sValidationContext = {
    manifests: [join(FIXTURES, fixture, 'dist/mesh.yaml')],
    metadata: {},
    report: {
      addViolation: (v) => void out.ruleNames.push(v.ruleName),
      submit: (status, metadata) => Object.assign(out, { status, findings: metadata?.['Findings'] ?? '' }),
    },
    logger: { log: () => undefined },
  };
  await validateManifests(context, { failOn: 'error' }, join(FIXTURES, fixture));
  return out;
}

test('GIVEN a synth with one error WHEN the plugin reports THEN the findings line says "1 error", not "1 errors"', async () => {
  const broken = await summary('broken');
  assert.is(broken.status, 'failure');
  assert.ok(broken.ruleNames.some((r) => r.endsWith('(IST0101)')), broken.ruleNames.join(', '));
  assert.is(broken.findings, '1 error, 0 warnings, 0 info, 0 suppressed');
  const clean = await summary('clean');
  assert.is(clean.status, 'success');
  assert.is(clean.findings, '0 errors, 0 warnings, 0 info, 0 suppressed');
});

test('GIVEN an app that synthesized no manifest WHEN the plugin reports THEN it fails saying the app synthesized nothing and how to fix it, not a flag cdk8s does not have', async () => {
  let recommendation = '';
  let locations: string[] = [];
  let status = '';
  const context: Cdk8sValidationContext = {
    manifests: [], metadata: {},
    report: {
      addViolation: (v) => { recommendation = v.recommendation; locations = v.violatingResources.flatMap((r) => r.locations); },
      submit: (s) => { status = s; },
    },
    logger: { log: () => undefined },
  };
  await validateManifests(context, { failOn: 'error' }, join(FIXTURES, 'clean'));
  assert.is(status, 'failure');
  assert.match(locations.join('\n'), 'no Kubernetes objects in the input (no manifest file (.yaml, .yml, .json) was found), so nothing was checked. The app synthesized nothing: add a Chart with constructs to the MeshApp in apps/main.ts');
  assert.not.match(locations.join('\n') + recommendation, '--allow-empty');
});

test.run();
