/** Markdown report for a pull-request summary: a status table, then the broken promises. */
import { countResults, finalStatus, type VerifyReport, type VerifyResult } from './types.js';
import { formatConfidence } from '../stats.js';

const madeAt = (s: VerifyResult['expectation']['source']) => (s.file !== undefined ? `${s.file}:${s.line ?? 1}` : esc(s.constructPath));
const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const ICON = { held: '✅', broken: '❌', undefined: '⚠️', 'runtime-only': '⏳' } as const;

export function formatMarkdown(report: VerifyReport): string {
  const c = countResults(report);
  const out: string[] = [`## meshproof verify: ${c.broken + c.undefined === 0 ? 'all promises held' : `${c.broken + c.undefined} promise${c.broken + c.undefined === 1 ? '' : 's'} broken`}`, ''];
  out.push(`${report.results.length} promises from ${report.apps.join(', ') || '(no app)'}: **${c.held} held**, **${c.broken} broken**, ${c.undefined} undefined order, ${c.runtimeOnly} need traffic.`);
  const proven = report.results.filter((r) => r.traffic?.status === 'held').length;
  out.push(report.traffic.ran ? `${proven} proven with real traffic through the reference proxy; shares judged at ${formatConfidence(report.confidence)} % confidence.` : `Traffic not sent: ${esc(report.traffic.reason ?? 'static only')}.`, '');
  const bad = report.results.filter((r) => finalStatus(r) !== 'held');
  if (bad.length > 0) {
    out.push('| | Promise | Made at | What the config does |', '|---|---|---|---|');
    for (const r of bad) {
      out.push(`| ${ICON[finalStatus(r)]} | ${esc(r.expectation.promise)} | \`${madeAt(r.expectation.source)}\` | ${esc(r.traffic?.status === 'broken' ? r.traffic.detail : r.static.detail)} |`);
    }
    out.push('');
  }
  // Held, but their requests were answered by the destination's sidecar (a 403 the config foresees), not its app: say so, not just ✅.
  const refused = report.results.filter((r) => finalStatus(r) === 'held' && /RBAC: access denied at /.test(r.traffic?.detail ?? '') && r.traffic?.status === 'held');
  if (refused.length > 0) {
    out.push('Held, but answered 403 by the destination\'s sidecar, not by its app:', '', '| | Promise | Made at | Why the 403 still keeps it |', '|---|---|---|---|');
    for (const r of refused) out.push(`| ✅ | ${esc(r.expectation.promise)} | \`${madeAt(r.expectation.source)}\` | ${esc(r.static.detail.replace(/^selects .*?\); /, ''))} |`);
    out.push('');
  }
  out.push('<details><summary>Every promise</summary>', '', '| | Promise | Made at |', '|---|---|---|');
  // Held on the config alone while traffic was sent: marked, so a reader does not take it for proven.
  const onConfig = (r: VerifyResult) => finalStatus(r) === 'held' && report.traffic.ran && r.traffic?.status !== 'held' ? ' (config only)' : '';
  for (const r of report.results) out.push(`| ${ICON[finalStatus(r)]}${onConfig(r)} | ${esc(r.expectation.promise)} | \`${madeAt(r.expectation.source)}\` |`);
  out.push('', '</details>', '');
  return out.join('\n');
}
