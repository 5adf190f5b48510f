/**
 * bench/xds: first the translation time per proxy (bench/xds/translate.ts, medians of 5 fresh processes: view,
 * translation and snapshot for one sidecar of a 100- and a 1,000-service mesh: cold, first of another
 * namespace, and warm, the Nth sidecar of a namespace served from the translation cache); then
 * N concurrent ADS streams (N = 100 and 1,000 by default) from lightweight clients in
 * another process, against the ADS server in a third. Per N: open the streams and wait until each has
 * ACKed all four types; measure server RSS and CPU while idle; publish a snapshot whose RDS changed for
 * every node and time until each stream ACKed the new version (p50/p99, from the publish call).
 *
 *   npm run bench:xds              # 100 and 1000 streams
 *   npm run bench:xds -- 5000      # other sizes
 *
 * Targets: a 1,000-service sidecar snapshot in <= 100 ms; 1,000 streams converge in <= 1 s at p99;
 * <= 100 KB server RSS per idle stream.
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fmt } from '../lib/measure.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const here = import.meta.dirname;
const execArgv = ['--import', 'tsx', '--expose-gc'];

/** `BENCH_XDS_PROFILE=<dir>` writes a V8 CPU profile of the ADS server process into <dir>. */
const profileDir = process.env.BENCH_XDS_PROFILE;
function start(script: string): ChildProcess {
  const extra = profileDir && script === 'server.ts' ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  return fork(path.join(here, script), [], { execArgv: [...execArgv, ...extra], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}
function ask<T>(p: ChildProcess, msg?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`child exited (${code})`));
    p.once('message', (m) => { p.off('exit', onExit); resolve(m as T); });
    p.once('exit', onExit);
    if (msg) p.send(msg);
  });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], q: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]; };
interface Measure { rss: number; heap: number; cpuMs: number; streams: number }

async function runSize(n: number) {
  const server = start('server.ts');
  const { port } = await ask<{ port: number }>(server);
  await ask(server, { cmd: 'publish', nodes: n, weight: 10 });
  await sleep(300);
  const before = await ask<Measure>(server, { cmd: 'measure' });
  const clients = start('clients.ts');
  await ask(clients);
  const opened = await ask<{ opened: number; ms: number }>(clients, { cmd: 'open', port, n });
  if (opened.opened !== n) throw new Error(`only ${opened.opened} of ${n} streams ACKed the first snapshot`);
  await sleep(1000);
  const idle0 = await ask<Measure>(server, { cmd: 'measure' });
  await sleep(2000);
  const idleCpu = await ask<Measure>(server, { cmd: 'measure', gc: false });
  const idle1 = await ask<Measure>(server, { cmd: 'measure' });
  const results: number[] = [];
  let cpuPush = 0;
  for (let round = 0; round < 3; round++) {
    const cpu0 = await ask<Measure>(server, { cmd: 'measure', gc: false });
    const pub = await ask<{ published: number; version: string }>(server, { cmd: 'publish', nodes: n, weight: 20 + round });
    const { ackTimes } = await ask<{ ackTimes: number[] }>(clients, { cmd: 'expect', version: pub.version });
    const cpu1 = await ask<Measure>(server, { cmd: 'measure', gc: false });
    cpuPush += cpu1.cpuMs - cpu0.cpuMs;
    if (ackTimes.some(Number.isNaN)) throw new Error(`${ackTimes.filter(Number.isNaN).length} streams never ACKed ${pub.version}`);
    results.push(...ackTimes.map((t) => t - pub.published));
  }
  clients.send({ cmd: 'stop' });
  server.send({ cmd: 'stop' });
  await sleep(300);
  return {
    n, openMs: opened.ms, p50: pct(results, 0.5), p99: pct(results, 0.99), max: Math.max(...results),
    rssPerStreamKiB: (idle1.rss - before.rss) / n / 1024, heapPerStreamKiB: (idle1.heap - before.heap) / n / 1024,
    idleCpuPct: ((idleCpu.cpuMs - idle0.cpuMs) / 2000) * 100, pushCpuMs: cpuPush / 3, rssMiB: idle1.rss / 1024 / 1024,
  };
}

const translation = spawnSync(process.execPath, [...execArgv, path.join(here, 'translate.ts')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (translation.status !== 0) throw new Error(`bench/xds/translate.ts failed (${translation.status})`);
console.log(`Translation per proxy:\n\n${translation.stdout.trim()}\n\nADS streams:\n`);
const rows = [];
for (const n of sizes.length ? sizes : [100, 1000]) rows.push(await runSize(n));
console.log('| streams | all subscribed (ms) | push→ACK p50 (ms) | p99 (ms) | max (ms) | server RSS (MiB) | RSS / idle stream (KiB) | heap / idle stream (KiB) | idle CPU | CPU per push (ms) |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${fmt(r.n)} | ${fmt(r.openMs)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.max, 1)} | ${fmt(r.rssMiB, 1)} | ${r.rssPerStreamKiB > 0 ? fmt(r.rssPerStreamKiB, 1) : 'below noise'} | ${fmt(r.heapPerStreamKiB, 1)} | ${fmt(r.idleCpuPct, 1)} % | ${fmt(r.pushCpuMs)} |`);
}
const big = rows.find((r) => r.n === 1000);
if (big) {
  console.log(`\n1,000 streams: p99 ${fmt(big.p99)} ms (target <= 1000 ms): ${big.p99 <= 1000 ? 'MET' : 'NOT MET'}; ` +
    `${fmt(big.rssPerStreamKiB, 1)} KiB RSS per idle stream (target <= 100 KB): ${big.rssPerStreamKiB * 1024 <= 100_000 ? 'MET' : 'NOT MET'}`);
}
process.exit(0);
