/**
 * In-process A/B of the proxy's per-request CPU: the bench mesh (bench/proxy/mesh.ts: 90/10 split,
 * Istio's default retry policy on the route) served to several proxies in ONE process together with
 * the load generator (an undici pool) and the two backends, and `process.cpuUsage()` per round
 * divided by the requests of that round. Everything shares the process, so the figure is the whole
 * request's cost (client + proxy + backend); differences between variants are the proxy's.
 *
 * Variants (each its own proxy, ADS server and listener):
 * - `base`: the proxy of another checkout, e.g. a worktree of the previous commit
 *   (`git worktree add --detach /tmp/mp-old HEAD~1 && ln -s $PWD/node_modules /tmp/mp-old/`),
 *   given by BENCH_BASE_ROOT; skipped when unset;
 * - `head`: the proxy of this checkout;
 * - `bare`: this checkout without router interceptors (no retries, timeouts, circuit breaking):
 *   the floor the router policies add to.
 *
 * Rounds interleave the variants (base, head, bare, base, …) so a burst of load from other
 * processes hits all of them; each variant is reported by its median round, each ratio as the
 * median of the per-round ratios (the figure to trust on a loaded machine).
 * Environment: BENCH_REQUESTS per round (default 8000), BENCH_CONCURRENCY (default 50),
 * BENCH_ROUNDS (default 5), BENCH_BASE_ROOT. Run: `node --import tsx bench/proxy/inprocess.ts`.
 * Exit 1 when a request fails or answers other than 200.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { BACKENDS, median, sendGets, startBackends, startBenchMesh, type BenchMesh } from './mesh.js';

const ROOT = resolve(import.meta.dirname, '../..');
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 8000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const BASE_ROOT = process.env.BENCH_BASE_ROOT;
const LISTENER = '0.0.0.0_9080';

interface ProxyLike {
  listenerAddress(name: string): { host: string; port: number } | undefined;
  waitReady(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

interface Variant {
  readonly name: string;
  readonly proxy: ProxyLike;
  readonly mesh: BenchMesh;
  readonly pool: Pool;
  readonly rounds: number[];
}

/** Starts the proxy of the checkout at `root` (its own module graph), with or without router interceptors. */
async function startVariant(name: string, root: string, interceptors: boolean, backendPort: number, dir: string): Promise<Variant> {
  const { startProxy } = await import(pathToFileURL(join(root, 'src/proxy/main.ts')).href) as typeof import('../../src/proxy/main.js');
  const { createExtensions } = await import(pathToFileURL(join(root, 'src/proxy/extensions.ts')).href) as typeof import('../../src/proxy/extensions.js');
  const vdir = join(dir, name);
  mkdirSync(vdir);
  const mesh = await startBenchMesh(vdir, BACKENDS, backendPort, { host: '127.0.0.1', port: 0 });
  const ext = createExtensions();
  const proxy = await startProxy({
    xds: `127.0.0.1:${mesh.adsPort}`, nodeId: mesh.nodeId, admin: 'off', prometheus: 'off', readiness: 'off', log: () => {},
    extensions: interceptors ? ext : { ...ext, routerInterceptors: [] },
  });
  await proxy.waitReady(10_000);
  const at = proxy.listenerAddress(LISTENER);
  if (!at) throw new Error(`bench/proxy/inprocess.ts: variant ${name} has no listener ${LISTENER}`);
  const pool = new Pool(`http://127.0.0.1:${at.port}`, { connections: CONCURRENCY, pipelining: 1 });
  return { name, proxy, mesh, pool, rounds: [] };
}

/** `n` GETs over `CONCURRENCY` workers; returns CPU µs of this process per request. */
async function round(v: Variant, n: number): Promise<number> {
  const c0 = process.cpuUsage();
  const failed = await sendGets(v.pool, n, CONCURRENCY);
  const c = process.cpuUsage(c0);
  if (failed > 0) throw new Error(`bench/proxy/inprocess.ts: ${failed} of ${n} requests through ${v.name} failed or were not 200`);
  return (c.user + c.system) / n;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-inprocess-'));
  const { port, servers } = await startBackends();
  const variants: Variant[] = [];
  try {
    if (BASE_ROOT) variants.push(await startVariant('base', resolve(BASE_ROOT), true, port, dir));
    variants.push(await startVariant('head', ROOT, true, port, dir));
    variants.push(await startVariant('bare', ROOT, false, port, dir));
    for (const v of variants) await round(v, Math.min(REQUESTS, 2000)); // warm-up: JIT, pools
    for (let i = 0; i < ROUNDS; i++) {
      for (const v of variants) v.rounds.push(await round(v, REQUESTS));
    }
    console.log(`in-process A/B: ${REQUESTS} requests x ${ROUNDS} rounds, ${CONCURRENCY} concurrent; CPU µs per request (client + proxy + backends), median round`);
    const m = new Map(variants.map((v) => [v.name, median(v.rounds)]));
    for (const v of variants) console.log(`  ${v.name.padEnd(5)} ${m.get(v.name)!.toFixed(1).padStart(7)} µs   rounds: ${v.rounds.map((x) => x.toFixed(0)).join(' ')}`);
    // Per-round ratios pair measurements taken seconds apart, so load from other processes mostly cancels.
    const rounds = new Map(variants.map((v) => [v.name, v.rounds]));
    const ratio = (a: string, b: string) => {
      const ra = rounds.get(a);
      const rb = rounds.get(b);
      if (!ra || !rb) return;
      const paired = ra.map((x, i) => x / rb[i]!);
      console.log(`  ${a}/${b} ${median(paired).toFixed(3)} (median of per-round ratios: ${paired.map((x) => x.toFixed(2)).join(' ')})`);
    };
    ratio('head', 'base');
    ratio('head', 'bare');
    ratio('base', 'bare');
    if (m.has('base')) {
      const cost = (x: string) => m.get(x)! - m.get('bare')!;
      console.log(`  router interceptor cost: base ${cost('base').toFixed(1)} µs, head ${cost('head').toFixed(1)} µs per request`);
    }
  } finally {
    for (const v of variants) {
      await v.pool.close().catch(() => {});
      await v.proxy.close().catch(() => {});
      await v.mesh.close().catch(() => {});
    }
    for (const s of servers) { s.closeAllConnections(); s.close(); }
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? String(e));
  process.exitCode = 1;
});
