/**
 * `npm run bench:proxy`: the reference proxy against nginx on a 90/10 weighted split to two local
 * backends, plus the direct baseline, in one run with the same core pinning (the proxy under test
 * on core 1; wrk, the backends and this script on core 0). The proxy's config is what our
 * translator makes of a small mesh (bench/proxy/mesh.ts), served by our ADS server; the proxy runs
 * from a CommonJS bundle of the current sources (bench/proxy/bundle.ts), as the shipped CLI does.
 *
 * A minimal node:http + undici proxy (bench/proxy/minimal-proxy.mjs) runs as a fourth case: the
 * floor of any Node proxy here, to tell Node's own cost from ours.
 *
 * Loads: 50 connections (throughput) and 1 connection (latency added per hop). Prints
 * requests/s, p50/p99 (wrk --latency), CPU time per request of the proxy process (utime+stime
 * from /proc, master and workers for nginx) and the ratios ours/nginx; checks from the backends'
 * own counts that each proxy really split 90/10. Targets (issue #9): CPU per request <= 2.5x
 * nginx's, requests/s >= 0.5x nginx's at 50 connections, added p50 <= 0.2 ms at 1 connection.
 *
 * Options (environment): BENCH_SECONDS (measured seconds per case at 50 connections, default 6;
 * 1 connection runs 3/4 of it), BENCH_ROUNDS (default 1: every case measured that many times with
 * the targets interleaved, each case reported by its median round, so a burst of load from other
 * processes skews one round rather than the result), BENCH_PROXY_NODE_FLAGS (extra node flags for our proxy, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`; BENCH_FLOOR_NODE_FLAGS the same for the minimal proxy), BENCH_TARGETS (comma-separated names, e.g. `meshproof,minimal`:
 * run only the targets whose name starts with one of them, for profiling and quick comparisons;
 * the ratios then print only where both sides ran). Needs Linux, taskset, wrk and nginx (installed with
 * apt-get when missing and running as root). Exit 1 when a split is off or requests failed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleCli } from './bundle.js';
import { HOST, startBenchMesh, type BenchMesh } from './mesh.js';
import { backendConfig, backendCounts, proxyConfig } from './nginx.js';
import { type Child, cpuSeconds, ensureTools, freePort, Registry } from './processes.js';
import { runWrk, type WrkResult } from './wrk.js';

const ROOT = resolve(import.meta.dirname, '../..');
const LOAD_CORE = 0;
const PROXY_CORE = 1;
const BACKENDS = { v1: '127.79.0.1', v2: '127.79.0.2' };
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const WARMUP_SECONDS = 2;
const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 1)));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET a body (admin endpoints). */
function text(port: number, path: string): Promise<string> {
  return new Promise((res) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false }, (r) => { let b = ''; r.setEncoding('utf8'); r.on('data', (c: string) => { b += c; }); r.on('end', () => res(b)); });
    req.on('error', () => res(''));
    req.setTimeout(2000, () => req.destroy());
    req.end();
  });
}

/** Sums one Prometheus counter over all its label sets. */
function counterSum(prom: string, name: string): number {
  let n = 0;
  for (const line of prom.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) n += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  return n;
}

function get(port: number, path: string, host = '127.0.0.1', hostHeader?: string): Promise<number> {
  return new Promise((res) => {
    const req = http.request({ host, port, path, agent: false, headers: hostHeader ? { host: hostHeader } : {} }, (r) => { r.resume(); r.on('end', () => res(r.statusCode ?? 0)); });
    req.on('error', () => res(0));
    req.setTimeout(2000, () => req.destroy());
    req.end();
  });
}

async function waitFor(what: string, child: Child, ok: () => Promise<boolean>, ms = 30_000, last: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (child.proc.exitCode !== null) throw new Error(`${what} exited (${child.proc.exitCode}): ${child.tail()}`);
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${ms / 1000} s (${last() || 'no answer'}): ${child.tail()}`);
    await sleep(100);
  }
}

interface Target { readonly name: string; readonly port: number; readonly host: string; readonly cpuPid?: number; readonly splits: boolean }
interface Row { readonly load: number; readonly target: string; readonly wrk: WrkResult; readonly cpuUsPerReq?: number; readonly v2Share?: number; readonly counted?: number; readonly loadAvg: number }

async function measure(registry: Registry, dataDir: string, t: Target, connections: number, seconds: number): Promise<Row> {
  const url = `http://${t.host}:${t.port}/`;
  await runWrk(registry, LOAD_CORE, url, HOST, connections, WARMUP_SECONDS);
  await sleep(300);
  const before = backendCounts(dataDir);
  const cpu0 = t.cpuPid ? cpuSeconds(t.cpuPid) : 0;
  const wrk = await runWrk(registry, LOAD_CORE, url, HOST, connections, seconds);
  const cpu1 = t.cpuPid ? cpuSeconds(t.cpuPid) : 0;
  await sleep(400);
  const after = backendCounts(dataDir);
  const v1 = after.v1 - before.v1;
  const v2 = after.v2 - before.v2;
  return {
    load: connections, target: t.name, wrk, loadAvg: loadavg()[0]!,
    ...(t.cpuPid ? { cpuUsPerReq: ((cpu1 - cpu0) / wrk.requests) * 1e6 } : {}),
    ...(t.splits ? { v2Share: v2 / Math.max(1, v1 + v2), counted: v1 + v2 } : {}),
  };
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

/** What is wrong with one measured case (failed requests, a split that did not happen), as sentences. */
function checkRow(r: Row): string[] {
  const failures: string[] = [];
  if (r.wrk.errors > r.wrk.requests * 0.001) failures.push(`${r.target} at ${r.load} connections: ${r.wrk.errors} failed requests of ${r.wrk.requests}`);
  if (r.v2Share !== undefined && (r.v2Share < 0.07 || r.v2Share > 0.13)) failures.push(`${r.target} at ${r.load} connections sent ${fmt(r.v2Share * 100, 1)} % to v2 (expected 10 %): the split did not happen`);
  if (r.v2Share !== undefined && r.counted! < r.wrk.requests) failures.push(`${r.target} at ${r.load} connections: the backends counted ${r.counted} requests, wrk ${r.wrk.requests}`);
  return failures;
}

/** The round with the median proxy CPU per request (requests/s for the direct baseline): one consistent row, not a mix of rounds. */
function medianRow(all: readonly Row[]): Row {
  const key = (r: Row) => r.cpuUsPerReq ?? -r.wrk.rps;
  return [...all].sort((a, b) => key(a) - key(b))[Math.floor((all.length - 1) / 2)]!;
}

function report(rows: readonly Row[], rounds: number): string {
  const lines = [...(rounds > 1 ? [`Each case is its median round of ${rounds} (by proxy CPU per request).`, ''] : []),
    '| connections | target | requests/s | p50 (ms) | p99 (ms) | proxy CPU per request (µs) | share to v2 (backend counts) | load average |', '|---:|---|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(`| ${r.load} | ${r.target} | ${fmt(r.wrk.rps)} | ${fmt(r.wrk.p50Ms, 3)} | ${fmt(r.wrk.p99Ms, 3)} | ${r.cpuUsPerReq === undefined ? '–' : fmt(r.cpuUsPerReq, 1)} | ${r.v2Share === undefined ? '–' : `${fmt(r.v2Share * 100, 1)} % of ${fmt(r.counted!)}`} | ${r.loadAvg.toFixed(1)} |`);
  }
  const row = (load: number, target: string) => rows.find((r) => r.load === load && r.target.startsWith(target));
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const cpu = (load: number, a: string, b: string) => { const x = row(load, a)?.cpuUsPerReq; const y = row(load, b)?.cpuUsPerReq; return x !== undefined && y !== undefined ? x / y : undefined; };
  const rps = (a: string, b: string) => { const x = row(50, a); const y = row(50, b); return x && y ? x.wrk.rps / y.wrk.rps : undefined; };
  const hop = (t: string) => { const x = row(1, t); const y = row(1, 'direct'); return x && y ? x.wrk.p50Ms - y.wrk.p50Ms : undefined; };
  lines.push('');
  const cpuRatio = cpu(50, 'meshproof', 'nginx');
  if (cpuRatio !== undefined) lines.push(`CPU per request, ours / nginx (50 connections): ${cpuRatio.toFixed(2)}x (target <= 2.5x: ${verdict(cpuRatio <= 2.5)})`);
  const rpsRatio = rps('meshproof', 'nginx');
  if (rpsRatio !== undefined) lines.push(`requests/s, ours / nginx (50 connections): ${rpsRatio.toFixed(2)}x (target >= 0.5x: ${verdict(rpsRatio >= 0.5)})`);
  const ourHop = hop('meshproof');
  const nginxHop = hop('nginx');
  if (ourHop !== undefined) lines.push(`added p50 per hop (1 connection): ours ${fmt(ourHop, 3)} ms${nginxHop === undefined ? '' : `, nginx ${fmt(nginxHop, 3)} ms`} (target <= 0.2 ms: ${verdict(ourHop <= 0.2)})`);
  const cpu1 = cpu(1, 'meshproof', 'nginx');
  if (cpu1 !== undefined) lines.push(`CPU per request, ours / nginx (1 connection): ${cpu1.toFixed(2)}x`);
  const floorNginx = cpu(50, 'minimal', 'nginx');
  const oursFloor = cpu(50, 'meshproof', 'minimal');
  if (floorNginx !== undefined || oursFloor !== undefined) {
    lines.push(`CPU per request at 50 connections, minimal Node proxy / nginx: ${floorNginx?.toFixed(2) ?? '–'}x; ours / minimal Node proxy: ${oursFloor?.toFixed(2) ?? '–'}x`);
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  ensureTools([{ bin: 'wrk', pkg: 'wrk' }, { bin: 'nginx', pkg: 'nginx' }, { bin: 'taskset', pkg: 'util-linux' }]);
  execFileSync('taskset', ['-a', '-p', '-c', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' });
  const registry = new Registry();
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-bench-proxy-'));
  let mesh: BenchMesh | undefined;
  const cleanup = async () => {
    await registry.stopAll();
    await mesh?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals) => { process.stderr.write(`\n${sig}: stopping everything…\n`); void cleanup().finally(() => process.exit(130)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const load0 = loadavg()[0]!;
    const backendPort = await freePort([BACKENDS.v1, BACKENDS.v2]);
    const backendDir = join(dir, 'backends');
    const backends = registry.start('nginx backends', LOAD_CORE, 'nginx', ['-e', join(dir, 'startup-error.log'), '-c', backendConfig(backendDir, BACKENDS, backendPort)]);
    await waitFor('nginx backends', backends, async () => (await get(backendPort, '/', BACKENDS.v1)) === 200 && (await get(backendPort, '/', BACKENDS.v2)) === 200);

    const oursPort = await freePort(['127.0.0.1']);
    mesh = await startBenchMesh(dir, BACKENDS, backendPort, { host: '127.0.0.1', port: oursPort });
    const adminPort = await freePort(['127.0.0.1']);
    const nodeFlags = (process.env.BENCH_PROXY_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const cli = await bundleCli(ROOT, dir);
    const ours = registry.start('meshproof proxy', PROXY_CORE, process.execPath, [...nodeFlags, cli, 'proxy',
      '--xds', `127.0.0.1:${mesh.adsPort}`, '--node', mesh.nodeId, '--admin', `127.0.0.1:${adminPort}`, '--prometheus', 'off', '--readiness', 'off',
      '--drain-timeout', '200', '--access-log', join(dir, 'ours-access.log')], { cwd: ROOT });
    let seen = '';
    await waitFor('meshproof proxy', ours, async () => {
      const ready = await get(adminPort, '/ready');
      const through = ready === 200 ? await get(oursPort, '/', '127.0.0.1', HOST) : 0;
      seen = `admin /ready ${ready}, GET / through the listener ${through || '–'}`;
      return through === 200;
    }, 30_000, () => seen);

    const nginxPort = await freePort(['127.0.0.1']);
    const nginxDir = join(dir, 'nginx-proxy');
    const nginx = registry.start('nginx proxy', PROXY_CORE, 'nginx', ['-e', join(dir, 'startup-error.log'), '-c', proxyConfig(nginxDir, { host: '127.0.0.1', port: nginxPort }, BACKENDS, backendPort)]);
    await waitFor('nginx proxy', nginx, async () => (await get(nginxPort, '/', '127.0.0.1', HOST)) === 200);

    const floorPort = await freePort(['127.0.0.1']);
    const floor = registry.start('minimal node proxy', PROXY_CORE, process.execPath, [...(process.env.BENCH_FLOOR_NODE_FLAGS ?? '').split(' ').filter(Boolean), join(import.meta.dirname, 'minimal-proxy.mjs'), String(floorPort), `${BACKENDS.v1}:${backendPort}`, `${BACKENDS.v2}:${backendPort}`], { cwd: ROOT });
    await waitFor('minimal node proxy', floor, async () => (await get(floorPort, '/', '127.0.0.1', HOST)) === 200);

    const nginxVersion = /nginx\/([\d.]+)/.exec(spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr)?.[1] ?? '';
    const targets: Target[] = [
      { name: 'direct to backend v1 (baseline)', port: backendPort, host: BACKENDS.v1, splits: false },
      { name: `nginx ${nginxVersion} proxy`, port: nginxPort, host: '127.0.0.1', cpuPid: nginx.pid, splits: true },
      { name: 'meshproof proxy', port: oursPort, host: '127.0.0.1', cpuPid: ours.pid, splits: true },
      { name: 'minimal node:http + undici proxy (floor)', port: floorPort, host: '127.0.0.1', cpuPid: floor.pid, splits: true },
    ];
    const only = (process.env.BENCH_TARGETS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const selected = only.length === 0 ? targets : targets.filter((t) => only.some((o) => t.name.startsWith(o)));
    process.stderr.write(`load average ${load0.toFixed(1)}; ${SECONDS} s per case at 50 connections, ${Math.round(SECONDS * 0.75)} s at 1, ${WARMUP_SECONDS} s warm-up each\n`);
    const rows: Row[] = [];
    const failures: string[] = [];
    for (const [connections, seconds] of [[50, SECONDS], [1, Math.max(1, Math.round(SECONDS * 0.75))]] as const) {
      const rounds = new Map<Target, Row[]>(selected.map((t) => [t, []]));
      for (let round = 1; round <= ROUNDS; round++) {
        for (const t of selected) {
          const row = await measure(registry, backendDir, t, connections, seconds);
          rounds.get(t)!.push(row);
          process.stderr.write(`  ${ROUNDS > 1 ? `round ${round}, ` : ''}${connections} connections, ${t.name}: ${fmt(row.wrk.rps)} requests/s${row.cpuUsPerReq === undefined ? '' : `, ${fmt(row.cpuUsPerReq, 1)} µs CPU per request`}\n`);
        }
      }
      for (const t of selected) {
        const all = rounds.get(t)!;
        rows.push(medianRow(all));
        failures.push(...all.flatMap(checkRow));
      }
    }
    const prom = await text(adminPort, '/stats/prometheus');
    process.stderr.write(`our proxy over the whole run: ${fmt(counterSum(prom, 'envoy_cluster_upstream_rq_total'))} upstream requests on ${fmt(counterSum(prom, 'envoy_cluster_upstream_cx_total'))} upstream connections\n`);
    const table = report(rows, ROUNDS);
    process.stdout.write(`${table}\n`);
    for (const f of failures) process.stderr.write(`FAILED: ${f}\n`);
    return failures.length > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

process.exitCode = await main();
