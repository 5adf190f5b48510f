import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { parseManifests } from '../../src/mesh/parse.js';
import { KUBERNETES_YAML } from '../../src/mesh/yaml-dialect.js';
import { LocatorCache } from '../../src/mesh/yaml-memory.js';

const ROOT = path.join(import.meta.dirname, '..', '..');

// Flow-style metadata sends the file to yaml's Composer, where double-quoted scalars are rewritten.
const QUOTED = `apiVersion: v1
kind: ConfigMap
metadata: {"name": "quotes", namespace: "a"}
data:
  plain: "just text"
  empty: ""
  tab: "a\tb"
  apostrophe: "it's"
  escapes: "line\\nbreak \\"quoted\\" \\u00e9 \\\\"
  folded: "one
    two"
  trailing: "x  "
  hash: "# not a comment"
  colon: "a: b"
  json: {"k": "v", "n": "1", "b": "true"}
  list: ["x", 'y', "z\\tq"]
`;

test('GIVEN double-quoted scalars with and without escapes, quotes, tabs and line breaks WHEN parsed THEN every value and every field position is what yaml itself gives', () => {
  const { file, problems } = parseManifests(QUOTED, 'q.yaml', null);
  assert.equal(problems, []);
  const [object] = file.objects;
  const reference = parseAllDocuments(QUOTED, KUBERNETES_YAML);
  const doc = Array.isArray(reference) ? reference[0]! : reference;
  assert.equal(object!.body, doc.toJS());
  const data = object!.body.data as Record<string, unknown>;
  assert.is(data.escapes, 'line\nbreak "quoted" \u00e9 \\', 'an escape is decoded, so that scalar was not rewritten');
  assert.is(data.folded, 'one two');
  assert.is(data.apostrophe, "it's");
  const lines = QUOTED.split('\n');
  for (const key of Object.keys(data)) {
    const at = object!.locate(['data', key]);
    assert.is(lines[at.line - 1]!.slice(at.column - 1, at.column - 1 + key.length), key, `data.${key} is located at its key`);
  }
  assert.equal(object!.locate(['data', 'list', 2]), { file: 'q.yaml', line: 16, column: 20 });
});

test('GIVEN a locator cache of 3 documents or 100 characters WHEN more are asked for THEN the least recently used go first, and a document over the size is never kept', () => {
  const cache = new LocatorCache(100, 3);
  const built: string[] = [];
  const get = (owner: { id: string }, chars = 10) => cache.get(owner, chars, () => {
    built.push(owner.id);
    return () => 0;
  });
  const [a, b, c, d, big] = ['a', 'b', 'c', 'd', 'big'].map((id) => ({ id }));
  get(a!);
  get(b!);
  get(c!);
  get(a!);
  get(d!);
  get(a!);
  get(b!);
  assert.equal(built, ['a', 'b', 'c', 'd', 'b'], 'b was the least recently used when d came');
  get(big!, 101);
  get(big!, 101);
  assert.equal(built.slice(5), ['big', 'big']);
  get(c!, 90);
  get(c!, 90);
  get(b!);
  get(a!);
  assert.equal(built.slice(7), ['c', 'a'], 'c (90 characters) pushed d and a out; b (10) still fits beside it');
});

function cli(args: string[], heapMb: number): { status: number | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, '--import', 'tsx', 'scripts/dev-cli.ts', ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

test('GIVEN a 16 MB ConfigMap of quoted 1,000-character values (read by yaml\'s Composer) WHEN checked under a 256 MB heap THEN it checks (it took 35 bytes of heap per input byte)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-parse-memory-'));
  try {
    const file = path.join(dir, 'big.yaml');
    const keys = Math.ceil((16 * 1024 * 1024) / 1010);
    const body = Array.from({ length: keys }, (_, i) => `  k${i}: "${String(i).padEnd(1000, 'x')}"\n`).join('');
    fs.writeFileSync(file, `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: a}\ndata:\n${body}`);
    const run = cli(['check', file, '--format', 'json'], 256);
    assert.not.match(run.stderr, /heap out of memory/);
    assert.is(run.status, 0, run.stderr);
    assert.is(JSON.parse(run.stdout).summary.objects, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a document the heap cannot hold (450,000 keys) WHEN checked under a 64 MB heap THEN input/too-large names the file, line and a larger heap to use, exit 2, and no V8 abort', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-parse-memory-'));
  try {
    const file = path.join(dir, 'keys.yaml');
    const body = Array.from({ length: 450_000 }, (_, i) => `  k${i}: v\n`).join('');
    fs.writeFileSync(file, `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: a}\ndata:\n${body}`);
    const run = cli(['check', file], 64);
    assert.not.match(run.stderr, /heap out of memory/);
    assert.is(run.status, 2, run.stderr);
    assert.match(run.stdout, /error \[input\/too-large\] \(.*keys\.yaml:\d+\) .*keys\.yaml document 0 takes more memory than this Node process may use: \d+ MiB of its \d+ MiB heap \(old space\)/, run.stdout);
    assert.match(run.stdout, /NODE_OPTIONS=--max-old-space-size=\d+/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
