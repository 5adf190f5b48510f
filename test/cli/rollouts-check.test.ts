/**
 * End to end, in process: `meshproof check` and `xds compile` on a realistic Argo Rollouts canary
 * (test/fixtures/rollouts/canary.yaml: Rollout, stable/canary Services, DestinationRule subsets,
 * the VirtualService Argo edits, policies selecting only the Rollout's pods) report nothing and
 * compile the Rollout's sidecar; the same input with one Argo fault is refused at the Rollout's field.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { captureIO } from './_io.js';

const CANARY = readFileSync(fileURLToPath(new URL('../fixtures/rollouts/canary.yaml', import.meta.url)), 'utf8');

async function run(files: Record<string, string>, args: string[]): Promise<{ code: number; out: string; err: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-rollouts-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const cap = captureIO(dir);
  const code = await main(args, cap.io);
  return { code, out: cap.stdout(), err: cap.stderr(), dir };
}

test('GIVEN a realistic Rollout canary WHEN checked with the strict profile THEN no finding at all', async () => {
  const r = await run({ 'canary.yaml': CANARY }, ['check', 'canary.yaml', '--profile', 'strict']);
  try {
    assert.is(r.code, 0, r.out + r.err);
    assert.match(r.out, /^No findings in 1 file \(16 objects/);
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

test('GIVEN the canary whose Rollout names a canary subset the DestinationRule and route lack WHEN checked THEN exit 1 with references/rollout-traffic-routing at the Rollout\'s canarySubsetName and routes lines', async () => {
  const broken = CANARY.replace('canarySubsetName: canary', 'canarySubsetName: preview');
  const line = broken.split('\n').findIndex((l) => l.includes('canarySubsetName: preview')) + 1;
  const r = await run({ 'canary.yaml': broken }, ['check', 'canary.yaml', '--format', 'json']);
  try {
    assert.is(r.code, 1, r.out + r.err);
    const findings = (JSON.parse(r.out) as { findings: { ruleId: string; message: string; location: { line: number } }[] }).findings;
    // The route finding points at routes: [primary] (the line above), the subset one at canarySubsetName.
    assert.equal(findings.map((f) => [f.ruleId, f.location.line]), [['references/rollout-traffic-routing', line - 1], ['references/rollout-traffic-routing', line]]);
    assert.match(findings.map((f) => f.message).join('\n'), /destinationRule\.canarySubsetName "preview" is not a subset of DestinationRule shop\/reviews \(subsets: stable, canary\)/);
    assert.match(findings.map((f) => f.message).join('\n'), /Error: Canary DestinationRule subset 'preview' not found in route"\) for http\[0\] \("primary"\)/);
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

test('GIVEN the canary WHEN xds compile runs THEN the Rollout\'s sidecar gets a dump with its virtualInbound listener beside the Deployment\'s', async () => {
  const r = await run({ 'canary.yaml': CANARY }, ['xds', 'compile', 'canary.yaml', '--out', 'xds']);
  try {
    assert.is(r.code, 0, r.err);
    assert.equal(readdirSync(join(r.dir, 'xds')).sort(), ['shop.frontend.json', 'shop.reviews.json']);
    const dump = JSON.parse(readFileSync(join(r.dir, 'xds', 'shop.reviews.json'), 'utf8')) as { configs: Record<string, unknown>[] };
    const listeners = dump.configs.find((c) => String(c['@type']).endsWith('ListenersConfigDump'))!.dynamic_listeners as { name: string }[];
    assert.ok(listeners.some((l) => l.name === 'virtualInbound'), JSON.stringify(listeners.map((l) => l.name)));
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

test.run();
