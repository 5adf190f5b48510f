import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { loadInputs } from '../../../src/mesh/load.js';
import { formatSize } from '../../../src/mesh/read.js';

const dir = mkdtempSync(path.join(tmpdir(), 'meshproof-limits-'));
const svc = (name: string) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n`;

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

test('formatSize: bytes below 10 KiB, KiB below 1 MiB, MiB above: never 0.0 MiB for a small limit', () => {
  assert.equal([0, 1, 1000, 10 * 1024 - 1, 10 * 1024, 512 * 1024, 1024 * 1024, 64 * 1024 * 1024].map(formatSize),
    ['0 bytes', '1 byte', '1,000 bytes', '10,239 bytes', '10.0 KiB', '512.0 KiB', '1.0 MiB', '64.0 MiB']);
});

test('GIVEN files that fit the byte limit alone but not together WHEN loaded THEN the first is read, the second refused unread, reading stops', async () => {
  const a = write('bytes/a.yaml', svc('a') + '#'.repeat(600) + '\n');
  write('bytes/b.yaml', svc('b') + '#'.repeat(600) + '\n');
  write('bytes/c.yaml', svc('c'));
  const { files, problems, bytes } = await loadInputs([path.dirname(a)], { maxInputBytes: 1024 });
  assert.equal(files.map((f) => path.basename(f.file)), ['a.yaml']);
  assert.equal(problems.map((p) => [p.code, path.basename(p.location.file), p.unusable]), [['input/too-large', 'b.yaml', true]]);
  assert.match(problems[0]!.message, /^\S+b\.yaml \(\d{3} bytes\) would take the input past the input limit of 1,024 bytes \(\d{3} bytes read before it\); .*not checked\. Raise --max-input-size \(or limits\.maxInputSize in meshproof\.config\.yaml\)/);
  assert.ok(bytes <= 1024);
});

test('GIVEN more YAML documents across files than the limit WHEN loaded THEN input/too-many-documents and the rest is not read', async () => {
  write('docs/a.yaml', `${svc('a')}---\n${svc('b')}`);
  write('docs/b.yaml', `${svc('c')}---\n${svc('d')}---\n${svc('e')}`);
  write('docs/c.yaml', svc('f'));
  const { files, problems, documents } = await loadInputs([path.join(dir, 'docs')], { maxDocuments: 3 });
  assert.equal(files.flatMap((f) => f.objects.map((o) => (o.body.metadata as { name: string }).name)), ['a', 'b', 'c']);
  assert.equal(problems.map((p) => [p.code, path.basename(p.location.file)]), [['input/too-many-documents', 'b.yaml']]);
  assert.match(problems[0]!.message, /limit of 3 YAML documents.*--max-documents/);
  assert.is(documents, 3);
});

test('GIVEN an endless stdin WHEN `-` is loaded THEN reading stops at the byte limit in bounded memory', async () => {
  let produced = 0;
  const chunk = Buffer.from(`${svc('x')}---\n`.repeat(1000));
  const endless = new Readable({
    read() {
      produced += chunk.length;
      this.push(chunk);
    },
  });
  const before = process.memoryUsage().rss;
  const { problems, files } = await loadInputs(['-'], { stdin: endless, maxInputBytes: 8 * 1024 * 1024 });
  assert.equal(problems.map((p) => [p.code, p.location.file]), [['input/too-large', '-']]);
  assert.match(problems[0]!.message, /^- goes past the input limit of 8\.0 MiB/);
  assert.is(files.length, 0);
  assert.ok(produced < 10 * 1024 * 1024, `read ${produced} bytes`);
  assert.ok(process.memoryUsage().rss - before < 200 * 1024 * 1024);
  assert.ok(endless.destroyed);
});

test('GIVEN a 48 MB file of `---` WHEN loaded with the default limits THEN the document limit stops it quickly, no out-of-memory', async () => {
  const file = write('dashes.yaml', '---\n'.repeat(12 * 1024 * 1024));
  const t = performance.now();
  const { problems, documents } = await loadInputs([file]);
  assert.equal(problems.map((p) => p.code), ['input/too-many-documents']);
  assert.is(documents, 200_000);
  // Without the document limit the load runs out of a 4 GB heap after about two minutes; with it, seconds (60 s: a loaded machine).
  assert.ok(performance.now() - t < 60_000, `${(performance.now() - t).toFixed(0)} ms`);
});

test('GIVEN 200 MB of anchored YAML across 50 files WHEN checked in a 192 MB heap THEN the byte limit stops it with exit 2, never an out-of-memory crash', () => {
  const anchored = (i: number) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${i}\n  labels: &l {app: a${i}, tier: t}\ndata:\n  base: &b "${'x'.repeat(40)}"\n  copy: *b\n  more: *b\n---\n`;
  let body = '';
  for (let i = 0; body.length < 4 * 1024 * 1024; i++) body += anchored(i);
  const big = path.join(dir, 'anchored');
  mkdirSync(big);
  for (let f = 0; f < 50; f++) writeFileSync(path.join(big, `f${String(f).padStart(2, '0')}.yaml`), body);
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const script = `import { loadInputs } from './src/mesh/load.ts';
const r = await loadInputs([${JSON.stringify(big)}], { maxInputBytes: 6 * 1024 * 1024 });
console.log(JSON.stringify({ files: r.files.length, codes: r.problems.map((p) => p.code) }));`;
  const child = spawnSync(process.execPath, ['--max-old-space-size=192', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  assert.is(child.status, 0, child.stderr);
  assert.equal(JSON.parse(child.stdout), { files: 1, codes: ['input/too-large'] });
  rmSync(big, { recursive: true, force: true });
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
