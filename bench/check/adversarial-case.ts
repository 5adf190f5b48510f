/**
 * One adversarial case at one size, in its own process (see adversarial.ts):
 *   node --import tsx bench/check/adversarial-case.ts <case> <n> [--rules]
 * Writes the case's YAML to a temporary folder and runs the whole `meshproof check` pipeline over
 * it once (profile strict), then renders the text report. Prints one JSON line:
 *   { ms, cpuMs, objects, findings, outputBytes, maxRssMiB, rules? }
 * `ms` (wall) and `cpuMs` (user + system CPU of this process) cover loading, the graph, every rule, suppressions and the text report. With `--rules`
 * it also times each rule alone on one graph and adds `rules: { <id>: ms }` (the profile).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { runCheck } from '../../src/checks/check.js';
import { DEFAULT_CONFIG } from '../../src/checks/config/index.js';
import { runRules } from '../../src/checks/engine.js';
import { textReporter } from '../../src/checks/reporters/text.js';
import { ALL_RULES } from '../../src/checks/rules/index.js';
import { loadInputs } from '../../src/mesh/load.js';
import { MeshGraph } from '../../src/mesh/graph.js';
import { maxRssMiB } from '../lib/measure.js';
import { CASES } from './adversarial-cases.js';

const [name, size, flag] = process.argv.slice(2);
const c = CASES.find((x) => x.name === name);
const n = Number(size);
if (!c || !Number.isInteger(n) || n < 1) {
  console.error(`usage: adversarial-case.ts <${CASES.map((x) => x.name).join('|')}> <n> [--rules]`);
  process.exit(2);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-adversarial-'));
try {
  const write = (objects: Record<string, unknown>[]) => fs.writeFileSync(path.join(dir, 'input.yaml'), objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
  // Warm-up on the same shape at n = 2, so fixed start-up costs (schema compilation) stay out of the growth.
  write(c.build(2));
  await runCheck({ paths: [dir], cwd: dir, config: DEFAULT_CONFIG, profile: 'strict', today: '2026-01-01' });
  write(c.build(n));

  const start = performance.now();
  const cpu = process.cpuUsage();
  const run = await runCheck({ paths: [dir], cwd: dir, config: DEFAULT_CONFIG, profile: 'strict', today: '2026-01-01' });
  const report = textReporter.render(run.result, { color: false, version: 'bench', cwd: dir });
  const ms = performance.now() - start;
  const cpuUsed = process.cpuUsage(cpu);
  if (run.unusableInput) throw new Error(`case ${name} is unusable input: ${run.problems.map((p) => p.message).join('; ')}`);

  const result: Record<string, unknown> = {
    ms: Math.round(ms),
    cpuMs: Math.round((cpuUsed.user + cpuUsed.system) / 1000),
    objects: run.result.summary.objects,
    findings: run.result.findings.length,
    outputBytes: Buffer.byteLength(report),
    maxRssMiB: maxRssMiB(),
  };
  if (flag === '--rules') {
    const graph = MeshGraph.from((await loadInputs([dir], { cwd: dir })).files);
    const rules: Record<string, number> = {};
    for (const rule of ALL_RULES) {
      const t = performance.now();
      runRules(graph, [rule]);
      rules[rule.id] = Math.round(performance.now() - t);
    }
    result.rules = rules;
  }
  console.log(JSON.stringify(result));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
