/**
 * README "--context": no finding is ever reported on a context file. The configured MeshConfig file kept
 * in context/ is not a manifest; its `input/not-a-manifest` notice must not reach the PR on every run.
 * A context file that does not parse still makes the run unusable (exit 2), named from the project root.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateManifests, type Cdk8sValidationContext } from '../../src/checks/cdk8s-plugin.js';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../cli/_io.js';

const APP = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cart, namespace: shop}
spec:
  hosts: [cart]
  http: [{route: [{destination: {host: ledger}}]}]
`;
const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec: {selector: {app: cart}, ports: [{name: http, port: 80}]}
`;

function project(extraContext: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-ctxnote-'));
  for (const d of ['dist', 'context', '.meshproof/synth']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'meshproof.config.yaml'), 'context: [context]\nmeshConfig: context/mesh-config.yaml\n');
  writeFileSync(join(dir, 'context', 'mesh-config.yaml'), 'outboundTrafficPolicy: {mode: ALLOW_ANY}\n');
  writeFileSync(join(dir, 'context', 'platform.yaml'), SERVICE);
  for (const [name, text] of Object.entries(extraContext)) writeFileSync(join(dir, 'context', name), text);
  writeFileSync(join(dir, 'dist', 'app.yaml'), APP);
  return dir;
}

async function plugin(dir: string, cwd: string): Promise<{ status: string; text: string }> {
  const out = { status: '', text: '' };
  const context: Cdk8sValidationContext = {
    manifests: [join(dir, 'dist', 'app.yaml')], metadata: {},
    report: {
      addViolation: (v) => { out.text += v.violatingResources.map((r) => `${r.manifestPath} ${r.locations.join(' ')}`).join('\n') + '\n'; },
      submit: (s) => { out.status = s; },
    },
    logger: { log: () => undefined },
  };
  await validateManifests(context, { failOn: 'error' }, cwd);
  return out;
}

test('GIVEN the configured mesh-config.yaml inside a context folder WHEN checked THEN no notice on it, and the app finding is still reported', async () => {
  const dir = project();
  try {
    const io = captureIO(dir);
    const code = await main(['check', 'dist', '--format', 'json'], io.io);
    const findings = (JSON.parse(io.stdout()) as { findings: { ruleId: string; location: { file: string } }[] }).findings;
    assert.equal(findings.filter((f) => f.location.file.startsWith('context')), [], JSON.stringify(findings));
    assert.ok(findings.some((f) => f.ruleId === 'references/host-not-found' || f.location.file === 'dist/app.yaml'), JSON.stringify(findings));
    assert.is(code, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN the cdk8s plugin run from .meshproof/synth WHEN it reports THEN no context notice, and paths are from the project root', async () => {
  const dir = project();
  try {
    const r = await plugin(dir, join(dir, '.meshproof', 'synth'));
    assert.is(r.status, 'failure');
    assert.not.match(r.text, 'mesh-config.yaml');
    assert.match(r.text, 'dist/app.yaml');
    assert.not.match(r.text, '../');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a context file that does not parse WHEN checked THEN exit 2 naming it from the project root (fatal problems are kept)', async () => {
  const dir = project({ 'broken.yaml': 'kind: [unclosed\n' });
  try {
    const io = captureIO(dir);
    assert.is(await main(['check', 'dist'], io.io), 2);
    assert.match(io.stdout() + io.stderr(), 'context/broken.yaml');
    const r = await plugin(dir, join(dir, '.meshproof', 'synth'));
    assert.is(r.status, 'failure');
    assert.match(r.text, 'context/broken.yaml');
    assert.not.match(r.text, '../');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN dist/ re-defining an object of the context WHEN checked THEN references/duplicate-object on the dist copy, naming the context file', async () => {
  const dir = project({ 'dup.yaml': APP, 'dup-twice.yaml': SERVICE.replace('name: cart', 'name: platform-only') + '---\n' + SERVICE.replace('name: cart', 'name: platform-only') });
  try {
    const io = captureIO(dir);
    await main(['check', 'dist', '--format', 'json'], io.io);
    const findings = (JSON.parse(io.stdout()) as { findings: { ruleId: string; message: string; location: { file: string; line: number } }[] }).findings;
    const dups = findings.filter((f) => f.ruleId === 'references/duplicate-object');
    // One finding, on the input copy; the duplicate inside the context (platform-only) is the platform's business.
    assert.equal(dups.map((f) => `${f.location.file}:${f.location.line}`), ['dist/app.yaml:1'], JSON.stringify(dups));
    assert.match(dups[0]!.message, 'VirtualService shop/cart is also defined by context file context/dup.yaml:1');
    assert.match(dups[0]!.message, 'Delete one copy');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
