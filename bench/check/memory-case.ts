/**
 * One bench/check memory case in its own process (see memory.ts):
 *   node --expose-gc --import tsx bench/check/memory-case.ts <path>
 * Runs the whole `meshproof check` pipeline once (profile strict) on <path> and prints one JSON
 * line: { ms, objects, findings, unusable, maxRssMiB, peakHeapMiB, retainedHeapMiB }.
 * peakHeapMiB is the largest V8 heap seen by a sampler on a worker-free timer, so it misses peaks
 * between samples inside long synchronous work; peak RSS is the figure that cannot be missed.
 */
import * as v8 from 'node:v8';
import { runCheck } from '../../src/checks/check.js';
import { DEFAULT_CONFIG } from '../../src/checks/config/index.js';
import { maxRssMiB } from '../lib/measure.js';

const target = process.argv[2];
if (!target) {
  console.error('usage: memory-case.ts <path>');
  process.exit(2);
}
const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
let peakHeap = 0;
const sample = () => (peakHeap = Math.max(peakHeap, v8.getHeapStatistics().used_heap_size));
const timer = setInterval(sample, 20);
const start = performance.now();
const run = await runCheck({ paths: [target], cwd: process.cwd(), config: DEFAULT_CONFIG, profile: 'strict', today: '2026-01-01' });
const ms = performance.now() - start;
clearInterval(timer);
sample();
const keep = run.result.summary.objects;
(globalThis as { gc?: () => void }).gc?.();
console.log(JSON.stringify({
  ms: Math.round(ms),
  objects: keep,
  findings: run.result.findings.length,
  unusable: run.unusableInput ? run.problems.filter((p) => p.unusable).map((p) => `${p.code}: ${p.message}`).slice(0, 1).join('') : null,
  maxRssMiB: maxRssMiB(),
  peakHeapMiB: mib(peakHeap),
  retainedHeapMiB: mib(v8.getHeapStatistics().used_heap_size),
}));
