/**
 * `npm run bench:verify`: wall time of `meshproof verify` per app over the committed dist/, the
 * requests sent, and how the time splits between loading + checking (start-up), static judgement
 * and traffic. Target: bookinfo verified in ≤ 30 s.
 *
 * Until the traffic runtime is wired (see README, Verify), no request is sent and the traffic share
 * is reported as 0 with the reason, never estimated.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { verifyProject } from '../../src/verify/run.js';
import { createRuntime } from '../../src/verify/runtime/index.js';
import { countResults } from '../../src/verify/report/types.js';

const ROOT = resolve(import.meta.dirname, '../..');
const apps = [...new Set((JSON.parse(readFileSync(join(ROOT, '.meshproof/expectations.json'), 'utf8')) as { expectations: { source: { constructPath: string } }[] })
  .expectations.map((e) => e.source.constructPath.split('/')[0]!))].sort();

const rows: string[] = ['| app | promises | held | broken | wall (ms) | start-up: load + checks (ms) | static judgement (ms) | traffic (ms) | requests | traffic share |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
let reason = '';
for (const app of apps) {
  const t0 = performance.now();
  const report = await verifyProject({ root: ROOT, apps: [app], runtime: createRuntime() });
  const wall = performance.now() - t0;
  const c = countResults(report);
  const requests = report.results.reduce((s, r) => s + (r.traffic?.requests ?? 0), 0);
  const trafficMs = report.traffic.ran ? wall - report.timings.staticMs : 0;
  const startup = wall - report.timings.staticMs - trafficMs;
  reason = report.traffic.reason ?? '';
  rows.push(`| ${app} | ${report.results.length} | ${c.held} | ${c.broken} | ${wall.toFixed(0)} | ${startup.toFixed(0)} | ${report.timings.staticMs.toFixed(1)} | ${trafficMs.toFixed(0)} | ${requests} | ${((trafficMs / wall) * 100).toFixed(0)} % |`);
}
process.stdout.write(`${rows.join('\n')}\n${reason ? `\ntraffic not sent: ${reason}\n` : ''}`);
