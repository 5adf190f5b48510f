import type { Finding, RuleMeta } from '../../../src/checks/types.js';

/** A small catalogue: one istioctl-parity rule, one meshproof-only rule, one off by default. */
export const CATALOGUE: RuleMeta[] = [
  { id: 'references/host-not-found', severity: 'error', summary: 's', docs: 'd', kinds: ['VirtualService'], istioCode: 'IST0101' },
  { id: 'routing/weights-total-100', severity: 'warning', summary: 's', docs: 'd', kinds: ['VirtualService'] },
  {
    id: 'routing/timeout-required', severity: 'info', summary: 's', docs: 'd', kinds: ['VirtualService'], enabledByDefault: false,
    optionsSchema: { type: 'object', additionalProperties: false, properties: { max: { type: 'integer' } } },
  },
];

export function finding(ruleId: string, overrides: Partial<Finding> = {}): Finding {
  return {
    ruleId,
    istioCode: ruleId === 'references/host-not-found' ? 'IST0101' : null,
    severity: 'error',
    message: 'm',
    resource: { kind: 'VirtualService', namespace: 'default', name: 'reviews' },
    location: { file: 'dist/x.yaml', line: 3, column: 1 },
    source: null,
    ...overrides,
  };
}
