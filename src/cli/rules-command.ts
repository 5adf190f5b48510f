import { parseArgs } from './args.js';
import { EXIT_OK, type ExitCode } from '../checks/exit-code.js';
import { OUTPUT_OPTIONS, type CliIO } from './io.js';
import { UsageError } from './usage.js';
import type { RuleMeta } from '../checks/types.js';

export type RulesFormat = 'text' | 'json' | 'markdown';
export const RULES_FORMATS: readonly RulesFormat[] = ['text', 'json', 'markdown'];

function byId(rules: readonly RuleMeta[]): RuleMeta[] {
  return [...rules].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function severityLabel(rule: RuleMeta): string {
  return rule.enabledByDefault === false ? `${rule.severity} (off by default)` : rule.severity;
}

function mdCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** The rule catalogue as a padded table, JSON, or the Markdown table used in the README. */
export function renderRules(rules: readonly RuleMeta[], format: RulesFormat): string {
  const sorted = byId(rules);
  if (format === 'json') {
    const doc = sorted.map((r) => ({
      id: r.id,
      severity: r.severity,
      istioCode: r.istioCode ?? null,
      enabledByDefault: r.enabledByDefault !== false,
      kinds: [...r.kinds],
      summary: r.summary,
      docs: r.docs,
      optionsSchema: r.optionsSchema ?? null,
    }));
    return JSON.stringify(doc, null, 2) + '\n';
  }
  if (format === 'markdown') {
    const rows = sorted.map((r) => `| \`${r.id}\` | ${severityLabel(r)} | ${r.istioCode ?? ''} | ${mdCell(r.summary)} |`);
    return ['| Rule | Severity | istioctl | Summary |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n';
  }
  const header = ['RULE', 'SEVERITY', 'ISTIO', 'SUMMARY'];
  const table = [header, ...sorted.map((r) => [r.id, severityLabel(r), r.istioCode ?? '-', r.summary])];
  const widths = [0, 1, 2].map((c) => Math.max(...table.map((row) => row[c]!.length)));
  return table.map((row) => row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell)).join('  ')).join('\n') + '\n';
}

/** `meshproof rules [--format text|json|markdown]`. */
export async function rulesCommand(args: string[], io: CliIO): Promise<ExitCode> {
  const { values } = parseArgs({ args, options: { format: { type: 'string' }, ...OUTPUT_OPTIONS }, strict: true, allowPositionals: false });
  const format = values.format ?? 'text';
  if (!(RULES_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${RULES_FORMATS.join(', ')}; got "${format}"`);
  const { ruleCatalogue } = await import('../checks/check.js');
  io.stdout.write(renderRules(ruleCatalogue(), format as RulesFormat));
  return EXIT_OK;
}
