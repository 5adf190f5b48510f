/**
 * bench/check: checks a generated 10,000-object mesh with every rule on, and parses the same files
 * with `yaml` alone as the baseline, in the same run (each in a fresh process; best of 3).
 *
 *   npm run bench:check              # 10,000 objects
 *   npm run bench:check -- 50000     # another size
 *
 * Target: check time at most 1.5x the parse time of the same bytes (issue #7).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fmt, runCase, type CaseResult } from '../lib/measure.js';
import { writeMesh } from './generate.js';

const target = Number(process.argv[2] ?? 10_000);
const MAX_RATIO = 1.5;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-bench-check-'));
try {
  const written = writeMesh(dir, target);
  const bytes = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  const script = path.join(import.meta.dirname, 'case.ts');
  const parse = runCase(script, ['parse', dir]) as CaseResult & { cpuMs: number };
  const check = runCase(script, ['check', dir]) as CaseResult & { cpuMs: number };
  if (parse.objects !== written || check.objects !== written) throw new Error(`object counts differ: wrote ${written}, parsed ${parse.objects}, checked ${check.objects}`);
  const ratio = check.ms / parse.ms;
  console.log(`mesh: ${fmt(written)} objects, ${fmt(bytes / 1024 / 1024, 1)} MiB of YAML in ${fs.readdirSync(dir).length} files\n`);
  const cpuRatio = check.cpuMs / parse.cpuMs;
  const load = os.loadavg()[0]!.toFixed(1);
  console.log('| step | wall time (ms) | CPU time (ms) | objects/s | peak RSS (MiB) | wall vs parse | CPU vs parse |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  console.log(`| yaml.parseAllDocuments (baseline) | ${fmt(parse.ms)} | ${fmt(parse.cpuMs)} | ${fmt(written / (parse.ms / 1000))} | ${fmt(parse.maxRssMiB)} | 1.00x | 1.00x |`);
  console.log(`| meshproof check, every rule | ${fmt(check.ms)} | ${fmt(check.cpuMs)} | ${fmt(written / (check.ms / 1000))} | ${fmt(check.maxRssMiB)} | ${ratio.toFixed(2)}x | ${cpuRatio.toFixed(2)}x |`);
  console.log(`\ncheck / parse = ${ratio.toFixed(2)}x wall, ${cpuRatio.toFixed(2)}x CPU (target <= ${MAX_RATIO}x): ${ratio <= MAX_RATIO && cpuRatio <= MAX_RATIO ? 'MET' : 'NOT MET'}; load average ${load} on ${os.cpus().length} cores`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
