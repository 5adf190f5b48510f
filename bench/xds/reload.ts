/**
 * bench/xds reload: what `xds serve` takes, end to end, to publish a changed mesh: read and parse the
 * inputs, run the check suite, build the graph on the previous one and publish every proxy's
 * snapshots (a sidecar gets two: Envoy's and proxyless gRPC's). bench/view's generated mesh (with a
 * v2 Deployment per service and mesh-wide STRICT mTLS, so the check suite passes it), one
 * YAML file per namespace (as `cdk8s synth` writes one per chart), two workload instances per
 * service, the server started in this process with `watch: false` and reloaded by hand. Cases:
 * - first load (the server's start, nothing before it): the baseline;
 * - unchanged input reloaded;
 * - one VirtualService's weights edited (90/10 → 60/40): the views are shared with the previous graph;
 * - one Deployment's container renamed: no view base, translations found by content;
 * - the edited mesh loaded by a fresh server (from scratch: what a reload cost without carry-over).
 * Each reload's figure is its wall time from the call to its return, with the process CPU over it,
 * and the ratio to the from-scratch load of the same input.
 *
 *   node --import tsx bench/xds/reload.ts [services…]   (default 100 1000)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startServe } from '../../src/cli/xds-serve.js';
import { meshOf } from '../view/mesh.js';
import { fmt } from '../lib/measure.js';

interface Row { label: string; wallMs: number; cpuMs: number; log: string }

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await run();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { value, wallMs, cpuMs: (c.user + c.system) / 1000 };
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

async function measure(n: number): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-bench-reload-'));
  const rows: Row[] = [];
  try {
    writeMesh(dir, servableMesh(n));
    const workloads = [];
    for (let i = 0; i < n; i++) for (const v of ['v1', 'v2']) workloads.push({ name: `svc${i}-${v}`, namespace: `ns${i % 10}`, address: `10.${(i >> 8) & 255}.${i & 255}.${v === 'v1' ? 1 : 2}`, labels: { app: `svc${i}`, version: v }, ports: {} });
    writeFileSync(join(dir, 'workloads.json'), JSON.stringify({ workloads }));
    const logs: string[] = [];
    const start = () => startServe({ paths: ['.'], workloads: 'workloads.json', listen: '127.0.0.1:0', cwd: dir, watch: false, log: (l) => logs.push(l) });
    // A warm-up server on the same input (JIT), closed before the measured one starts.
    await (await start()).close();
    logs.length = 0;
    const first = await timed(start);
    const h = first.value;
    rows.push({ label: 'first load (baseline)', wallMs: first.wallMs, cpuMs: first.cpuMs, log: logs.at(-1) ?? '' });
    try {
      const reload = async (label: string) => {
        const r = await timed(() => h.reload());
        if (!r.value) throw new Error(`bench: ${label} was not published: ${logs.slice(-3).join(' | ')}`);
        rows.push({ label, wallMs: r.wallMs, cpuMs: r.cpuMs, log: logs.at(-1) ?? '' });
      };
      await reload('unchanged input');
      // svc1 lives in ns1: its split is the VirtualService's second http route.
      edit(dir, 'ns1.yaml', 'weight: 90', 'weight: 60');
      edit(dir, 'ns1.yaml', 'weight: 10', 'weight: 40');
      await reload('one VirtualService edited (views shared)');
      edit(dir, 'ns1.yaml', '- name: app', '- name: apx');
      await reload('one Deployment edited (translations by content)');
    } finally {
      await h.close();
    }
    logs.length = 0;
    const scratch = await timed(start);
    await scratch.value.close();
    rows.push({ label: 'the edited mesh from scratch (fresh server)', wallMs: scratch.wallMs, cpuMs: scratch.cpuMs, log: logs.at(-1) ?? '' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
console.log('| services | reload | wall (ms) | CPU (ms) | wall ÷ from scratch | xds serve says |');
console.log('|---:|---|---:|---:|---:|---|');
for (const n of sizes.length > 0 ? sizes : [100, 1000]) {
  const rows = await measure(n);
  const base = rows.at(-1)!.wallMs;
  for (const r of rows) console.log(`| ${fmt(n)} | ${r.label} | ${fmt(r.wallMs)} | ${fmt(r.cpuMs)} | ${(r.wallMs / base).toFixed(2)}x | ${r.log.replace(/^xds serve: /, '').replace(/\|/g, '/')} |`);
}
process.exit(0);
