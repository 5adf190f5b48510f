/**
 * The action's inputs are judged by their input names (`fail-on`, `config`), not by the CLI flags they become,
 * and their values are case-insensitive like `verify`'s: `fail-on: ERROR` works.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runAction } from '../../src/gate/action.js';

const BAD_ROUTE = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cart, namespace: shop}
spec:
  hosts: [cart]
  http: [{route: [{destination: {host: ledger}}]}]
`;

async function action(inputs: Record<string, string>): Promise<{ code: number; stdout: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-inputs-'));
  try {
    fs.mkdirSync(path.join(dir, 'dist'));
    fs.writeFileSync(path.join(dir, 'dist', 'app.yaml'), BAD_ROUTE);
    const env: Record<string, string> = { GITHUB_ACTIONS: 'true', RUNNER_TEMP: dir };
    for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase().replace(/-/g, '_')}`] = v;
    let stdout = '';
    const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stdout += s) }, stdin: () => [], env, cwd: dir, today: '2026-11-30' };
    return { code: await runAction(io), stdout };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('GIVEN fail-on: ERROR (upper case) WHEN the action runs on an error finding THEN it is read as error and fails the gate with exit 1', async () => {
  const r = await action({ 'fail-on': 'ERROR' });
  assert.is(r.code, 1, r.stdout);
  assert.not.match(r.stdout, 'cannot run');
  const none = await action({ 'fail-on': 'None' });
  assert.is(none.code, 0, none.stdout);
});

test('GIVEN fail-on: fatal WHEN the action runs THEN the error names the fail-on input and its values, never the CLI flag', async () => {
  const r = await action({ 'fail-on': 'fatal' });
  assert.is(r.code, 2);
  assert.match(r.stdout, 'the fail-on input must be one of error, warning, info, none (any case); got "fatal"');
  assert.not.match(r.stdout, '--fail-on');
});

test('GIVEN a config input naming a missing file WHEN the action runs THEN the error names the config input, not --config', async () => {
  const r = await action({ config: 'ci/meshproof.yaml' });
  assert.is(r.code, 2);
  assert.match(r.stdout, 'the config input names a file that does not exist: ci/meshproof.yaml');
  assert.not.match(r.stdout, '--config');
});

test.run();
