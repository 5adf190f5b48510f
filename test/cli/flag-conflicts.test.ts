/**
 * Flags that cannot go together, and values that would be pasted into a generated file unchecked,
 * are usage errors naming the flags: nothing silently wins, nothing half-valid is written.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { captureIO } from './_io.js';

const work = mkdtempSync(join(tmpdir(), 'meshproof-flag-conflicts-'));

test('GIVEN --kubeconfig and --in-cluster WHEN "xds serve" starts THEN exit 2 saying they are two ways to reach a cluster, before any file is read', async () => {
  const c = captureIO(work);
  assert.is(await main(['xds', 'serve', '--input', 'does-not-exist', '--kubeconfig', 'also-missing', '--in-cluster'], c.io), 2);
  assert.match(c.stderr(), /^meshproof: xds serve: --kubeconfig <file> and --in-cluster name two ways to reach a cluster; give one/);
  assert.not.match(c.stderr(), /does-not-exist|also-missing|ENOENT/);
});

const BAD_ACTIONS = ['foo', 'acme/meshproof', 'acme/meshproof@', 'acme/meshproof@v1\n        with: {x: 1}', 'acme_x/meshproof@v1', 'acme/mesh proof@v1'];
for (const action of BAD_ACTIONS) {
  test(`GIVEN --action ${JSON.stringify(action)} WHEN "init" runs THEN exit 2 naming the expected form, and nothing is written`, async () => {
    const dir = mkdtempSync(join(work, 'init-'));
    const c = captureIO(dir);
    assert.is(await main(['init', '--no-install', '--action', action], c.io), 2);
    assert.match(c.stderr(), `meshproof: --action ${JSON.stringify(action)} is not a GitHub Action reference the workflow's uses: can take; expected <owner>/<repo>@<ref>`);
    assert.not.ok(existsSync(join(dir, '.github')), 'no workflow written');
  });
}

for (const action of ['acme/meshproof@v1', 'my-org/meshproof@0123abc', 'acme/tools/meshproof@release/1.x', './']) {
  test(`GIVEN --action ${action} WHEN "init" runs THEN the workflow uses it`, async () => {
    const dir = mkdtempSync(join(work, 'init-'));
    const c = captureIO(dir);
    assert.is(await main(['init', '--no-install', '--action', action], c.io), 0, c.stderr());
    assert.match(readFileSync(join(dir, '.github/workflows/mesh-gate.yml'), 'utf8'), `        uses: ${action}\n`);
  });
}

test.run();
