/**
 * bench/view: the per-proxy view (`buildProxyView`) for every proxy of a generated mesh of 100
 * and of 1,000 services (one sidecar workload per service, plus one ingress gateway), printed
 * per proxy and in total, with the growth from 100 to 1,000 services.
 *
 *   npm run bench:view
 *
 * Each proxy sees every service, so the total is proxies × services; the per-proxy cost must grow
 * linearly with the number of services (ratio ≈ 10 from 100 to 1,000), not quadratically (≈ 100).
 */
import { MeshGraph } from '../../src/mesh/graph.js';
import type { ManifestObject } from '../../src/mesh/parse.js';
import { buildProxyView, proxiesOf } from '../../src/mesh/view/index.js';

import { meshOf } from './mesh.js';

function manifests(bodies: Record<string, unknown>[]): ManifestObject[] {
  const location = { file: 'bench.yaml', line: 1, column: 1 };
  return bodies.map((body, i) => ({ body, file: 'bench.yaml', docIndex: i, itemIndex: null, location, locate: () => location, source: null }));
}

interface Row { services: number; proxies: number; totalMs: number; totalCpuMs: number; perProxyMs: number; coldMs: number; coldCpuMs: number; routes: number; clusters: number }

const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;

/** Views for every proxy of a fresh graph (no cache), timed in total and for the first (cold) sidecar view. */
function measure(n: number): Row {
  const bodies = meshOf(n);
  // Warm the code paths on a separate graph so the first measured view is cold for the cache only.
  const warm = MeshGraph.from(manifests(bodies));
  for (const p of proxiesOf(warm).slice(0, 3)) buildProxyView(warm, p);
  const graph = MeshGraph.from(manifests(bodies));
  const proxies = proxiesOf(graph);
  const sidecar = proxies.find((p) => p.type === 'sidecar')!;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const first = buildProxyView(graph, sidecar);
  const coldMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const coldCpuMs = cpuMs(process.cpuUsage(c0));
  let routes = first.routes.length;
  let clusters = first.clusters.length;
  for (const p of proxies) {
    if (p === sidecar) continue;
    const v = buildProxyView(graph, p);
    routes += v.routes.length + v.gatewayServers.reduce((k, s) => k + s.routes.length, 0);
    clusters += v.clusters.length;
  }
  const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const totalCpuMs = cpuMs(process.cpuUsage(c0));
  return { services: n, proxies: proxies.length, totalMs, totalCpuMs, perProxyMs: totalMs / proxies.length, coldMs, coldCpuMs, routes, clusters };
}

const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const rows = [measure(100), measure(1000)];
console.log('| services | proxies (views built) | all views: wall / CPU (ms) | per proxy (ms) | one cold sidecar view: wall / CPU (ms) | routes in all views | clusters in all views |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${fmt(r.services)} | ${fmt(r.proxies)} | ${fmt(r.totalMs)} / ${fmt(r.totalCpuMs)} | ${fmt(r.perProxyMs, 2)} | ${fmt(r.coldMs, 1)} / ${fmt(r.coldCpuMs, 1)} | ${fmt(r.routes)} | ${fmt(r.clusters)} |`);
const growth = rows[1]!.coldCpuMs / rows[0]!.coldCpuMs;
const totalGrowth = rows[1]!.totalCpuMs / rows[0]!.totalCpuMs;
console.log(`\ncold view CPU growth 100 → 1,000 services: ${growth.toFixed(1)}x (linear ≈ 10x, quadratic ≈ 100x): ${growth <= 20 ? 'LINEAR' : 'SUPERLINEAR'}`);
console.log(`all views CPU growth (10x proxies, 10x services; views shared per namespace and Sidecar as istiod's SidecarScope): ${totalGrowth.toFixed(1)}x`);
