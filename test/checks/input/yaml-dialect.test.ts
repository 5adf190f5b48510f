import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseManifests } from '../../../src/mesh/parse.js';

const HEAD = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n';

/** Parses `data:` lines under a ConfigMap and returns the data and the problems. */
function read(lines: string) {
  const { file, problems } = parseManifests(HEAD + lines, 'c.yaml', null);
  return { data: file.objects[0]?.body.data as Record<string, unknown> | undefined, problems };
}

test('GIVEN YAML 1.1 booleans in every case WHEN read THEN they are booleans, as Kubernetes reads them, with a warning each', () => {
  const words = ['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'];
  const { data, problems } = read(words.map((w, i) => `  k${i}: ${w}\n`).join(''));
  assert.equal(Object.values(data!), words.map((w) => /^[yo]/i.test(w) && !/^off$/i.test(w)));
  assert.is(problems.length, words.length);
  for (const p of problems) assert.equal([p.code, p.severity, p.unusable], ['input/yaml-1.1', 'warning', false]);
  assert.equal(problems[2]!.location, { file: 'c.yaml', line: 8, column: 7 });
  assert.match(problems[2]!.message, /^data\.k2: yes is the boolean true to Kubernetes, which reads YAML 1\.1, but the string "yes" to YAML 1\.2 tools; write true if you mean the boolean, or quote it \("yes"\)/);
});

test('GIVEN 1.1 numbers (octal 0100, 1_000, 0b101) WHEN read THEN Kubernetes values, each with a warning naming both readings', () => {
  const { data, problems } = read('  oct: 0100\n  under: 1_000\n  bin: 0b101\n  plain: 100\n  hex: 0x1F\n  float: 1.5\n');
  assert.equal(data, { oct: 64, under: 1000, bin: 5, plain: 100, hex: 31, float: 1.5 });
  assert.equal(problems.map((p) => p.location.line), [6, 7, 8]);
  assert.match(problems[0]!.message, /data\.oct: 0100 is the number 64 to Kubernetes.*but the number 100 to YAML 1\.2 tools/);
  assert.match(problems[1]!.message, /but the string "1_000"/);
});

test('GIVEN a key that is a 1.1 boolean (on:) WHEN read THEN the key is "true", as in the cluster, and the warning says it is a key', () => {
  const { data, problems } = read('  on: push\n');
  assert.equal(data, { true: 'push' });
  assert.match(problems[0]!.message, /^the key on in data is the boolean true/);
});

test('GIVEN merge keys WHEN read THEN they merge (Kubernetes reads YAML 1.1) and raise no warning', () => {
  const { data, problems } = read('  base: &b {a: "1", b: "2"}\n  merged:\n    <<: *b\n    b: "3"\n');
  assert.equal(data!.merged, { a: '1', b: '3' });
  assert.equal(problems, []);
});

test('GIVEN values go-yaml keeps as strings (timestamps, 1:30, 1e400) WHEN read THEN they stay strings', () => {
  const { data, problems } = read('  date: 2026-01-01\n  time: 1:30\n  huge: 1e400\n  inf: .inf\n');
  assert.equal([data!.date, data!.time, data!.huge, data!.inf], ['2026-01-01', '1:30', '1e400', Infinity]);
  assert.equal(problems, []);
});

test('GIVEN quoted look-alikes and non-breaking spaces WHEN read THEN strings, unchanged', () => {
  const { data, problems } = read('  q: "yes"\n  nbsp: "3\u00a0"\n  plainNbsp: 3\u00a0\n  t: true\n');
  assert.equal(data, { q: 'yes', nbsp: '3\u00a0', plainNbsp: '3\u00a0', t: true });
  assert.equal(problems, []);
});

test('GIVEN |+ at the end of the file WHEN read THEN the kept newlines are exactly those written', () => {
  assert.equal(read('  a: |+\n    x\n\n').data, { a: 'x\n\n' });
  assert.equal(read('  a: |+\n    x\n').data, { a: 'x\n' });
  assert.equal(read('  a: |-\n    x\n\n').data, { a: 'x' });
});

test('GIVEN invalid YAML the old reader accepted WHEN read THEN it is refused with the line (an unclosed "[" at the line it opens on)', () => {
  for (const [text, line] of [['  a: b: c\n', 6], ['  a:\n\t- x\n', 7], ['  a: [1, 2\n', 6], ['  a: "x\n', 7]] as const) {
    const { data, problems } = read(text);
    assert.is(data, undefined, text);
    assert.ok(problems.length > 0 && problems.every((p) => p.code === 'input/syntax' && p.unusable), `${JSON.stringify(text)}: ${JSON.stringify(problems)}`);
    assert.is(problems[0]!.location.line, line, text);
  }
});

test.run();
