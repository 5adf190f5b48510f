/**
 * bench/check memory: peak RSS, V8 heap and wall time of `meshproof check` on large inputs, against
 * the same byte count as normal-sized manifests in the same run (each case in a fresh process),
 * and whether each input still checks under a 256 MB old-space limit.
 *
 *   npm run bench:check:memory            # 20 MiB per input
 *   npm run bench:check:memory -- 50      # another size, in MiB
 *
 * Cases (all ConfigMaps, so the rules have nothing to say and the figures are the loader's):
 * - normal-sized manifests (the baseline): 1 KB ConfigMaps in block style, 1,000 per file;
 * - one ConfigMap of N MiB: 1,000-character double-quoted values, `metadata` as a flow mapping (so
 *   `yaml`'s Composer reads it, as it reads every JSON file);
 * - the same ConfigMap in block style (read by FastComposer);
 * - N MiB of 1 KB ConfigMaps in one file, flow-style `metadata` and `data`.
 * Target: peak RSS within 3x the baseline's, and every case checks under a 256 MB heap.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fmt } from '../lib/measure.js';

const mib = Number(process.argv[2] ?? 20);
const bytes = mib * 1024 * 1024;
const MAX_RSS_RATIO = 3;
const SMALL_HEAP_MB = 256;

interface MemoryResult {
  readonly ms: number;
  readonly objects: number;
  readonly findings: number;
  readonly unusable: string | null;
  readonly maxRssMiB: number;
  readonly peakHeapMiB: number;
  readonly retainedHeapMiB: number;
}

/** Writes lines from `next` into `file` until it holds `bytes`; returns the count of items written. */
function writeUntil(file: string, bytes: number, next: (i: number) => string): number {
  const fd = fs.openSync(file, 'w');
  let written = 0;
  let i = 0;
  try {
    while (written < bytes) {
      const chunk = next(i++);
      fs.writeSync(fd, chunk);
      written += Buffer.byteLength(chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
  return i;
}

const value = (i: number, n: number) => `${i}`.padEnd(n, 'x');

function writeInputs(dir: string): Record<string, string> {
  const normal = path.join(dir, 'normal');
  fs.mkdirSync(normal);
  const perFile = 1000;
  const blockDoc = (i: number) => `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${i}\n  namespace: team-${i % 50}\ndata:\n  key: "${value(i, 900)}"\n`;
  for (let f = 0, written = 0; written < bytes; f++) {
    const file = path.join(normal, `part-${String(f).padStart(4, '0')}.yaml`);
    const docs: string[] = [];
    for (let i = f * perFile; i < (f + 1) * perFile && written < bytes; i++) {
      docs.push(blockDoc(i));
      written += docs[docs.length - 1]!.length;
    }
    fs.writeFileSync(file, docs.join(''));
  }
  const flowOne = path.join(dir, 'one-configmap-flow.yaml');
  writeUntil(flowOne, bytes, (i) => (i === 0 ? 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: a}\ndata:\n' : `  k${i}: "${value(i, 1000)}"\n`));
  const blockOne = path.join(dir, 'one-configmap-block.yaml');
  writeUntil(blockOne, bytes, (i) => (i === 0 ? 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: a\ndata:\n' : `  k${i}: "${value(i, 1000)}"\n`));
  const many = path.join(dir, 'many-configmaps-flow.yaml');
  writeUntil(many, bytes, (i) => `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}, namespace: a}\ndata: {k: "${value(i, 900)}"}\n`);
  return {
    [`normal-sized manifests, ${mib} MiB in ${fs.readdirSync(normal).length} files (baseline)`]: normal,
    [`one ConfigMap of ${mib} MiB, flow metadata (yaml's Composer)`]: flowOne,
    [`one ConfigMap of ${mib} MiB, block style (FastComposer)`]: blockOne,
    [`${mib} MiB of 1 KB ConfigMaps in one file, flow style`]: many,
  };
}

function runMemoryCase(input: string, heapMb?: number): MemoryResult | { failed: string } {
  const script = path.join(import.meta.dirname, 'memory-case.ts');
  const heap = heapMb ? [`--max-old-space-size=${heapMb}`] : [];
  const child = spawnSync(process.execPath, [...heap, '--expose-gc', '--import', 'tsx', script, input], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (child.status !== 0) {
    const why = child.signal ?? `exit ${child.status}`;
    const oom = /heap out of memory/.test(child.stderr) ? 'V8 heap out of memory' : (child.stderr.trim().split('\n')[0] ?? '');
    return { failed: `${why}: ${oom}` };
  }
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '') as MemoryResult;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-bench-memory-'));
try {
  const inputs = writeInputs(dir);
  console.log(`inputs: ${mib} MiB each; every case in a fresh process; ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}\n`);
  console.log(`| input | objects | wall time (ms) | peak RSS (MiB) | peak heap (MiB, sampled) | heap held after check (MiB) | RSS vs baseline | time vs baseline | under a ${SMALL_HEAP_MB} MB heap |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  let baseline: MemoryResult | null = null;
  let met = true;
  for (const [name, input] of Object.entries(inputs)) {
    const r = runMemoryCase(input);
    const small = runMemoryCase(input, SMALL_HEAP_MB);
    const smallText = 'failed' in small ? `FAILED (${small.failed})` : small.unusable ? `refused: ${small.unusable.slice(0, 120)}` : `ok, ${fmt(small.ms)} ms, ${fmt(small.maxRssMiB)} MiB RSS`;
    if ('failed' in small) met = false;
    if ('failed' in r) {
      met = false;
      console.log(`| ${name} | | FAILED (${r.failed}) | | | | | | ${smallText} |`);
      continue;
    }
    baseline ??= r;
    const rssRatio = r.maxRssMiB / baseline.maxRssMiB;
    if (rssRatio > MAX_RSS_RATIO) met = false;
    console.log(`| ${name} | ${fmt(r.objects)} | ${fmt(r.ms)} | ${fmt(r.maxRssMiB)} | ${fmt(r.peakHeapMiB)} | ${fmt(r.retainedHeapMiB)} | ${rssRatio.toFixed(2)}x | ${(r.ms / baseline.ms).toFixed(2)}x | ${smallText} |`);
  }
  console.log(`\ntarget: peak RSS within ${MAX_RSS_RATIO}x the baseline's and every input checked under a ${SMALL_HEAP_MB} MB heap: ${met ? 'MET' : 'NOT MET'}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
