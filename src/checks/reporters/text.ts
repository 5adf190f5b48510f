import type { CheckResult, Finding, Severity } from '../types.js';
import { codeOf, describeResource, plural, sortFindings } from './_shared.js';
import type { RenderingReporter, ReportOptions } from './index.js';
import { fileLine } from '../../mesh/lines.js';

const ANSI = { reset: '\u001b[0m', bold: '\u001b[1m', dim: '\u001b[2m', red: '\u001b[31m', yellow: '\u001b[33m', cyan: '\u001b[36m' };
const SEVERITY_COLOR: Record<Severity, string> = { error: ANSI.red, warning: ANSI.yellow, info: ANSI.cyan };

type Paint = (style: string, text: string) => string;

/** `error [IST0101] (VirtualService default/reviews dist/x.yaml:12) message`, istioctl's layout. */
export function formatFindingLine(finding: Finding, paint: Paint = (_, t) => t): string {
  const where = fileLine(finding.location);
  const subject = finding.resource ? `${describeResource(finding.resource)} ${where}` : where;
  return `${paint(SEVERITY_COLOR[finding.severity] + ANSI.bold, finding.severity)} [${codeOf(finding)}] (${subject}) ${finding.message}`;
}

/** The summary line, e.g. `2 errors, 1 warning, 0 info in 3 files (17 objects, 20 rules); 1 suppressed`. */
export function formatSummary(result: CheckResult): string {
  const s = result.summary;
  const scope = `in ${plural(s.files, 'file')} (${plural(s.objects, 'object')}, ${plural(s.rulesRun, 'rule')})`;
  const counts = s.errors + s.warnings + s.infos === 0 ? `No findings ${scope}` : `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ${s.infos} info ${scope}`;
  return s.suppressed > 0 ? `${counts}; ${s.suppressed} suppressed` : counts;
}

function render(result: CheckResult, opts: ReportOptions): string {
  const paint: Paint = opts.color ? (style, text) => `${style}${text}${ANSI.reset}` : (_, text) => text;
  const out: string[] = [];
  let file: string | undefined;
  for (const finding of sortFindings(result.findings)) {
    if (finding.location.file !== file) {
      if (file !== undefined) out.push('');
      file = finding.location.file;
      out.push(paint(ANSI.bold, file));
    }
    out.push(formatFindingLine(finding, paint));
    if (finding.source) {
      const { file: ts, line, constructPath } = finding.source;
      out.push(paint(ANSI.dim, `  ↳ ${ts}:${line} (${constructPath})`));
    }
  }
  if (out.length > 0) out.push('');
  for (const notice of result.notices) out.push(`${paint(ANSI.cyan, 'notice')}: ${notice}`);
  if (result.notices.length > 0) out.push('');
  out.push(formatSummary(result));
  return out.join('\n') + '\n';
}

/** Human-readable report grouped by file. */
export const textReporter: RenderingReporter = { format: 'text', render };
