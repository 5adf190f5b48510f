/**
 * The compiled CLI loads some commands (`runtime`, the GitHub reporter) from lib/src while main()
 * runs from lib/bundle: each side has its own copy of UsageError and ConfigError, so `instanceof`
 * fails across them and a usage error printed as an internal error with a stack trace. Recognition
 * is by brand (Symbol.for) and name, proven here across two module instances.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError } from '../../src/checks/config/types.js';
import { isConfigError, isUsageError, UsageError, USAGE_ERROR_BRAND } from '../../src/cli/usage.js';
import { main } from '../../src/cli/main.js';
import { captureIO } from './_io.js';
import { ROOT } from '../_project.js';

// A second instance of each module, as the bundle and lib/src hold (the query makes the ES-module
// loader evaluate the file again).
const usageCopy = (await import(`../../src/cli/usage.js?copy=${Date.now()}`)) as typeof import('../../src/cli/usage.js');
const configCopy = (await import(`../../src/checks/config/types.js?copy=${Date.now()}`)) as typeof import('../../src/checks/config/types.js');

test('GIVEN a UsageError of another instance of usage.ts THEN instanceof fails but isUsageError recognises it', () => {
  assert.is.not(usageCopy.UsageError, UsageError);
  const foreign = new usageCopy.UsageError('runtime synth: --image <ref> is required');
  assert.not.ok(foreign instanceof UsageError, 'the premise: class identity differs');
  assert.ok(isUsageError(foreign));
  assert.ok(usageCopy.isUsageError(new UsageError('x')));
  assert.is(usageCopy.USAGE_ERROR_BRAND, USAGE_ERROR_BRAND);
});

test('GIVEN errors that are not usage errors THEN isUsageError says no, whatever their name or code', () => {
  const named = new Error('boom');
  named.name = 'UsageError';
  assert.not.ok(isUsageError(named));
  assert.not.ok(isUsageError(Object.assign(new Error('x'), { code: 'MESHPROOF_USAGE' })));
  assert.not.ok(isUsageError({ [USAGE_ERROR_BRAND]: true, message: 'not an Error' }));
  assert.not.ok(isUsageError(undefined));
  assert.not.ok(isUsageError(new TypeError('x')));
});

test('GIVEN a ConfigError of another instance THEN isConfigError recognises it; a plain Error named so does not pass', () => {
  const foreign = new configCopy.ConfigError('rules.x: unknown rule', null);
  assert.not.ok(foreign instanceof ConfigError);
  assert.ok(isConfigError(foreign));
  assert.ok(isConfigError(new ConfigError('x', null)));
  const named = new Error('x');
  named.name = 'ConfigError';
  assert.not.ok(isConfigError(named));
  assert.not.ok(isConfigError(new UsageError('x')));
});

for (const [what, argv, message] of [
  ['runtime synth without --image', ['runtime', 'synth', 'dist', '--out', '/tmp/never-written'], /--image <ref> is required/],
  ['runtime synth --pull-policy never', ['runtime', 'synth', 'dist', '--out', '/tmp/never-written', '--image', 'x:1', '--pull-policy', 'never'], /--pull-policy "never" is not Always, IfNotPresent or Never/],
  ['runtime with no subcommand', ['runtime'], /runtime: unknown subcommand \(none\)/],
  ['runtime smoke without --plan', ['runtime', 'smoke'], /--plan <file> is required/],
] as const) {
  test(`GIVEN ${what} WHEN main runs THEN exit 2 with a usage error and a help hint, no stack trace`, async () => {
    const c = captureIO(ROOT);
    assert.is(await main([...argv], c.io), 2);
    assert.match(c.stderr(), message);
    // The sub-command's own help when the first operand names one (`runtime synth --help`), else the command's.
    const sub = argv[1] === undefined ? '' : ` ${argv[1]}`;
    assert.ok(c.stderr().includes(`Run 'meshproof runtime${sub} --help' for usage.`), c.stderr());
    assert.not.match(c.stderr(), /internal error|\n\s+at /);
  });
}

test.run();
