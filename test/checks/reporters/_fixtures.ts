import type { CheckResult, Finding, RuleMeta, SuppressedFinding } from '../../../src/checks/types.js';

export const RULES: RuleMeta[] = [
  { id: 'routing/host-not-found', severity: 'error', summary: 'A destination host resolves to no Service.', docs: 'Point the destination at an existing Service.', kinds: ['VirtualService', 'Service'], istioCode: 'IST0101' },
  { id: 'routing/weights-total-100', severity: 'warning', summary: 'Route weights do not sum to 100.', docs: 'Make the weights sum to 100.', kinds: ['VirtualService'] },
];

export const HOST_NOT_FOUND: Finding = {
  ruleId: 'routing/host-not-found',
  istioCode: 'IST0101',
  severity: 'error',
  message: 'Referenced host not found: "ratings"',
  resource: { kind: 'VirtualService', namespace: 'default', name: 'reviews' },
  location: { file: 'dist/x.yaml', line: 12, column: 9 },
  source: { constructPath: 'bookinfo/reviews/virtual-service', file: 'apps/bookinfo.ts', line: 42 },
};

export const WEIGHTS: Finding = {
  ruleId: 'routing/weights-total-100',
  istioCode: null,
  severity: 'warning',
  message: 'weights sum to 90, not 100',
  resource: { kind: 'VirtualService', namespace: 'default', name: 'ratings' },
  location: { file: 'dist/a.yaml', line: 3, column: 5 },
  source: null,
};

export const SUPPRESSED: SuppressedFinding = {
  ...WEIGHTS,
  resource: { kind: 'VirtualService', namespace: 'default', name: 'legacy' },
  location: { file: 'dist/a.yaml', line: 40, column: 5 },
  suppression: { by: 'config-exception', reason: 'migration ticket MESH-12' },
};

export function resultOf(findings: readonly Finding[], extra: Partial<CheckResult> = {}): CheckResult {
  return {
    findings,
    suppressed: [],
    rules: RULES,
    notices: [],
    summary: {
      files: 2,
      objects: 7,
      errors: findings.filter((f) => f.severity === 'error').length,
      warnings: findings.filter((f) => f.severity === 'warning').length,
      infos: findings.filter((f) => f.severity === 'info').length,
      suppressed: extra.suppressed?.length ?? 0,
      rulesRun: 2,
    },
    ...extra,
  };
}

export const OPTS = { version: '0.1.0', cwd: '/repo' };
