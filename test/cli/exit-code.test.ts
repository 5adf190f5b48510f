import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exitCode, type FailOn } from '../../src/checks/exit-code.js';
import type { Finding, Severity } from '../../src/checks/types.js';

const at = (severity: Severity): Finding => ({
  ruleId: 'r/x',
  istioCode: null,
  severity,
  message: 'm',
  resource: null,
  location: { file: 'f', line: 1, column: 1 },
  source: null,
});

const TABLE: [string, Severity[], FailOn, { usageError?: boolean; unusableInput?: boolean }, number][] = [
  ['clean', [], 'error', {}, 0],
  ['error, fail-on error', ['error'], 'error', {}, 1],
  ['warning, fail-on error', ['warning'], 'error', {}, 0],
  ['warning, fail-on warning', ['warning'], 'warning', {}, 1],
  ['info, fail-on warning', ['info'], 'warning', {}, 0],
  ['info, fail-on info', ['info'], 'info', {}, 1],
  ['error, fail-on none', ['error'], 'none', {}, 0],
  ['usage error', [], 'error', { usageError: true }, 2],
  ['unusable input, no findings', [], 'none', { unusableInput: true }, 2],
  ['unusable input with errors', ['error'], 'error', { unusableInput: true }, 2],
];

for (const [name, severities, failOn, flags, expected] of TABLE) {
  test(`GIVEN ${name} WHEN the exit code is computed THEN ${expected}`, () => {
    assert.is(exitCode({ result: { findings: severities.map(at) }, failOn, ...flags }), expected);
  });
}

test('GIVEN no result (the run stopped early) THEN 2', () => {
  assert.is(exitCode({ failOn: 'error' }), 2);
});

test.run();
