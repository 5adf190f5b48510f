import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIXTURES } from './_io.js';

const BIN = fileURLToPath(new URL('../../bin/meshproof.js', import.meta.url));
const run = (args: string[], cwd: string, input?: string) =>
  spawnSync(process.execPath, [BIN, ...args], { cwd, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' } });

test('GIVEN the real executable WHEN checking a broken fixture THEN exit 1 and the finding on stdout', () => {
  const r = run(['check'], join(FIXTURES, 'broken'));
  assert.is(r.status, 1, r.stderr);
  assert.ok(r.stdout.includes('error [IST0101] (VirtualService default/reviews dist/mesh.yaml:24)'));
});

test('GIVEN the real executable WHEN manifests come on stdin (`-`) THEN they are checked', () => {
  const r = run(['check', '-', '--format', 'json'], FIXTURES, readFileSync(join(FIXTURES, 'clean/dist/mesh.yaml'), 'utf8'));
  assert.is(r.status, 0, r.stderr);
  assert.is(JSON.parse(r.stdout).summary.objects, 2);
});

test('GIVEN the real executable WHEN given an unknown flag THEN exit 2 naming it and pointing at the command help', () => {
  const r = run(['check', '--nope'], FIXTURES);
  assert.is(r.status, 2);
  assert.match(r.stderr, /^meshproof: unknown option --nope; .*\nRun 'meshproof check --help' for usage\.\n$/);
});

test.run();
