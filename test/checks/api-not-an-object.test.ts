import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkObjects } from '../../src/checks/api.js';

const SERVICE = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { ports: [{ name: 'http', port: 80 }], selector: { app: 'web' } } };

test('GIVEN checkObjects([null]) WHEN run THEN an input/not-an-object error names index 0 and the run is unusable (exit 2)', async () => {
  const run = await checkObjects([null], { config: false, today: '2026-01-01' });
  const refused = run.result.findings.filter((f) => f.ruleId === 'input/not-an-object');
  assert.is(refused.length, 1);
  assert.match(refused[0]!.message, /^objects\[0\] is null, not a Kubernetes object/);
  assert.is(refused[0]!.severity, 'error');
  assert.ok(run.unusableInput);
  assert.is(run.exitCode(), 2);
});

test('GIVEN a valid object between bad entries WHEN run THEN each bad entry is reported with its index and line, the object is still checked', async () => {
  const run = await checkObjects([SERVICE, undefined, 'oops', [1], 7, SERVICE], { config: false, today: '2026-01-01' });
  const refused = run.result.findings.filter((f) => f.ruleId === 'input/not-an-object');
  assert.equal(refused.map((f) => f.message.slice(0, f.message.indexOf(', not'))), [
    'objects[1] is undefined', 'objects[2] is the string "oops"', 'objects[3] is an array of 1', 'objects[4] is number 7',
  ]);
  assert.ok(refused.every((f) => f.location.file === '-' && f.location.line > 1));
  assert.is(run.result.summary.errors, run.result.findings.filter((f) => f.severity === 'error').length);
  assert.is(run.result.summary.objects, 2);
  assert.is(run.exitCode('none'), 2);
});

test('GIVEN only objects WHEN run THEN no input/not-an-object finding', async () => {
  const run = await checkObjects([SERVICE], { config: false, today: '2026-01-01' });
  assert.equal(run.result.findings.filter((f) => f.ruleId.startsWith('input/')), []);
  assert.not.ok(run.unusableInput);
});

test.run();
