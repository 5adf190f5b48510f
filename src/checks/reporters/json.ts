import type { CheckResult, Finding, SuppressedFinding } from '../types.js';
import { sortFindings } from './_shared.js';
import type { RenderingReporter } from './index.js';

/** A finding with its keys in the documented order. */
function toJson(f: Finding): Record<string, unknown> {
  return {
    ruleId: f.ruleId,
    istioCode: f.istioCode,
    severity: f.severity,
    message: f.message,
    resource: f.resource ? { kind: f.resource.kind, namespace: f.resource.namespace, name: f.resource.name } : null,
    location: { file: f.location.file, line: f.location.line, column: f.location.column },
    source: f.source ? { constructPath: f.source.constructPath, file: f.source.file, line: f.source.line } : null,
  };
}

function suppressedToJson(f: SuppressedFinding): Record<string, unknown> {
  return { ...toJson(f), suppression: { by: f.suppression.by, reason: f.suppression.reason } };
}

function render(result: CheckResult): string {
  const s = result.summary;
  const doc = {
    findings: sortFindings(result.findings).map(toJson),
    summary: { files: s.files, objects: s.objects, errors: s.errors, warnings: s.warnings, infos: s.infos, suppressed: s.suppressed, rulesRun: s.rulesRun },
    suppressed: sortFindings(result.suppressed).map(suppressedToJson),
    notices: [...result.notices],
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/** Machine-readable report; the shape mirrors `Finding` and `CheckSummary` and is stable. */
export const jsonReporter: RenderingReporter = { format: 'json', render };
