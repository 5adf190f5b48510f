/**
 * Input paths that are symbolic links `existsSync` cannot follow: a link that loops, or one whose
 * target is gone, is there (`ls` shows it), so "path not found" would send the user looking for
 * a file that exists. `check` and `xds compile` name the link, what is wrong with it and the fix.
 */
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { captureIO } from './_io.js';

const work = mkdtempSync(join(tmpdir(), 'meshproof-input-links-'));
symlinkSync('loop-b.yaml', join(work, 'loop-a.yaml'));
symlinkSync('loop-a.yaml', join(work, 'loop-b.yaml'));
symlinkSync('gone.yaml', join(work, 'dangling.yaml'));
writeFileSync(join(work, 'real.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\n');

const COMMANDS: [string, string[], string][] = [
  ['check', ['check'], ''],
  ['xds compile', ['xds', 'compile', '--out', join(work, 'out')], 'xds compile: '],
];
for (const [name, argv, prefix] of COMMANDS) {
  test(`GIVEN a symbolic link that loops WHEN "${name}" is given it THEN exit 2 saying it is a link that loops, not that it is missing`, async () => {
    const c = captureIO(work);
    assert.is(await main([...argv, 'loop-a.yaml'], c.io), 2);
    assert.match(c.stderr(), `meshproof: ${prefix}loop-a.yaml is a symbolic link that loops (loop-a.yaml → loop-b.yaml → … leads back to itself); point it at a real file or folder\n`);
    assert.not.match(c.stderr(), /not found|    at /);
  });

  test(`GIVEN a symbolic link to nothing WHEN "${name}" is given it THEN exit 2 naming the link and its missing target`, async () => {
    const c = captureIO(work);
    assert.is(await main([...argv, 'dangling.yaml'], c.io), 2);
    assert.match(c.stderr(), `meshproof: ${prefix}dangling.yaml is a symbolic link to gone.yaml, which does not exist; fix the link or remove it\n`);
  });

  test(`GIVEN a path that is not there at all WHEN "${name}" is given it THEN it is still "path not found"`, async () => {
    const c = captureIO(work);
    assert.is(await main([...argv, 'nope.yaml'], c.io), 2);
    assert.match(c.stderr(), `meshproof: ${prefix}path not found: nope.yaml\n`);
  });
}

test.run();
