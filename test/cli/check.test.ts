import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { captureIO, FIXTURES } from './_io.js';

const dir = (name: string): string => join(FIXTURES, name);

test('GIVEN clean manifests in dist/ WHEN `check` with no paths THEN the default dist/ is checked, exit 0', async () => {
  const c = captureIO(dir('clean'));
  assert.is(await main(['check'], c.io), 0);
  assert.match(c.stdout(), /^No findings in 1 file \(2 objects, \d+ rules\)\n$/);
});

test('GIVEN a missing host WHEN checked THEN the istioctl-style line and exit 1', async () => {
  const c = captureIO(dir('broken'));
  assert.is(await main(['check', 'dist/'], c.io), 1);
  assert.match(c.stdout(), /^dist\/mesh\.yaml\nerror \[IST0101\] \(VirtualService default\/reviews dist\/mesh\.yaml:24\) .*"ratings"/);
});

test('GIVEN the same input WHEN --fail-on none THEN exit 0; --format json THEN parseable with one finding', async () => {
  assert.is(await main(['check', '--fail-on', 'none'], captureIO(dir('broken')).io), 0);
  const c = captureIO(dir('broken'));
  assert.is(await main(['check', '--format', 'json'], c.io), 1);
  const doc = JSON.parse(c.stdout());
  assert.equal(doc.findings.map((f: { istioCode: string }) => f.istioCode), ['IST0101']);
  assert.is(doc.summary.errors, 1);
});

test('GIVEN an unexpired config exception WHEN checked THEN the finding is suppressed and exit 0', async () => {
  const c = captureIO(dir('excepted'), { today: '2025-12-31' });
  assert.is(await main(['check', '--format', 'json'], c.io), 0);
  const doc = JSON.parse(c.stdout());
  assert.is(doc.findings.length, 0);
  assert.is(doc.suppressed[0].suppression.reason, 'ratings is deployed by another team next sprint');
});

test('GIVEN the exception expired WHEN checked THEN the finding is reported with a notice, exit 1', async () => {
  const c = captureIO(dir('excepted'), { today: '2026-01-01' });
  assert.is(await main(['check'], c.io), 1);
  assert.ok(c.stdout().includes('notice: exception for IST0101 on VirtualService default/rev* expired on 2026-01-01: ratings is deployed by another team next sprint\n'));
  assert.ok(c.stdout().includes('error [IST0101]'));
});

test('GIVEN a suppression without reason WHEN checked THEN a warning: exit 0 by default, 1 with --fail-on warning, 1 with --profile strict', async () => {
  const c = captureIO(dir('no-reason'));
  assert.is(await main(['check'], c.io), 0);
  assert.ok(c.stdout().includes('warning [config/suppression-without-reason] (VirtualService default/reviews dist/mesh.yaml:19)'));
  assert.is(await main(['check', '--fail-on', 'warning'], captureIO(dir('no-reason')).io), 1);
  assert.is(await main(['check', '--profile', 'strict'], captureIO(dir('no-reason')).io), 1);
});

test('GIVEN an invalid config WHEN checked THEN exit 2 and file:line of the bad key on stderr', async () => {
  const c = captureIO(dir('bad-config'));
  assert.is(await main(['check'], c.io), 2);
  assert.match(c.stderr(), /^meshproof: invalid config: meshproof\.config\.yaml:3:3: rules: unknown rule id "routing\/no-such-rule"/);
  assert.is(c.stdout(), '');
});

test('GIVEN --config pointing at a config elsewhere THEN it is used', async () => {
  const c = captureIO(dir('broken'), { today: '2025-01-01' });
  assert.is(await main(['check', '--config', '../excepted/meshproof.config.yaml'], c.io), 0);
});

test('GIVEN unparsable YAML WHEN checked with --fail-on none THEN still exit 2 (never passes)', async () => {
  const c = captureIO(dir('unparsable'));
  assert.is(await main(['check', '.', '--fail-on', 'none'], c.io), 2);
  assert.match(c.stdout(), /error \[input\/syntax\] \(broken\.yaml:\d+\) malformed YAML/);
});

test('GIVEN `-` WHEN checked THEN stdin is read', async () => {
  const c = captureIO(dir('clean'), { stdin: readFileSync(join(dir('broken'), 'dist/mesh.yaml'), 'utf8') });
  assert.is(await main(['check', '-'], c.io), 1);
  assert.ok(c.stdout().includes('(VirtualService default/reviews -:24)'));
});

test('GIVEN --output WHEN checked THEN the report is written to the file (no temp files left), nothing on stdout', async () => {
  const out = mkdtempSync(join(tmpdir(), 'meshproof-out-'));
  const c = captureIO(dir('broken'));
  assert.is(await main(['check', '--format', 'sarif', '--output', join(out, 'report.sarif')], c.io), 1);
  assert.is(c.stdout(), '');
  assert.equal(readdirSync(out), ['report.sarif']);
  assert.is(JSON.parse(readFileSync(join(out, 'report.sarif'), 'utf8')).runs[0].results.length, 1);
});

test('GIVEN a TTY WHEN checked THEN colour; with NO_COLOR or --no-color THEN none; FORCE_COLOR without TTY THEN colour', async () => {
  const run = async (args: string[], opts: Parameters<typeof captureIO>[1]) => {
    const c = captureIO(dir('broken'), opts);
    await main(['check', ...args], c.io);
    return c.stdout().includes('\u001b[');
  };
  assert.ok(await run([], { isTTY: true }));
  assert.not.ok(await run([], { isTTY: true, env: { NO_COLOR: '1' } }));
  assert.not.ok(await run(['--no-color'], { isTTY: true }));
  assert.ok(await run([], { env: { FORCE_COLOR: '1' } }));
  assert.not.ok(await run([], {}));
});

const USAGE_CASES: [string, string[], RegExp][] = [
  ['an unknown flag', ['check', '--bogus'], /unknown option --bogus; the options are --format, --output, --fail-on, /],
  ['a mistyped flag', ['check', '--foramt', 'json'], /^meshproof: unknown option --foramt; did you mean --format\?\n/],
  ['a mistyped flag with its value', ['check', '--fail-no=error'], /^meshproof: unknown option --fail-no; did you mean --fail-on\?\n/],
  ['a missing path', ['check', 'nope/'], /path not found: nope\//],
  ['a bad --format', ['check', '--format', 'xml'], /--format must be one of text, json, sarif, github; got "xml"/],
  ['a bad --fail-on', ['check', '--fail-on', 'fatal'], /--fail-on must be one of error, warning, info, none/],
  ['a bad --profile', ['check', '--profile', 'lax'], /--profile must be one of recommended, strict, istio-parity/],
  ['an unknown command', ['lint'], /unknown command "lint"; commands are check, /],
  ['an option where the command goes', ['--format', 'json', 'check'], /^meshproof: --format is an option, not a command: options go after the command \(meshproof <command> --format\); commands are /],
  ['no command', [], /Usage: meshproof/],
];
for (const [name, argv, message] of USAGE_CASES) {
  test(`GIVEN ${name} THEN the message and where to find usage on stderr, exit 2`, async () => {
    const c = captureIO(dir('clean'));
    assert.is(await main(argv, c.io), 2);
    assert.match(c.stderr(), message);
    if (argv.length === 0) assert.match(c.stderr(), /Usage: meshproof <command>/);
    else assert.match(c.stderr(), argv[0] === 'check' ? /\nRun 'meshproof check --help' for usage\.\n$/ : /\nRun 'meshproof --help' for usage\.\n$/);
    if (argv.length > 0) assert.is(c.stderr().split('\n').length, 3, 'one message line and one hint line, not the whole help');
  });
}

test('GIVEN no dist/ and no paths THEN exit 2 naming the default', async () => {
  const c = captureIO(dir('unparsable'));
  assert.is(await main(['check'], c.io), 2);
  assert.match(c.stderr(), /the default dist\/ does not exist/);
});

test('GIVEN --help / --version THEN usage / version on stdout, exit 0', async () => {
  const h = captureIO(dir('clean'));
  assert.is(await main(['--help'], h.io), 0);
  assert.match(h.stdout(), /^Usage: meshproof <command> \[options\]/);
  const v = captureIO(dir('clean'));
  assert.is(await main(['--version'], v.io), 0);
  assert.match(v.stdout(), /^meshproof \d+\.\d+\.\d+\n$/);
});

test.run();
