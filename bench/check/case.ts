/**
 * One bench/check case in its own process (see run.ts):
 *   node --import tsx bench/check/case.ts <parse|check> <dir>
 * parse: read every file and yaml.parseAllDocuments it (the baseline).
 * check: the whole `meshproof check` pipeline with every rule on (profile strict).
 * Runs the work 3 times and reports the fastest, as one JSON line { ms, cpuMs, objects, maxRssMiB }.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runCheck } from '../../src/checks/check.js';
import { DEFAULT_CONFIG } from '../../src/checks/config/index.js';
import { maxRssMiB } from '../lib/measure.js';

const [mode, dir] = process.argv.slice(2);
if (!(mode === 'parse' || mode === 'check') || !dir) {
  console.error('usage: case.ts <parse|check> <dir>');
  process.exit(2);
}
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => path.join(dir, f));

async function once(): Promise<number> {
  if (mode === 'parse') {
    let n = 0;
    for (const f of files) n += parseAllDocuments(fs.readFileSync(f, 'utf8')).length;
    return n;
  }
  const run = await runCheck({ paths: [dir], cwd: process.cwd(), config: DEFAULT_CONFIG, profile: 'strict', today: '2026-01-01' });
  if (run.unusableInput) throw new Error(`generated mesh is unusable: ${run.problems.map((p) => p.message).join('; ')}`);
  return run.result.summary.objects;
}

let best = Infinity;
let bestCpu = Infinity;
let objects = 0;
for (let i = 0; i < 3; i++) {
  const start = performance.now();
  const cpu = process.cpuUsage();
  objects = await once();
  best = Math.min(best, performance.now() - start);
  const used = process.cpuUsage(cpu);
  bestCpu = Math.min(bestCpu, (used.user + used.system) / 1000);
}
// CPU time (all threads of this process) as well as wall time: on a shared machine it is the steadier figure.
console.log(JSON.stringify({ ms: Math.round(best), cpuMs: Math.round(bestCpu), objects, maxRssMiB: maxRssMiB() }));
