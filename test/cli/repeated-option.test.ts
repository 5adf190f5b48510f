/**
 * A single-value option given twice (`--format json --format sarif`) is a usage error naming the
 * option and both values: node:util's parseArgs would keep the last one silently. Repeatable options
 * (`--exclude`, `--context`) and booleans may repeat.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { repeatedOption } from '../../src/cli/args.js';
import { captureIO, FIXTURES } from './_io.js';

const work = mkdtempSync(join(tmpdir(), 'meshproof-repeated-'));

const CASES: [string, string[], string][] = [
  ['--format twice', ['check', '--format', 'json', '--format', 'sarif'], 'meshproof: --format given twice ("json", then "sarif"); it takes one value: give it once\n'],
  ['--format=x twice', ['check', '--format=json', '--format=sarif'], 'meshproof: --format given twice ("json", then "sarif"); it takes one value: give it once\n'],
  ['-o then --output', ['check', '-o', join(work, 'a.json'), '--output', join(work, 'b.json')], `meshproof: --output given twice (${JSON.stringify(join(work, 'a.json'))} (as -o), then ${JSON.stringify(join(work, 'b.json'))}); it takes one value: give it once\n`],
  ['map --out twice', ['map', '--out', join(work, 'a.html'), '--out', join(work, 'b.html')], `meshproof: --out given twice (${JSON.stringify(join(work, 'a.html'))}, then ${JSON.stringify(join(work, 'b.html'))}); it takes one value: give it once\n`],
  ['rules --format twice', ['rules', '--format', 'json', '--format', 'json'], 'meshproof: --format given twice ("json", then "json"); it takes one value: give it once\n'],
  ['--fail-on twice', ['check', '--fail-on', 'error', '--fail-on', 'none'], 'meshproof: --fail-on given twice ("error", then "none"); it takes one value: give it once\n'],
];
for (const [name, argv, message] of CASES) {
  test(`GIVEN ${name} THEN exit 2 naming the option and both values, and nothing runs`, async () => {
    const c = captureIO(join(FIXTURES, 'clean'));
    assert.is(await main(argv, c.io), 2);
    assert.is(c.stderr().split('\n')[0] + '\n', message);
    assert.match(c.stderr(), /\nRun 'meshproof (check|map|rules) --help' for usage\.\n$/);
    assert.is(c.stdout(), '');
  });
}

test('GIVEN repeatable --exclude, and a boolean twice THEN accepted (exit 0)', async () => {
  const c = captureIO(join(FIXTURES, 'clean'));
  assert.is(await main(['check', '--exclude', 'x/**', '--exclude', 'y/**', '--no-color', '--no-color'], c.io), 0, c.stderr());
});

test('repeatedOption: one value each is no problem; the first repeated option is named', () => {
  const options = { a: { type: 'string' }, b: { type: 'string', multiple: true }, f: { type: 'boolean' } } as const;
  const opt = (name: string, value?: string) => (value === undefined
    ? { kind: 'option' as const, name, rawName: `--${name}`, index: 0, value: undefined, inlineValue: undefined }
    : { kind: 'option' as const, name, rawName: `--${name}`, index: 0, value, inlineValue: false });
  assert.is(repeatedOption([opt('a', '1'), opt('b', '1'), opt('b', '2'), opt('f'), opt('f')], options), undefined);
  assert.is(repeatedOption([opt('a', '1'), opt('a', '2')], options), '--a given twice ("1", then "2"); it takes one value: give it once');
});

test.run();
