/**
 * A new user runs `meshproof check` (or `xds compile`, `verify`) from `apps/` of a scaffolded project:
 * the default dist/ is one folder up. The usage error names that project folder and how to reach it,
 * instead of only "dist/ does not exist" (or "synthesize it first", which would not help).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { captureIO } from './_io.js';

const project = mkdtempSync(join(tmpdir(), 'meshproof-wrong-folder-'));
mkdirSync(join(project, 'dist'));
mkdirSync(join(project, 'apps', 'lib'), { recursive: true });
writeFileSync(join(project, 'cdk8s.yaml'), 'app: npx tsx apps/main.ts\n');
writeFileSync(join(project, 'dist', 'shop.k8s.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\n');
// A folder with no project above it (the temp root has no cdk8s.yaml or meshproof.config.yaml next to a dist/).
const lone = mkdtempSync(join(tmpdir(), 'meshproof-lone-'));

const CASES: [string, string[], string][] = [
  ['check', ['check'], 'meshproof: no paths given and the default dist/ does not exist in '],
  ['xds compile', ['xds', 'compile', '--out', join(lone, 'out')], 'meshproof: xds compile: no paths given and the default dist/ does not exist in '],
  ['verify', ['verify', '--static-only'], 'verify: '],
];
for (const [name, argv, prefix] of CASES) {
  test(`GIVEN "${name}" run from apps/ of a project WHEN there is no dist/ there THEN exit 2 naming the project folder above and how to run it there`, async () => {
    const c = captureIO(join(project, 'apps'));
    assert.is(await main(argv, c.io), 2);
    assert.ok(c.stderr().startsWith(prefix), c.stderr());
    assert.match(c.stderr(), '; the project folder .. has one: run the command there (cd ..) or pass ../dist\n');
    const deeper = captureIO(join(project, 'apps', 'lib'));
    assert.is(await main(argv, deeper.io), 2);
    assert.match(deeper.stderr(), '; the project folder ../.. has one: run the command there (cd ../..) or pass ../../dist\n');
  });

  test(`GIVEN "${name}" run in a folder with no project above WHEN there is no dist/ THEN no project folder is named`, async () => {
    const c = captureIO(lone);
    assert.is(await main(argv, c.io), 2);
    assert.not.match(c.stderr(), 'the project folder');
  });
}

test.run();
