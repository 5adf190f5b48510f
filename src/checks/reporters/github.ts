import { existsSync } from 'node:fs';
import * as core from '@actions/core';
import type { CheckResult, Finding, Severity } from '../types.js';
import { SEVERITY_ORDER } from '../types.js';
import { codeOf, describeResource, plural, repoPath, sortFindings } from './_shared.js';
import type { EmittingReporter, ReportOptions } from './index.js';
import { fileLine } from '../../mesh/lines.js';

/** GitHub shows at most this many annotations of each level per step and drops the rest silently. */
export const ANNOTATIONS_PER_LEVEL = 10;
/** Job summaries are capped at 1 MiB per step; stay well under it. */
export const SUMMARY_BUDGET_BYTES = 1024 * 1024 - 16 * 1024;

const ANNOTATE: Record<Severity, typeof core.error> = { error: core.error, warning: core.warning, info: core.notice };

function annotationProps(finding: Finding, cwd: string): core.AnnotationProperties {
  const title = `meshproof [${codeOf(finding)}]${finding.istioCode ? ` ${finding.ruleId}` : ''}`;
  if (finding.location.file === '-') return { title };
  return {
    title,
    file: repoPath(finding.location.file, cwd),
    ...(finding.location.line >= 1 ? { startLine: finding.location.line } : {}),
    ...(finding.location.line >= 1 && finding.location.column >= 1 ? { startColumn: finding.location.column } : {}),
  };
}

function annotationMessage(finding: Finding): string {
  const subject = finding.resource ? `${describeResource(finding.resource)}: ` : '';
  const origin = finding.source ? `\nDefined at ${finding.source.file}:${finding.source.line} (${finding.source.constructPath})` : '';
  return `${subject}${finding.message}${origin}`;
}

/**
 * Picks the annotations to emit: the most severe first, at most 10 per level, keeping one notice
 * slot free for the overflow notice when anything is left out.
 */
export function planAnnotations(findings: readonly Finding[]): { shown: Finding[]; omitted: number } {
  const byLevel = SEVERITY_ORDER.map((s) => sortFindings(findings.filter((f) => f.severity === s)));
  const [errors, warnings, infos] = byLevel as [Finding[], Finding[], Finding[]];
  const overflow = errors.length > ANNOTATIONS_PER_LEVEL || warnings.length > ANNOTATIONS_PER_LEVEL || infos.length > ANNOTATIONS_PER_LEVEL;
  const infoSlots = overflow ? ANNOTATIONS_PER_LEVEL - 1 : ANNOTATIONS_PER_LEVEL;
  const shown = [...errors.slice(0, ANNOTATIONS_PER_LEVEL), ...warnings.slice(0, ANNOTATIONS_PER_LEVEL), ...infos.slice(0, infoSlots)];
  return { shown, omitted: findings.length - shown.length };
}

/**
 * Text for a Markdown table cell: `&`, `<` and `>` as entities (so a message cannot open HTML in
 * the summary), `|` and `\\` escaped, line breaks as `<br>`.
 */
export function cell(text: string): string {
  return text
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/\\/g, '\\\\').replace(/\|/g, '\\|')
    .replace(/\r?\n/g, '<br>');
}

/** A code span inside a table cell: backticks dropped, `|` escaped (GFM splits cells even inside code). */
function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

/** The job summary: counts, then one table row per finding, truncated to stay under GitHub's 1 MiB. */
export function summaryMarkdown(result: CheckResult, budget = SUMMARY_BUDGET_BYTES): string {
  const s = result.summary;
  const head = [
    `## meshproof: ${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ${s.infos} info`,
    '',
    `${plural(s.files, 'file')}, ${plural(s.objects, 'object')}, ${plural(s.rulesRun, 'rule')} run; ${s.suppressed} suppressed.`,
    '',
    ...result.notices.map((n) => `> ${cell(n)}`),
    ...(result.notices.length > 0 ? [''] : []),
  ];
  if (result.findings.length === 0) return head.join('\n') + '\n';
  head.push('| Severity | Rule | Resource | YAML | TypeScript | Message |', '| --- | --- | --- | --- | --- | --- |');
  let text = head.join('\n') + '\n';
  const findings = sortFindings(result.findings).sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
  for (const [i, f] of findings.entries()) {
    const ts = f.source ? `${code(`${f.source.file}:${f.source.line}`)} (${cell(f.source.constructPath)})` : '';
    const rule = f.istioCode ? `${code(f.istioCode)} ${code(f.ruleId)}` : code(f.ruleId);
    const row = `| ${f.severity} | ${rule} | ${f.resource ? cell(describeResource(f.resource)) : ''} | ${code(fileLine(f.location))} | ${ts} | ${cell(f.message)} |\n`;
    const tail = `\n_${findings.length - i} more findings not shown; run \`meshproof check --format json\` for all of them._\n`;
    if (Buffer.byteLength(text) + Buffer.byteLength(row) + Buffer.byteLength(tail) > budget) return text + tail;
    text += row;
  }
  return text;
}

async function emit(result: CheckResult, opts: ReportOptions): Promise<void> {
  const { shown, omitted } = planAnnotations(result.findings);
  for (const finding of shown) ANNOTATE[finding.severity](annotationMessage(finding), annotationProps(finding, opts.cwd));
  const summaryAvailable = Boolean(process.env['GITHUB_STEP_SUMMARY']);
  if (omitted > 0) {
    core.notice(
      `${plural(omitted, 'more finding')} not annotated (GitHub shows at most ${ANNOTATIONS_PER_LEVEL} errors, ${ANNOTATIONS_PER_LEVEL} warnings and ${ANNOTATIONS_PER_LEVEL} notices per step). ` +
        (summaryAvailable ? 'The job summary lists them all; or run ' : 'Run ') +
        '`meshproof check --format json` for the full list.',
      { title: 'meshproof: more findings' },
    );
  }
  if (summaryAvailable) await writeSummary(summaryMarkdown(result));
}

/**
 * Appends to the job summary. A missing or unwritable `GITHUB_STEP_SUMMARY` file is a warning
 * naming the file, not a failed run: the annotations above were already written.
 */
async function writeSummary(markdown: string): Promise<void> {
  const file = process.env['GITHUB_STEP_SUMMARY'];
  try {
    await core.summary.addRaw(markdown, true).write();
  } catch (e) {
    core.summary.emptyBuffer();
    const reason = file && !existsSync(file) ? 'the file does not exist' : `not writable (${(e as Error).message})`;
    core.warning(`cannot write the job summary to ${file} (GITHUB_STEP_SUMMARY): ${reason}. The annotations are complete; run \`meshproof check --format json\` for the full report.`, { title: 'meshproof: no job summary' });
  }
}

/** GitHub Actions annotations (via @actions/core) plus a Markdown job summary. */
export const githubReporter: EmittingReporter = { format: 'github', emit };
