/**
 * bench/xds reload: what `xds serve` takes, end to end, to publish a changed mesh: read and parse the
 * inputs, run the check suite, build the graph on the previous one and publish the nodes' snapshots.
 * bench/view's generated mesh (with a v2 Deployment per service and mesh-wide STRICT mTLS, so the
 * check suite passes it), one YAML file per namespace (as `cdk8s synth` writes one per chart), two
 * workload instances per service, the server started in this process with `watch: false` and
 * reloaded by hand. Cases:
 * - first load (the server's start, nothing before it);
 * - unchanged input reloaded;
 * - one VirtualService's weights edited (90/10 → 60/40): the views are shared with the previous graph;
 * - one Deployment's container renamed: no view base, translations found by content;
 * - then the snapshot of the last sidecar (`svc<n-1>-v2`, no stream) asked for, as its stream would on connecting:
 *   made now when deferred, at once when eager;
 * - the edited mesh loaded by a fresh server (from scratch: what a reload cost without carry-over).
 * Each in four set-ups: the eager build (every Envoy node's snapshot made on every reload, `eager`:
 * the baseline) and the default (a snapshot made only for a node with a stream, else when it
 * connects), each with no stream and with N streams connected (lightweight ADS clients in a child
 * process, one HTTP/2 connection each, for the first N sidecars, `svc<i>`; each subscribes to all four
 * types, EDS and RDS with the wildcard `*`, and ACKs everything: bench/xds/reload-clients.ts). A figure is the reload's wall
 * time from the call to its return (pushes to the streams included: they are written during it),
 * with this process's CPU over it; "all ACKed" is how long after the return every stream had ACKed
 * every type. Each figure is the median of the repetitions; the ratios are to the eager build with
 * the same streams (CPU is the steadier one when other processes share the cores).
 *
 *   node --import tsx bench/xds/reload.ts [--reps=1] [--streams=0,100] [services…]   (default 100 1000)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startServe, type XdsServeHandle } from '../../src/cli/xds-serve.js';
import { PUSH_ORDER } from '../../src/xds/resources.js';
import { meshOf } from '../view/mesh.js';
import { fmt } from '../lib/measure.js';
import { runClients } from './reload-clients.js';

interface Sample { wallMs: number; cpuMs: number; ackMs?: number; log: string }
const CASES = ['first load', 'unchanged input', 'one VirtualService edited', 'one Deployment edited', 'then a node without a stream connects', 'the edited mesh, fresh server'] as const;

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await run();
  return { value, wallMs: performance.now() - t0, cpuMs: cpuMsSince(c0) };
}

function cpuMsSince(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** The mesh as files: one per namespace (`ns<i>.yaml`), the rest (istio-system, Namespaces) in `mesh.yaml`. */
function writeMesh(dir: string, bodies: Record<string, unknown>[]): void {
  const files = new Map<string, string[]>();
  for (const b of bodies) {
    const ns = (b.metadata as { namespace?: string }).namespace;
    const file = ns && ns.startsWith('ns') ? `${ns}.yaml` : 'mesh.yaml';
    let list = files.get(file);
    if (!list) files.set(file, (list = []));
    list.push(stringify(b));
  }
  for (const [file, docs] of files) writeFileSync(join(dir, file), docs.join('---\n'));
}

function edit(dir: string, file: string, from: string, to: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  if (!text.includes(from)) throw new Error(`bench: ${file} has no "${from}"`);
  writeFileSync(path, text.replace(from, to));
}

/**
 * bench/view's mesh made one the check suite passes, as `xds serve` requires: a v2 Deployment per
 * service (its DestinationRule's v2 subset selects it) and mesh-wide STRICT mTLS.
 */
function servableMesh(n: number): Record<string, unknown>[] {
  const out = meshOf(n);
  for (let i = 0; i < n; i++) {
    out.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `svc${i}-v2`, namespace: `ns${i % 10}` }, spec: { template: { metadata: { labels: { app: `svc${i}`, version: 'v2' } }, spec: { containers: [{ name: 'app' }] } } } });
  }
  out.push({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } });
  return out;
}

/** Resolves once every stream of `ids` has ACKed, for every type it was sent, the version it was sent; the ms it took. */
async function allAcked(h: XdsServeHandle, ids: readonly string[]): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const pending = ids.some((id) => {
      const types = h.ads.status.node(id, false)?.types;
      return !types || PUSH_ORDER.some((k) => types[k] !== undefined && types[k]!.ackedVersion !== types[k]!.sentVersion);
    });
    if (!pending) return performance.now() - t0;
    if (performance.now() - t0 > 120_000) throw new Error('bench: streams did not ACK within 120 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One run of every case in one set-up (`warmUp`: the first load only, not measured); `clients` is the child process, `ids` the nodes it connects as. */
async function measure(n: number, eager: boolean, clients: ChildProcess | undefined, ids: readonly string[], warmUp = false): Promise<Sample[]> {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-bench-reload-'));
  const samples: Sample[] = [];
  try {
    writeMesh(dir, servableMesh(n));
    const workloads = [];
    for (let i = 0; i < n; i++) for (const v of ['v1', 'v2']) workloads.push({ name: `svc${i}-${v}`, namespace: `ns${i % 10}`, address: `10.${(i >> 8) & 255}.${i & 255}.${v === 'v1' ? 1 : 2}`, labels: { app: `svc${i}`, version: v }, ports: {} });
    writeFileSync(join(dir, 'workloads.json'), JSON.stringify({ workloads }));
    const logs: string[] = [];
    // A stream may stay blocked long while a hundred others take a 1,000-service config: not cut off here.
    const start = () => startServe({ paths: ['.'], workloads: 'workloads.json', listen: '127.0.0.1:0', cwd: dir, watch: false, eager, drainTimeoutMs: 600_000, log: (l) => logs.push(l) });
    if (warmUp) {
      await (await start()).close();
      return [];
    }
    const first = await timed(start);
    const h = first.value;
    samples.push({ wallMs: first.wallMs, cpuMs: first.cpuMs, log: logs.at(-1) ?? '' });
    try {
      if (clients) await clientsOpen(clients, h.port, ids);
      const reload = async (label: string) => {
        const r = await timed(() => h.reload());
        if (!r.value) throw new Error(`bench: ${label} was not published: ${logs.slice(-3).join(' | ')}`);
        const ackMs = clients ? await allAcked(h, ids) : undefined;
        samples.push({ wallMs: r.wallMs, cpuMs: r.cpuMs, ...(ackMs !== undefined ? { ackMs } : {}), log: logs.at(-1) ?? '' });
      };
      await reload(CASES[1]);
      // svc1 lives in ns1: its split is the VirtualService's second http route.
      edit(dir, 'ns1.yaml', 'weight: 90', 'weight: 60');
      edit(dir, 'ns1.yaml', 'weight: 10', 'weight: 40');
      await reload(CASES[2]);
      edit(dir, 'ns1.yaml', '- name: app', '- name: apx');
      await reload(CASES[3]);
      // What a connecting stream asks first: its snapshot (made now when deferred).
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      if (!h.cache.getSnapshot(`ns${(n - 1) % 10}/svc${n - 1}-v2`)) throw new Error('bench: no snapshot for the last sidecar');
      samples.push({ wallMs: performance.now() - t0, cpuMs: cpuMsSince(c0), log: '' });
    } finally {
      if (clients) await clientsClose(clients);
      await h.close();
    }
    logs.length = 0;
    const scratch = await timed(start);
    await scratch.value.close();
    samples.push({ wallMs: scratch.wallMs, cpuMs: scratch.cpuMs, log: logs.at(-1) ?? '' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return samples;
}

function ask<T>(child: ChildProcess, msg: unknown): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(msg as object);
  });
}
async function clientsOpen(child: ChildProcess, port: number, ids: readonly string[]): Promise<void> {
  const r = await ask<{ opened: number; ms: number }>(child, { cmd: 'open', port, ids });
  if (r.opened !== ids.length) throw new Error(`bench: only ${r.opened} of ${ids.length} streams got all four types`);
}
const clientsClose = (child: ChildProcess) => ask<{ closed: true }>(child, { cmd: 'close' });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const reps = Number(args.find((a) => a.startsWith('--reps='))?.slice(7) ?? 1);
  // Stream counts to run with: 0 (no stream) and N.
  const streamCounts = (args.find((a) => a.startsWith('--streams='))?.slice(10) ?? '0,100').split(',').map(Number);
  const sizes = args.filter((a) => !a.startsWith('--')).map(Number).filter((x) => x > 0);
  const child = fork(import.meta.filename, ['--clients'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((r) => child.once('message', r));
  console.log(`| services | reload | streams | eager wall (ms) | eager CPU (ms) | wall (ms) | CPU (ms) | all ACKed (ms) | wall ÷ eager | CPU ÷ eager | xds serve says |`);
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  try {
    for (const n of sizes.length > 0 ? sizes : [100, 1000]) {
      // The first N sidecars (the Deployments svc<i>, version v1, in ns<i % 10>).
      const idsOf = (k: number) => Array.from({ length: Math.min(k, n) }, (_, i) => `ns${i % 10}/svc${i}`);
      // A warm-up load of the eager build (JIT), not counted.
      await measure(n, true, undefined, [], true);
      for (const streams of streamCounts) {
        const ids = idsOf(streams);
        const withStreams = ids.length > 0;
        const runs: Record<'eager' | 'lazy', Sample[][]> = { eager: [], lazy: [] };
        for (let r = 0; r < reps; r++) {
          for (const eager of [true, false]) runs[eager ? 'eager' : 'lazy'].push(await measure(n, eager, withStreams ? child : undefined, withStreams ? ids : []));
        }
        CASES.forEach((label, i) => {
          const pick = (k: 'eager' | 'lazy', f: (s: Sample) => number | undefined) => median(runs[k].map((s) => f(s[i]!) ?? NaN));
          const e = pick('eager', (s) => s.wallMs);
          const l = pick('lazy', (s) => s.wallMs);
          const ack = pick('lazy', (s) => s.ackMs);
          const log = runs.lazy.at(-1)![i]!.log.replace(/^xds serve: /, '').replace(/\|/g, '/');
          const ec = pick('eager', (s) => s.cpuMs);
          const lc = pick('lazy', (s) => s.cpuMs);
          const ms = (x: number) => fmt(x, x < 10 ? 1 : 0);
          const ratio = (a: number, b: number) => (b < 1 ? '–' : `${(a / b).toFixed(3)}x`);
          console.log(`| ${fmt(n)} | ${label} | ${withStreams ? ids.length : 0} | ${ms(e)} | ${ms(ec)} | ${ms(l)} | ${ms(lc)} | ${Number.isNaN(ack) ? '–' : ms(ack)} | ${ratio(l, e)} | ${ratio(lc, ec)} | ${log} |`);
        });
      }
    }
  } finally {
    child.kill();
  }
}

if (process.argv.includes('--clients')) runClients();
else await main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
