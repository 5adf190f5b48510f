import * as fs from 'node:fs';
import * as os from 'node:os';
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

test('GIVEN a project with meshproof.config.yaml whose synth is staged in .meshproof/synth WHEN the plugin checks the stage THEN findings show the published path dist/…:line with the TS line, not the stage folder', async () => {
  const project = fs.mkdtempSync(join(os.tmpdir(), 'meshproof-plugin-'));
  try {
    fs.writeFileSync(join(project, 'meshproof.config.yaml'), 'profile: recommended\n');
    const stage = join(project, '.meshproof/synth');
    fs.cpSync(join(FIXTURES, 'broken/dist'), join(stage, 'dist'), { recursive: true });
    fs.mkdirSync(join(stage, '.meshproof'));
    fs.writeFileSync(join(stage, '.meshproof/sourcemap.json'), JSON.stringify({ version: 1, objects: {
      'dist/mesh.yaml#1': { kind: 'VirtualService', namespace: 'default', name: 'reviews', constructPath: 'mesh/reviews', file: 'apps/main.ts', line: 12 },
    } }));
    const locations: string[] = [];
    const context: Cdk8sValidationContext = {
      manifests: ['dist/mesh.yaml'], metadata: {},
      report: { addViolation: (v) => void locations.push(...v.violatingResources.flatMap((r) => [r.manifestPath, ...r.locations])), submit: () => undefined },
      logger: { log: () => undefined },
    };
    await validateManifests(context, { failOn: 'error' }, stage);
    assert.ok(locations.length > 0, 'no finding reported');
    for (const l of locations) assert.not.match(l, '.meshproof', l);
    assert.match(locations.join('\n'), /^error dist\/mesh\.yaml:\d+:\d+ \(apps\/main\.ts:12\) /m);
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
});

test.run();
