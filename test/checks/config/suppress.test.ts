import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUILTIN_RULES, enabledRules, finalizeResult } from '../../../src/checks/check.js';
import { DEFAULT_CONFIG } from '../../../src/checks/config/index.js';
import type { SuppressionTarget } from '../../../src/checks/suppress.js';
import { CATALOGUE, finding } from './_rules.js';

const ALL = [...CATALOGUE, ...BUILTIN_RULES];

function target(annotations: Record<string, string>): SuppressionTarget {
  return {
    resource: { kind: 'VirtualService', namespace: 'default', name: 'reviews' },
    annotations,
    location: { file: 'dist/x.yaml', line: 1, column: 1 },
    source: null,
    locate: (path) => (path.at(-1) === 'meshproof.dev/suppress' ? { file: 'dist/x.yaml', line: 6, column: 5 } : undefined),
  };
}

function run(annotations: Record<string, string>) {
  return finalizeResult({
    findings: [finding('references/host-not-found'), finding('routing/weights-total-100', { severity: 'warning' })],
    inputFindings: [],
    enabled: enabledRules(ALL, DEFAULT_CONFIG),
    targets: [target(annotations)],
    exceptions: [],
    today: '2025-06-01',
    files: 1,
  });
}

test('GIVEN meshproof.dev/suppress with a rule id and a reason THEN that finding is suppressed with the reason', () => {
  const result = run({ 'meshproof.dev/suppress': 'routing/weights-total-100', 'meshproof.dev/suppress-reason': 'canary in progress' });
  assert.equal(result.findings.map((f) => f.ruleId), ['references/host-not-found']);
  assert.equal(result.suppressed[0]?.suppression, { by: 'annotation', reason: 'canary in progress' });
  assert.is(result.summary.suppressed, 1);
});

test('GIVEN meshproof.dev/suppress with a list incl. an IST code THEN every listed finding is suppressed', () => {
  const result = run({ 'meshproof.dev/suppress': 'IST0101, routing/weights-total-100', 'meshproof.dev/suppress-reason': 'r' });
  assert.is(result.findings.length, 0);
  assert.is(result.suppressed.length, 2);
});

test('GIVEN meshproof.dev/suppress without a reason THEN nothing is suppressed and a suppression-without-reason warning points at the annotation', () => {
  const result = run({ 'meshproof.dev/suppress': 'routing/weights-total-100' });
  assert.is(result.suppressed.length, 0);
  const problem = result.findings.find((f) => f.ruleId === 'config/suppression-without-reason');
  assert.ok(problem);
  assert.is(problem.severity, 'warning');
  assert.equal(problem.location, { file: 'dist/x.yaml', line: 6, column: 5 });
  assert.is(result.findings.length, 3);
});

test('GIVEN galley.istio.io/analyze-suppress with a list THEN findings with those istio codes are suppressed, others are not', () => {
  const result = run({ 'galley.istio.io/analyze-suppress': 'IST0108,IST0101' });
  assert.equal(result.findings.map((f) => f.ruleId), ['routing/weights-total-100']);
  assert.equal(result.suppressed[0]?.suppression.by, 'istio-annotation');
});

test('GIVEN galley.istio.io/analyze-suppress "*" THEN every finding with an istio code is suppressed, meshproof-only rules still report', () => {
  const result = run({ 'galley.istio.io/analyze-suppress': '*' });
  assert.equal(result.findings.map((f) => f.ruleId), ['routing/weights-total-100']);
  assert.equal(result.suppressed.map((f) => f.ruleId), ['references/host-not-found']);
});

test('GIVEN an annotation on another object THEN it does not suppress this one', () => {
  const result = finalizeResult({
    findings: [finding('references/host-not-found', { resource: { kind: 'VirtualService', namespace: 'default', name: 'other' } })],
    inputFindings: [],
    enabled: enabledRules(ALL, DEFAULT_CONFIG),
    targets: [target({ 'galley.istio.io/analyze-suppress': '*' })],
    exceptions: [],
    today: '2025-06-01',
    files: 1,
  });
  assert.is(result.findings.length, 1);
});

test.run();
