/**
 * bench/check adversarial: inputs that pile many objects onto one host, port, namespace, workload
 * or certificate (see adversarial-cases.ts), checked with every rule at n = 1,000, 2,000 and
 * 4,000, each size in a fresh process. Prints per case and size the wall time, CPU time, peak
 * RSS and report size, and the growth of CPU time per doubling of n: about 2x is linear, 4x is
 * quadratic. CPU time is the figure compared, since wall time moves with the machine's load.
 *
 *   npm run bench:check:adversarial                        # every case, n = 1000 2000 4000
 *   npm run bench:check:adversarial -- --sizes 250,500     # other sizes
 *   npm run bench:check:adversarial -- --case mesh-virtualservices-one-host
 *   npm run bench:check:adversarial -- --rules             # also the three slowest rules per run
 *
 * Exits 1 when a case grows by more than `--max-growth` (default 3) per doubling.
 */
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fmt } from '../lib/measure.js';
import { CASES } from './adversarial-cases.js';

interface Result {
  readonly ms: number;
  readonly cpuMs: number;
  readonly objects: number;
  readonly findings: number;
  readonly outputBytes: number;
  readonly maxRssMiB: number;
  readonly rules?: Record<string, number>;
}

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,2000,4000' },
    case: { type: 'string', multiple: true },
    rules: { type: 'boolean', default: false },
    'max-growth': { type: 'string', default: '3' },
  },
});
const sizes = values.sizes.split(',').map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sizes must be positive integers: ${values.sizes}`);
const selected = values.case ? CASES.filter((c) => values.case!.includes(c.name)) : CASES;
if (selected.length === 0) throw new Error(`no such case: ${values.case!.join(', ')}; cases: ${CASES.map((c) => c.name).join(', ')}`);
const maxGrowth = Number(values['max-growth']);
const script = path.join(import.meta.dirname, 'adversarial-case.ts');

function run(name: string, n: number): Result {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=8192', script, name, String(n), ...(values.rules ? ['--rules'] : [])], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`${name} n=${n} failed (${child.status}):\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '') as Result;
}

const slowest = (r: Result): string =>
  Object.entries(r.rules ?? {}).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([id, ms]) => `${id} ${fmt(ms)} ms`).join(', ');

let failed = 0;
let totalBytes = 0;
console.log(`| case | n | objects | findings | wall (ms) | CPU (ms) | CPU growth | peak RSS (MiB) | report (bytes) |${values.rules ? ' slowest rules |' : ''}`);
console.log(`|---|---:|---:|---:|---:|---:|---:|---:|---:|${values.rules ? '---|' : ''}`);
for (const c of selected) {
  let previous: { n: number; cpuMs: number } | undefined;
  let worst = 0;
  for (const n of sizes) {
    const r = run(c.name, n);
    totalBytes += r.outputBytes;
    // Growth normalised to a doubling of n: (t2/t1)^(1/log2(n2/n1)).
    const growth = previous && previous.cpuMs > 0 ? (r.cpuMs / previous.cpuMs) ** (1 / Math.log2(n / previous.n)) : undefined;
    if (growth !== undefined) worst = Math.max(worst, growth);
    console.log(
      `| ${c.name} | ${fmt(n)} | ${fmt(r.objects)} | ${fmt(r.findings)} | ${fmt(r.ms)} | ${fmt(r.cpuMs)} | ${growth === undefined ? '' : `${growth.toFixed(2)}x`} | ${fmt(r.maxRssMiB)} | ${fmt(r.outputBytes)} |${values.rules ? ` ${slowest(r)} |` : ''}`,
    );
    previous = { n, cpuMs: r.cpuMs };
  }
  if (worst > maxGrowth) {
    failed++;
    console.error(`${c.name}: CPU time grows ${worst.toFixed(2)}x per doubling of n (limit ${maxGrowth}x): quadratic somewhere in ${c.rules.join(', ')}`);
  }
}
console.log(`\ntotal report output: ${fmt(totalBytes)} bytes over ${selected.length} cases x ${sizes.length} sizes`);
console.log(`growth per doubling, CPU time: linear ~2x, quadratic ~4x; limit ${maxGrowth}x: ${failed === 0 ? 'MET' : `NOT MET for ${failed} case(s)`}`);
process.exit(failed === 0 ? 0 : 1);
