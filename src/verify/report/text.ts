/** Plain-text report: broken promises first with where they were made, then a summary line. */
import { countResults, finalStatus, trafficLine, type VerifyReport, type VerifyResult } from './types.js';
import { formatConfidence } from '../stats.js';

const MARK = { held: '✓', broken: '✗', undefined: '?', 'runtime-only': '·' } as const;

function where(r: VerifyResult): string {
  const s = r.expectation.source;
  return s.file !== undefined ? `${s.file}:${s.line ?? 1} (${s.constructPath})` : s.constructPath;
}

/** One block per result that did not hold (and, with `verbose`, one line per held one). */
export function formatText(report: VerifyReport, verbose = false): string {
  const lines: string[] = [];
  for (const r of report.results) {
    const status = finalStatus(r);
    if (status === 'held' && !verbose) continue;
    // Held on the config alone while traffic was sent (left to the config: the detail says why): not proven.
    const configOnly = status === 'held' && report.traffic.ran && r.traffic?.status !== 'held';
    lines.push(`${MARK[status]} ${status.toUpperCase()}${configOnly ? ' (config only)' : ''}  ${r.expectation.promise}`);
    lines.push(`    promised at ${where(r)}  [${r.expectation.id}]`);
    if (status !== 'held' || verbose) lines.push(`    config: ${r.static.detail}`);
    const traffic = trafficLine(report, r);
    if (traffic !== undefined) lines.push(`    traffic: ${traffic}`);
  }
  for (const n of report.notes) lines.push(`note: ${n}`);
  const c = countResults(report);
  lines.push('');
  lines.push(`verify ${report.apps.join(', ') || '(no app)'}: ${report.results.length} promises: ${c.held} held, ${c.broken} broken, ${c.undefined} undefined order, ${c.runtimeOnly} need traffic`
    + ` (static judgement ${report.timings.staticMs.toFixed(0)} ms)`);
  if (report.traffic.ran) {
    const proven = report.results.filter((r) => r.traffic?.status === 'held').length;
    const requests = report.results.reduce((s, r) => s + (r.traffic?.requests ?? 0), 0);
    const t = report.timings;
    lines.push(`traffic: ${proven} of ${report.results.length} promises proven with ${requests} requests (${formatConfidence(report.confidence)} % confidence, tolerance ${+(report.tolerance * 100).toFixed(2)} points; start-up ${Math.round(t.startupMs ?? 0)} ms, traffic ${Math.round(t.trafficMs ?? 0)} ms); the rest judged on the config (see "traffic:" lines with -v)`);
  } else {
    lines.push(`traffic: not sent — ${report.traffic.reason ?? 'static only'}`);
  }
  return `${lines.join('\n')}\n`;
}
