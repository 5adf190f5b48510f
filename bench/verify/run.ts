/**
 * `npm run bench:verify`: wall time of `meshproof verify` per app over the committed dist/, the
 * requests sent, and how the time splits between loading + checking (start-up), static judgement
 * and traffic. Target: bookinfo verified in ≤ 30 s.
 *
 * Promises the runtime cannot prove yet are judged on the config only (README, Verify).
 * `BENCH_APPS=bookinfo,customers` runs a subset; `BENCH_NETNS=1` runs each workload in its own
 * network namespace (`verify --netns`: root and `ip`). The load average is printed before and
 * after: the figures mean little on a busy machine.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { verifyProject } from '../../src/verify/run.js';
import { createRuntime } from '../../src/verify/runtime/index.js';
import { countResults } from '../../src/verify/report/types.js';

const ROOT = resolve(import.meta.dirname, '../..');
const all = [...new Set((JSON.parse(readFileSync(join(ROOT, '.meshproof/expectations.json'), 'utf8')) as { expectations: { source: { constructPath: string } }[] })
  .expectations.map((e) => e.source.constructPath.split('/')[0]!))].sort();
const wanted = process.env.BENCH_APPS?.split(',').filter(Boolean);
const apps = wanted ? all.filter((a) => wanted.includes(a)) : all;
const netns = process.env.BENCH_NETNS === '1';
const loadAverage = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const loadBefore = loadAverage();

const rows: string[] = ['| app | promises | proven with traffic | held | broken | wall (ms) | load + checks (ms) | static judgement (ms) | runtime start-up (ms) | traffic (ms) | requests | start-up : traffic |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
let reason = '';
for (const app of apps) {
  const t0 = performance.now();
  const report = await verifyProject({ root: ROOT, apps: [app], runtime: createRuntime({ netns }) });
  const wall = performance.now() - t0;
  const c = countResults(report);
  const requests = report.results.reduce((s, r) => s + (r.traffic?.requests ?? 0), 0);
  const trafficMs = report.timings.trafficMs ?? 0;
  const runtimeStart = report.timings.startupMs ?? 0;
  const load = wall - report.timings.staticMs - trafficMs - runtimeStart;
  const proven = report.results.filter((r) => r.traffic?.status === 'held').length;
  reason = report.traffic.reason ?? '';
  const share = runtimeStart + trafficMs > 0 ? `${((runtimeStart / (runtimeStart + trafficMs)) * 100).toFixed(0)} : ${((trafficMs / (runtimeStart + trafficMs)) * 100).toFixed(0)}` : '–';
  rows.push(`| ${app} | ${report.results.length} | ${proven} | ${c.held} | ${c.broken} | ${wall.toFixed(0)} | ${load.toFixed(0)} | ${report.timings.staticMs.toFixed(1)} | ${runtimeStart.toFixed(0)} | ${trafficMs.toFixed(0)} | ${requests} | ${share} |`);
}
process.stdout.write(`${rows.join('\n')}\n${reason ? `\ntraffic not sent: ${reason}\n` : ''}\n${netns ? 'each workload in its own network namespace (--netns); ' : ''}load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAverage()}\n`);
