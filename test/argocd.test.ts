/**
 * The Argo CD Application meshproof generates, validated against Argo CD's own CRD schema
 * (schemas/argocd/application-crd.yaml, vendored byte for byte), and the sync waves of the
 * synthesized dist/: the config VirtualServices reference lands before them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Ajv } from 'ajv';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planScaffold } from '../src/cli/init-command.js';
import { argoCdApplication } from '../src/gitops/argocd-application.js';
import { ROOT } from './_project.js';

const crd = parse(fs.readFileSync(path.join(ROOT, 'schemas/argocd/application-crd.yaml'), 'utf8')) as { spec: { versions: { name: string; schema: { openAPIV3Schema: object } }[] } };
const v1alpha1 = crd.spec.versions.find((v) => v.name === 'v1alpha1')!;
const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(v1alpha1.schema.openAPIV3Schema);

test('GIVEN the Application meshproof init writes WHEN validated against the Argo CD CRD schema THEN it is valid and syncs only the synthesized manifests', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-argocd-'));
  try {
    const files = planScaffold({ dir, name: 'payments', repoUrl: 'https://github.com/acme/payments.git' });
    const file = files.find((f) => f.path === 'argocd/application.yaml');
    assert.ok(file, files.map((f) => f.path).join(', '));
    const app = parse(file!.content) as Record<string, any>;
    assert.ok(validate(app), JSON.stringify(validate.errors?.slice(0, 3)));
    assert.is(app.kind, 'Application');
    assert.is(app.metadata.name, 'payments');
    assert.equal(app.spec.source, { repoURL: 'https://github.com/acme/payments.git', targetRevision: 'HEAD', path: 'dist', directory: { recurse: false, include: '*.k8s.yaml' } });
    assert.is(app.spec.syncPolicy.automated.prune, true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN an Application with a misspelled field or a wrong type WHEN validated THEN the schema rejects it', () => {
  const good = argoCdApplication({ name: 'x', repoURL: 'https://example.com/r.git' }) as Record<string, any>;
  assert.ok(validate(good));
  const badType = structuredClone(good);
  badType.spec.source.directory.recurse = 'no';
  assert.not.ok(validate(badType));
  const missing = structuredClone(good);
  delete missing.spec.destination;
  assert.not.ok(validate(missing));
  assert.ok(stringify(good).includes('include: "*.k8s.yaml"'));
});

const wave = (o: { metadata?: { annotations?: Record<string, string> } }) => Number(o.metadata?.annotations?.['argocd.argoproj.io/sync-wave'] ?? '0');

test('GIVEN the synthesized dist/ WHEN read as Argo CD orders a sync THEN Namespaces come first, then DestinationRules and Gateways, before the VirtualServices that use them', () => {
  const objects = fs.readdirSync(path.join(ROOT, 'dist')).flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(ROOT, 'dist', f), 'utf8')).map((d) => d.toJS() as { kind: string; metadata?: { annotations?: Record<string, string> } }));
  const wavesOf = (kind: string) => objects.filter((o) => o.kind === kind).map(wave);
  assert.ok(wavesOf('VirtualService').length > 0 && wavesOf('DestinationRule').length > 0 && wavesOf('Gateway').length > 0);
  const firstVs = Math.min(...wavesOf('VirtualService'));
  assert.ok(Math.max(...wavesOf('DestinationRule'), ...wavesOf('Gateway')) < firstVs, 'config VirtualServices reference lands in an earlier wave');
  assert.ok(Math.max(...wavesOf('Namespace')) < Math.min(...objects.filter((o) => o.kind !== 'Namespace').map(wave)), 'Namespaces before everything they hold');
});

test('GIVEN an object whose app already set a sync wave WHEN waves are added THEN the app\'s wins; a kind with no wave gets no annotation', async () => {
  const { App, Chart, ApiObject } = await import('cdk8s');
  const { addSyncWaves } = await import('../src/app/sync-waves.js');
  const app = new App();
  const chart = new Chart(app, 'c');
  new ApiObject(chart, 'dr', { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'a', annotations: { 'argocd.argoproj.io/sync-wave': '5' } } });
  new ApiObject(chart, 'gw', { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'g' } });
  new ApiObject(chart, 'vs', { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'v' } });
  addSyncWaves(app);
  const [dr, gw, vs] = chart.toJson() as { metadata: { annotations?: Record<string, string> } }[];
  assert.is(dr!.metadata.annotations?.['argocd.argoproj.io/sync-wave'], '5');
  assert.is(gw!.metadata.annotations?.['argocd.argoproj.io/sync-wave'], '-1');
  assert.is(vs!.metadata.annotations, undefined);
});

test.run();
