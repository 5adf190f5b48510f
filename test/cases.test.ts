/**
 * The case suite: inputs rebuilt from public Istio bug reports (real-world/), checks peer tools
 * ship (peer-checks/), and inputs on which meshproof must agree with `istioctl analyze`
 * (istio-parity/). Each case stands for a class of fault; its verdict is data next to it:
 *   <folder>/expected.json  [{ file, why, want?: [Want], notWant?: [Want] }] where a Want is
 *                           { minSeverity, kind, name } (or { minSeverity, anyOf: [{kind,name}] }),
 *                           optionally with messageIncludes: a finding at or above minSeverity
 *                           on that resource must (want) / must not (notWant) exist; findings whose
 *                           IST code is in exceptCodes do not count (a notWant about routing beside
 *                           Istio's schema warnings on the same object);
 *   istio-parity…/*.yaml  the header's `# CODES:` lists IST codes, `# EXPECT-ISTIO:` lines what
 *                           Istio reports: for those codes meshproof's findings must be exactly those.
 * Checked as `meshproof check --profile strict` does; an optional `<file>.config.yaml` next to a
 * case is its meshproof.config.yaml.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCheck } from '../src/checks/check.js';
import { ruleCatalogue } from '../src/checks/check.js';
import { DEFAULT_CONFIG, loadConfigFile } from '../src/checks/config/index.js';
import type { Finding, Severity } from '../src/checks/types.js';

const ROOT = path.resolve(import.meta.dirname, 'fixtures/cases');
const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

interface Ref { readonly kind: string; readonly name: string }
interface Want extends Partial<Ref> { readonly minSeverity: Severity; readonly anyOf?: readonly Ref[]; readonly messageIncludes?: string; readonly exceptCodes?: readonly string[] }
interface Case { readonly file: string; readonly why: string; readonly want?: readonly Want[]; readonly notWant?: readonly Want[] }

/**
 * The findings of one case file, checked once: 44 istio-parity-variants files are both an
 * expected.json case and a parity case, and the same file, config and date give the same findings.
 */
const checked = new Map<string, Promise<readonly Finding[]>>();
function findingsOf(file: string): Promise<readonly Finding[]> {
  let found = checked.get(file);
  if (!found) checked.set(file, (found = check(file)));
  return found;
}

async function check(file: string): Promise<readonly Finding[]> {
  const configFile = `${file}.config.yaml`;
  const config = fs.existsSync(configFile) ? loadConfigFile(configFile, ruleCatalogue()) : DEFAULT_CONFIG;
  const run = await runCheck({ paths: [file], cwd: path.dirname(file), config, profile: 'strict', today: '2026-01-01' });
  assert.is(run.unusableInput, false, `${file}: ${JSON.stringify(run.problems)}`);
  return run.result.findings;
}

const hits = (f: Finding, w: Want): boolean =>
  RANK[f.severity] >= RANK[w.minSeverity] &&
  (w.anyOf ?? [w as Ref]).some((a) => f.resource?.kind === a.kind && f.resource?.name === a.name) &&
  (!w.messageIncludes || f.message.includes(w.messageIncludes)) &&
  !(f.istioCode !== null && (w.exceptCodes ?? []).includes(f.istioCode));
const show = (fs: readonly Finding[]) => fs.map((f) => `  ${f.severity} ${f.istioCode ?? '-'} ${f.ruleId} ${f.resource?.kind} ${f.resource?.namespace}/${f.resource?.name}: ${f.message}`).join('\n');

for (const folder of fs.readdirSync(ROOT).sort()) {
  const dir = path.join(ROOT, folder);
  const expectedFile = path.join(dir, 'expected.json');
  if (!fs.existsSync(expectedFile)) continue;
  for (const c of JSON.parse(fs.readFileSync(expectedFile, 'utf8')) as Case[]) {
    test(`${folder}/${c.file}: GIVEN ${c.why} WHEN checked THEN the verdict holds`, async () => {
      const found = await findingsOf(path.join(dir, c.file));
      for (const w of c.want ?? []) assert.ok(found.some((f) => hits(f, w)), `missing ${JSON.stringify(w)}; found:\n${show(found)}`);
      for (const w of c.notWant ?? []) assert.not.ok(found.some((f) => hits(f, w)), `unwanted ${JSON.stringify(w)}; found:\n${show(found)}`);
    });
  }
}

for (const folder of fs.readdirSync(ROOT).filter((n) => n.startsWith('istio-parity')).sort()) {
  const parity = path.join(ROOT, folder);
  for (const file of fs.readdirSync(parity).filter((n) => n.endsWith('.yaml') && !n.endsWith('.config.yaml')).sort()) {
    const text = fs.readFileSync(path.join(parity, file), 'utf8');
    const codes = new Set((text.match(/^# CODES: (.*)$/m)?.[1] ?? '').trim().split(/\s+/));
    const want = [...text.matchAll(/^# EXPECT-ISTIO: (.*)$/gm)].map((m) => m[1]!.replace(/\s+\(.*$/, '').trim()).filter((s) => s && s !== '(none)').sort();
    test(`${folder}/${file}: GIVEN codes ${[...codes].join(' ')} WHEN checked THEN exactly Istio's findings (${want.join(', ') || 'none'})`, async () => {
      const found = (await findingsOf(path.join(parity, file))).filter((f) => f.istioCode !== null && codes.has(f.istioCode));
      const got = [...new Set(found.map((f) => `${f.istioCode} ${f.resource?.kind} ${f.resource?.namespace}/${f.resource?.name}`))].sort();
      assert.equal(got, want, show(found));
    });
  }
}

test.run();
