import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { VERSION } from '../../src/cli/version.js';
import { captureIO, FIXTURES } from './_io.js';

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = captureIO(FIXTURES);
  const code = await main(argv, c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

const OWN: [string, RegExp, RegExp][] = [
  ['check', /^Usage: meshproof check \[paths\.\.\.\] \[options\]\n/, /--fail-on <level>[\s\S]*Exit codes:/],
  ['rules', /^Usage: meshproof rules \[options\]\n/, /--format <f> +text \| json \| markdown/],
  ['init', /^Usage: meshproof init \[dir\] \[options\]\n/, /-f, --force +Overwrite existing files[\s\S]*--repo-url <url>/],
  ['xds', /^Usage: meshproof xds compile \[paths\.\.\.\] \[options\]\n +meshproof xds serve \[options\]\n/, /Options for xds compile:[\s\S]*Options for xds serve:/],
];
for (const [command, head, body] of OWN) {
  test(`GIVEN ${command} --help WHEN run THEN only ${command}'s usage is printed on stdout, exit 0`, async () => {
    for (const flag of ['--help', '-h']) {
      const r = await run(command, flag);
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stdout, head);
      assert.match(r.stdout, body);
      assert.not.match(r.stdout, /Commands:/, 'not the global help');
      for (const other of OWN.map(([c]) => c).filter((c) => c !== command)) assert.not.match(r.stdout, new RegExp(`Options for ${other}\\b`));
    }
  });
}

test('GIVEN a sub-command with --help (xds serve, runtime smoke) WHEN run THEN only that sub-command\'s usage, not its siblings\'', async () => {
  const serve = await run('xds', 'serve', '--help');
  assert.is(serve.code, 0, serve.stderr);
  assert.match(serve.stdout, /^Usage: meshproof xds serve \[options\]\n/);
  assert.match(serve.stdout, /Options for xds serve:/);
  assert.not.match(serve.stdout, /Options for xds compile:/);
  const smoke = await run('runtime', 'smoke', '--help');
  assert.match(smoke.stdout, /^Usage: meshproof runtime smoke --plan <file> \[options\]\n/);
  assert.not.match(smoke.stdout, /Options for runtime synth:/);
  const unknown = await run('xds', 'nonsense', '--help');
  assert.match(unknown.stdout, /Options for xds compile:[\s\S]*Options for xds serve:/, 'an unknown sub-command falls back to the command\'s usage');
});

test('GIVEN check --help THEN -o and -c are documented next to their long forms', async () => {
  const r = await run('check', '--help');
  assert.match(r.stdout, /\n  -o, --output <file> /);
  assert.match(r.stdout, /\n  -c, --config <file> /);
});

test('GIVEN --version (or -V) after a command THEN the version is printed, not "unknown option"', async () => {
  for (const argv of [['check', '--version'], ['rules', '-V'], ['init', '--version']]) {
    const r = await run(...argv);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, `meshproof ${VERSION}\n`);
  }
});

test('GIVEN --help after -- THEN it is an operand, not a request for help', async () => {
  const r = await run('check', '--', '--help');
  assert.is(r.code, 2);
  assert.is(r.stderr, "meshproof: path not found: --help\nRun 'meshproof check --help' for usage.\n");
});

test('GIVEN a mistyped flag of rules or xds compile THEN the closest flag of that command is suggested', async () => {
  const rules = await run('rules', '--fromat', 'json');
  assert.is(rules.stderr, "meshproof: unknown option --fromat; did you mean --format?\nRun 'meshproof rules --help' for usage.\n");
  const xds = await run('xds', 'compile', '--workload', 'w.json');
  assert.match(xds.stderr, /^meshproof: unknown option --workload; did you mean --workloads\?\n/);
  const none = await run('rules', '--zzzzzzzz');
  assert.is(none.stderr, "meshproof: unknown option --zzzzzzzz; the options are --format, --no-color\nRun 'meshproof rules --help' for usage.\n");
});

const PRINTING: [string[], RegExp | null][] = [
  [['rules'], null],
  [['diff'], /^meshproof: diff takes/],
  [['verify', '--format', 'bogus'], /^meshproof: --format must be one of/],
];
for (const [argv, refusal] of PRINTING) {
  test(`GIVEN ${argv.join(' ')} --no-color (a flag check accepts) WHEN run THEN it is accepted as an output flag, not an unknown option`, async () => {
    const r = await run(...argv, '--no-color');
    assert.not.match(r.stderr, /unknown option/);
    if (refusal === null) assert.is(r.code, 0, r.stderr);
    else assert.match(r.stderr, refusal);
    assert.match((await run(argv[0]!, '--help')).stdout, /\n  --no-color +/, `${argv[0]} --help documents --no-color`);
  });
}


test('GIVEN every command USAGE lists WHEN its usage is cut THEN each synopsis holds only words, <operands>, [optional parts] and flags, never the description', async () => {
  const { USAGE, commandUsage } = await import('../../src/cli/usage.js');
  const commands = [...new Set(USAGE.split('\n\n').find((b) => b.startsWith('Commands:'))!.split('\n').slice(1).filter((l) => /^  \S/.test(l)).map((l) => l.slice(2).split(' ')[0]!))];
  assert.ok(commands.length >= 10, commands.join(' '));
  for (const command of commands) {
    const head = commandUsage(command)!.split('\n\n')[0]!;
    for (const synopsis of head.split('\n').filter((l) => /^(Usage: | {7})meshproof /.test(l))) {
      const words = synopsis.replace(/^Usage: | {7}/, '').split(' ').slice(1, -1);
      for (const w of words) assert.match(w, /^([a-z-]+|<[^>]+>|\[[^\]]+\]|--?[a-z-]+)$/, `${command}: "${synopsis}"`);
    }
  }
});

test.run();
