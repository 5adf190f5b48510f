/**
 * Paired A/B of the proxy's own CPU per request: each variant's proxy (this checkout, and the one
 * at BENCH_BASE_ROOT, e.g. a worktree of an earlier commit) runs in a child process of its own
 * (bench/proxy/ab-proxy.ts bundled with that checkout's sources by esbuild, as the shipped CLI is) on the bench mesh (bench/proxy/mesh.ts: 90/10 split, Istio's default
 * retry policy); the load generator (an undici pool) and the two backends run here. The child's CPU
 * time comes from /proc/<pid>/task/*\/schedstat (nanoseconds), so the figure is the proxy's alone.
 * Rounds interleave the variants; each is reported by its median round and the ratio as the median
 * of per-round ratios (the figure to trust on a shared machine).
 *
 * The ratio is printed with a 95 % bootstrap interval of that median: on a machine shared with other
 * work, many short rounds (BENCH_REQUESTS=1000 BENCH_ROUNDS=300, about 2 minutes) resolve a few
 * percent where 15 long ones spread over ±7 %.
 * Environment: BENCH_BASE_ROOT (required), BENCH_REQUESTS per round (default 10000),
 * BENCH_CONCURRENCY (default 50), BENCH_ROUNDS (default 5), BENCH_PROXY_NODE_FLAGS (node flags for
 * this checkout's proxy, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 * Run: `BENCH_BASE_ROOT=/tmp/mp-base node --import tsx bench/proxy/ab.ts`. Exit 1 when a request
 * fails or answers other than 200. Every child it starts, it stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'undici';
import { BACKENDS, median, sendGets, startBackends, startBenchMesh, type BenchMesh } from './mesh.js';

const ROOT = resolve(import.meta.dirname, '../..');
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const BASE_ROOT = process.env.BENCH_BASE_ROOT;
const LISTENER = '0.0.0.0_9080';

interface Variant { readonly name: string; readonly child: ChildProcess; readonly mesh: BenchMesh; readonly pool: Pool; readonly rounds: number[]; user: number; system: number }

/** utime and stime of `pid` so far, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
function userSystem(pid: number): [number, number] {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return [Number(f[11]), Number(f[12])];
}

/** CPU nanoseconds used so far by every thread of `pid`. */
function cpuNs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try { ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]); } catch { /* thread gone */ }
  }
  return ns;
}

/** Bundles bench/proxy/ab-proxy.ts (this checkout's) with `root`'s src/proxy/main.ts into `<vdir>/ab-proxy.cjs`. */
async function bundleVariant(root: string, vdir: string): Promise<string> {
  const esbuild = await import('esbuild');
  const out = join(vdir, 'ab-proxy.cjs');
  const result = await esbuild.build({
    stdin: {
      contents: `import { startProxy } from './src/proxy/main.ts';\nimport { runAbProxy } from ${JSON.stringify(join(ROOT, 'bench/proxy/ab-proxy.ts'))};\nvoid runAbProxy(startProxy, process.argv.slice(2));\n`,
      resolveDir: root, sourcefile: 'ab-proxy-entry.ts', loader: 'ts',
    },
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent', legalComments: 'none',
    define: { 'import.meta.url': '__meshproof_url' },
    banner: { js: `var __meshproof_url = ${JSON.stringify(`file://${join(root, 'src', 'proxy', 'main.ts')}`)};` },
  });
  writeFileSync(out, result.outputFiles[0]!.text);
  return out;
}

async function startVariant(name: string, root: string, backendPort: number, dir: string): Promise<Variant> {
  const vdir = join(dir, name);
  mkdirSync(vdir);
  const bundle = await bundleVariant(root, vdir);
  const mesh = await startBenchMesh(vdir, BACKENDS, backendPort, { host: '127.0.0.1', port: 0 });
  const flags = name === 'head' ? (process.env.BENCH_PROXY_NODE_FLAGS ?? '').split(' ').filter(Boolean) : [];
  const child = spawn(process.execPath, [...flags, bundle, `127.0.0.1:${mesh.adsPort}`, mesh.nodeId, LISTENER], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const port = await new Promise<number>((res, rej) => {
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); const m = /ready (\d+)/.exec(out); if (m) res(Number(m[1])); });
    child.once('exit', (code) => rej(new Error(`bench/proxy/ab.ts: proxy ${name} exited ${code}: ${out.slice(-500)}`)));
  });
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY, pipelining: 1 });
  return { name, child, mesh, pool, rounds: [], user: 0, system: 0 };
}

/** `n` GETs over CONCURRENCY workers; returns the proxy's CPU µs per request. */
async function round(v: Variant, n: number): Promise<number> {
  const c0 = cpuNs(v.child.pid!);
  const [u0, s0] = userSystem(v.child.pid!);
  const failed = await sendGets(v.pool, n, CONCURRENCY);
  const c = cpuNs(v.child.pid!) - c0;
  const [u1, s1] = userSystem(v.child.pid!);
  v.user += u1 - u0;
  v.system += s1 - s0;
  if (failed > 0) throw new Error(`bench/proxy/ab.ts: ${failed} of ${n} requests through ${v.name} failed or were not 200`);
  return c / 1000 / n;
}

async function main(): Promise<void> {
  if (!BASE_ROOT) throw new Error('bench/proxy/ab.ts: set BENCH_BASE_ROOT to the checkout to compare with (git worktree add --detach /tmp/mp-base HEAD~1 && ln -s $PWD/node_modules /tmp/mp-base/)');
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-ab-'));
  const { port, servers } = await startBackends();
  const variants: Variant[] = [];
  try {
    variants.push(await startVariant('base', resolve(BASE_ROOT), port, dir));
    variants.push(await startVariant('head', ROOT, port, dir));
    for (const v of variants) await round(v, Math.min(REQUESTS, 3000));
    console.log(`proxy-only A/B: ${REQUESTS} requests x ${ROUNDS} rounds, ${CONCURRENCY} concurrent; proxy CPU µs per request, median round`);
    for (const v of variants) v.user = v.system = 0;
    for (let i = 0; i < ROUNDS; i++) for (const v of variants) v.rounds.push(await round(v, REQUESTS));
    for (const v of variants) {
      const kernel = (100 * v.system / Math.max(1, v.user + v.system)).toFixed(0);
      console.log(`  ${v.name.padEnd(5)} ${median(v.rounds).toFixed(1).padStart(7)} µs   rounds: ${v.rounds.map((x) => x.toFixed(1)).join(' ')}   (${kernel} % in the kernel)`);
    }
    const paired = variants[1]!.rounds.map((x, i) => x / variants[0]!.rounds[i]!);
    const [lo, hi] = bootstrapInterval(paired);
    console.log(`  head/base ${median(paired).toFixed(3)}, 95 % interval ${lo.toFixed(3)}-${hi.toFixed(3)} (per round: ${paired.map((x) => x.toFixed(2)).join(' ')})`);
  } finally {
    for (const v of variants) {
      await v.pool.close().catch(() => {});
      const exited = new Promise((r) => v.child.once('exit', r));
      v.child.kill('SIGTERM');
      const t = setTimeout(() => v.child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
      await v.mesh.close().catch(() => {});
    }
    for (const s of servers) { s.closeAllConnections(); s.close(); }
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A 95 % bootstrap interval of the median of `xs` (2,000 resamples): how far the reported ratio may
 * be from the true one on this machine. Under load from other processes it narrows with many short
 * rounds (e.g. BENCH_REQUESTS=1000 BENCH_ROUNDS=300) more than with a few long ones.
 */
function bootstrapInterval(xs: readonly number[]): [number, number] {
  const meds: number[] = [];
  for (let b = 0; b < 2000; b++) meds.push(median(xs.map(() => xs[Math.floor(Math.random() * xs.length)]!)));
  meds.sort((a, b) => a - b);
  return [meds[50]!, meds[1949]!];
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? String(e));
  process.exitCode = 1;
});
