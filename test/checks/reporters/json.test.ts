import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jsonReporter } from '../../../src/checks/reporters/json.js';
import { HOST_NOT_FOUND, OPTS, resultOf, SUPPRESSED, WEIGHTS } from './_fixtures.js';

test('GIVEN findings WHEN rendered as JSON THEN the documented shape, keys in order, sorted by file and line', () => {
  const text = jsonReporter.render(resultOf([HOST_NOT_FOUND, WEIGHTS], { suppressed: [SUPPRESSED], notices: ['n1'] }), OPTS);
  const expected = {
    findings: [
      {
        ruleId: 'routing/weights-total-100',
        istioCode: null,
        severity: 'warning',
        message: 'weights sum to 90, not 100',
        resource: { kind: 'VirtualService', namespace: 'default', name: 'ratings' },
        location: { file: 'dist/a.yaml', line: 3, column: 5 },
        source: null,
      },
      {
        ruleId: 'routing/host-not-found',
        istioCode: 'IST0101',
        severity: 'error',
        message: 'Referenced host not found: "ratings"',
        resource: { kind: 'VirtualService', namespace: 'default', name: 'reviews' },
        location: { file: 'dist/x.yaml', line: 12, column: 9 },
        source: { constructPath: 'bookinfo/reviews/virtual-service', file: 'apps/bookinfo.ts', line: 42 },
      },
    ],
    summary: { files: 2, objects: 7, errors: 1, warnings: 1, infos: 0, suppressed: 1, rulesRun: 2 },
    suppressed: [
      {
        ruleId: 'routing/weights-total-100',
        istioCode: null,
        severity: 'warning',
        message: 'weights sum to 90, not 100',
        resource: { kind: 'VirtualService', namespace: 'default', name: 'legacy' },
        location: { file: 'dist/a.yaml', line: 40, column: 5 },
        source: null,
        suppression: { by: 'config-exception', reason: 'migration ticket MESH-12' },
      },
    ],
    notices: ['n1'],
  };
  assert.is(text, JSON.stringify(expected, null, 2) + '\n');
});

test('GIVEN a finding with extra fields (fieldPath) WHEN rendered THEN they are not leaked', () => {
  const text = jsonReporter.render(resultOf([{ ...WEIGHTS, fieldPath: ['spec', 'http', 0] }]), OPTS);
  assert.not.ok(text.includes('fieldPath'));
});

test.run();
