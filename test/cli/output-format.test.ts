/**
 * Without --format, the extension of `-o`/`--output` names the format when the command has it
 * (`.sarif` → sarif, `.json` → json, `.md` → markdown), so `check -o report.sarif` is SARIF for code
 * scanning rather than the text report in a file named `.sarif`. An explicit --format always wins.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { captureIO, FIXTURES } from './_io.js';

const work = mkdtempSync(join(tmpdir(), 'meshproof-output-format-'));
test.after(() => rmSync(work, { recursive: true, force: true }));
const CLEAN = join(FIXTURES, 'clean');

async function run(...args: string[]): Promise<number> {
  const c = captureIO(CLEAN);
  const code = await main(args, c.io);
  assert.is(c.stdout(), '', 'the report goes to the file, not stdout');
  return code;
}

test('GIVEN check -o with a .sarif or .json name and no --format WHEN run THEN the file holds SARIF or JSON; a .txt name, or --format text, gives text', async () => {
  assert.is(await run('check', 'dist', '-o', join(work, 'r.sarif')), 0);
  assert.is(JSON.parse(readFileSync(join(work, 'r.sarif'), 'utf8')).version, '2.1.0');
  assert.is(await run('check', 'dist', '-o', join(work, 'r.JSON')), 0);
  assert.is(JSON.parse(readFileSync(join(work, 'r.JSON'), 'utf8')).summary.errors, 0);
  assert.is(await run('check', 'dist', '-o', join(work, 'r.txt')), 0);
  assert.match(readFileSync(join(work, 'r.txt'), 'utf8'), /^No findings in 1 file/);
  assert.is(await run('check', 'dist', '--format', 'text', '-o', join(work, 'forced.json')), 0);
  assert.match(readFileSync(join(work, 'forced.json'), 'utf8'), /^No findings in 1 file/);
  // A format check does not have (markdown) leaves the default.
  assert.is(await run('check', 'dist', '-o', join(work, 'r.md')), 0);
  assert.match(readFileSync(join(work, 'r.md'), 'utf8'), /^No findings in 1 file/);
});

test('GIVEN diff -o with a .json or .md name and no --format WHEN run THEN the file holds JSON or Markdown', async () => {
  assert.is(await run('diff', 'dist', 'dist', '-o', join(work, 'd.json')), 0);
  assert.ok(typeof JSON.parse(readFileSync(join(work, 'd.json'), 'utf8')) === 'object');
  assert.is(await run('diff', 'dist', 'dist', '-o', join(work, 'd.txt')), 0);
  assert.not.throws(() => readFileSync(join(work, 'd.txt'), 'utf8'));
  assert.throws(() => JSON.parse(readFileSync(join(work, 'd.txt'), 'utf8')));
});

test.run();
