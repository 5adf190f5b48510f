import { createHash } from 'node:crypto';
import type { CheckResult, Finding, RuleMeta, Severity, SuppressedFinding } from '../types.js';
import { codeOf, describeResource, repoPath, sortFindings } from './_shared.js';
import type { RenderingReporter, ReportOptions } from './index.js';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const INFORMATION_URI = 'https://meshproof.dev';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

function ruleDescriptor(rule: RuleMeta): Record<string, unknown> {
  return {
    id: rule.id,
    name: rule.id,
    shortDescription: { text: rule.summary },
    fullDescription: { text: rule.docs },
    help: { text: rule.docs, markdown: rule.docs },
    helpUri: `${INFORMATION_URI}/rules/${rule.id}`,
    defaultConfiguration: { level: LEVEL[rule.severity], enabled: rule.enabledByDefault !== false },
    properties: {
      istioCode: rule.istioCode ?? null,
      kinds: [...rule.kinds],
      tags: rule.istioCode ? ['istio', rule.istioCode] : ['meshproof'],
    },
  };
}

/** Rules for findings whose rule is not in the catalogue (e.g. input problems), so every result has a ruleIndex. */
function syntheticRule(finding: Finding): RuleMeta {
  return { id: finding.ruleId, severity: finding.severity, summary: finding.ruleId, docs: finding.message, kinds: [], ...(finding.istioCode ? { istioCode: finding.istioCode } : {}) };
}

function locations(finding: Finding, cwd: string): Record<string, unknown>[] {
  // Line 0 is a folder as a whole (`input/empty`): SARIF's region is optional, and startLine must be 1 or more.
  const region: Record<string, number> = { startLine: finding.location.line };
  if (finding.location.column >= 1) region['startColumn'] = finding.location.column;
  const yaml: Record<string, unknown> = {
    physicalLocation: { artifactLocation: { uri: repoPath(finding.location.file, cwd) }, ...(finding.location.line >= 1 ? { region } : {}) },
  };
  if (finding.resource) {
    yaml['logicalLocations'] = [{ name: finding.resource.name, fullyQualifiedName: describeResource(finding.resource), kind: 'resource' }];
  }
  if (!finding.source) return [yaml];
  const { file, line, constructPath } = finding.source;
  return [
    yaml,
    {
      physicalLocation: { artifactLocation: { uri: repoPath(file, cwd) }, region: { startLine: Math.max(1, line) } },
      logicalLocations: [{ name: constructPath.split('/').pop() ?? constructPath, fullyQualifiedName: constructPath, kind: 'object' }],
      message: { text: `cdk8s construct ${constructPath}` },
    },
  ];
}

/**
 * The `partialFingerprints` value of a finding: rule code, resource (or file), then the field path, or a hash of the
 * message when the finding has no path, so two findings on one resource (two missing subsets of one VirtualService)
 * never share a fingerprint.
 */
function fingerprint(finding: Finding | SuppressedFinding): string {
  const where = finding.resource ? describeResource(finding.resource) : finding.location.file;
  const detail = finding.fieldPath && finding.fieldPath.length > 0
    ? finding.fieldPath.join('.')
    : `#${createHash('sha256').update(finding.message).digest('hex').slice(0, 16)}`;
  return `${codeOf(finding)}|${where}|${detail}`;
}

function sarifResult(finding: Finding | SuppressedFinding, ruleIndex: number, cwd: string): Record<string, unknown> {
  const result: Record<string, unknown> = {
    ruleId: finding.ruleId,
    ruleIndex,
    level: LEVEL[finding.severity],
    message: { text: finding.message },
    locations: locations(finding, cwd),
    partialFingerprints: {
      'meshproofResource/v2': fingerprint(finding),
    },
  };
  if ('suppression' in finding) {
    result['suppressions'] = [
      {
        kind: finding.suppression.by === 'config-exception' ? 'external' : 'inSource',
        status: 'accepted',
        justification: finding.suppression.reason,
      },
    ];
  }
  if (finding.istioCode) result['properties'] = { istioCode: finding.istioCode };
  return result;
}

function render(result: CheckResult, opts: ReportOptions): string {
  const rules: RuleMeta[] = [...result.rules];
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const all: (Finding | SuppressedFinding)[] = [...sortFindings(result.findings), ...sortFindings(result.suppressed)];
  for (const f of all) {
    if (!index.has(f.ruleId)) {
      index.set(f.ruleId, rules.length);
      rules.push(syntheticRule(f));
    }
  }
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'meshproof',
            version: opts.version,
            semanticVersion: opts.version,
            informationUri: INFORMATION_URI,
            rules: rules.map(ruleDescriptor),
          },
        },
        results: all.map((f) => sarifResult(f, index.get(f.ruleId)!, opts.cwd)),
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: result.notices.map((text) => ({ level: 'note', message: { text } })),
          },
        ],
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}

/** SARIF 2.1.0 for GitHub code scanning and other viewers; the TypeScript origin is the second location. */
export const sarifReporter: RenderingReporter = { format: 'sarif', render };
