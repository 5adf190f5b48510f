/**
 * bench/synth: synthesizes generated meshes of N services (two versions each: 2 Deployments, a
 * Service, a DestinationRule and a VirtualService per service) with meshproof's constructs, and the
 * same number of plain cdk8s ApiObjects with equivalent content as the baseline, in the same run.
 *
 *   npm run bench:synth               # 100, 1000, 5000 services
 *   npm run bench:synth -- 100 1000   # chosen sizes
 *
 * Target: at 1,000 services, meshproof at most 2x the baseline's wall time.
 */
import * as path from 'node:path';
import { fmt, runCase } from '../lib/measure.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const ns = sizes.length ? sizes : [100, 1000, 5000];
const script = path.join(import.meta.dirname, 'case.ts');

console.log('| services | objects | variant | wall time (ms) | objects/s | peak RSS (MiB) | time vs baseline |');
console.log('|---:|---:|---|---:|---:|---:|---:|');
let worst1000: number | undefined;
for (const n of ns) {
  const base = runCase(script, ['baseline', String(n)]);
  const mesh = runCase(script, ['meshproof', String(n)]);
  const ratio = mesh.ms / base.ms;
  if (n === 1000) worst1000 = ratio;
  for (const [name, r] of [['plain ApiObject (baseline)', base], ['meshproof constructs', mesh]] as const) {
    console.log(`| ${fmt(n)} | ${fmt(r.objects)} | ${name} | ${fmt(r.ms)} | ${fmt(r.objects / (r.ms / 1000))} | ${fmt(r.maxRssMiB)} | ${r === base ? '1.00x' : `${ratio.toFixed(2)}x`} |`);
  }
}
if (worst1000 !== undefined) {
  console.log(`\n1,000 services: ${worst1000.toFixed(2)}x the baseline (target <= 2x): ${worst1000 <= 2 ? 'MET' : 'NOT MET'}`);
}
