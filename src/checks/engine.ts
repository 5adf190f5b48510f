import type { MeshGraph } from '../mesh/graph.js';
import type { MeshObject } from '../mesh/object.js';
import { sourceAt } from '../mesh/types.js';
import type { Rule, RuleContext, RuleOptions } from './rule.js';
import type { Finding } from './types.js';

/** Rule id of the finding that replaces a rule which threw. */
export const RULE_CRASHED = 'internal/rule-crashed';

/**
 * Runs `rules` over `graph` and returns their raw findings (before configuration severities
 * and suppressions), sorted by file, line, column, rule id, message. A rule that throws is
 * reported as one `internal/rule-crashed` error and the other rules still run.
 */
export function runRules(graph: MeshGraph, rules: readonly Rule[], ruleOptions: Readonly<Record<string, RuleOptions>> = {}): Finding[] {
  const findings: Finding[] = [];
  for (const rule of rules) {
    const ctx: RuleContext = {
      options: ruleOptions[rule.id] ?? {},
      report(object: MeshObject, message: string, opts = {}) {
        findings.push({
          ruleId: rule.id,
          istioCode: rule.istioCode ?? null,
          severity: opts.severity ?? rule.severity,
          message,
          resource: object.ref,
          location: opts.at ?? (opts.path ? object.locate(opts.path) : object.location),
          source: sourceAt(object.source, opts.path),
          ...(opts.path ? { fieldPath: opts.path } : {}),
        });
      },
    };
    try {
      rule.check(graph, ctx);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      const where = err.stack?.split('\n').slice(1, 3).map((l) => l.trim()).join(' ← ') ?? '';
      findings.push({
        ruleId: RULE_CRASHED,
        istioCode: null,
        severity: 'error',
        message: `rule ${rule.id} crashed: ${err.message}${where ? ` (${where})` : ''}. Its findings are missing; please report this bug`,
        resource: null,
        location: { file: '<meshproof>', line: 1, column: 1 },
        source: null,
      });
    }
  }
  return findings.sort(compareFindings);
}

/** Deterministic order: file, line, column, rule id, message. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    cmp(a.location.file, b.location.file) ||
    a.location.line - b.location.line ||
    a.location.column - b.location.column ||
    cmp(a.ruleId, b.ruleId) ||
    cmp(a.message, b.message)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
