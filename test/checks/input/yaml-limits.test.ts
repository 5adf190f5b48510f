import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { loadInputs } from '../../../src/mesh/load.js';
import { parseManifests } from '../../../src/mesh/parse.js';

// Limits on the shape of YAML (nodes, depth, scalar length, duplicate keys, streamed documents):
// each keeps memory and time bounded whatever the input, and stops with a problem naming its flag.

const dir = mkdtempSync(path.join(tmpdir(), 'meshproof-yaml-limits-'));
const header = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\n';

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

test('GIVEN more YAML nodes across files than --max-nodes WHEN loaded THEN input/too-many-nodes where the budget ran out, and the rest of the input is not read', async () => {
  write('nodes/a.yaml', `${header}data: {x: "1"}\n`); // 8 nodes
  write('nodes/b.yaml', `${header}data: {x: [${Array(50).fill('1').join(',')}]}\n`);
  write('nodes/c.yaml', `${header}`);
  const { files, problems } = await loadInputs([path.join(dir, 'nodes')], { maxNodes: 40 });
  assert.equal(files.map((f) => [path.basename(f.file), f.objects.length]), [['a.yaml', 1], ['b.yaml', 0]]);
  assert.equal(problems.map((p) => [p.code, path.basename(p.location.file), p.location.line, p.unusable]), [['input/too-many-nodes', 'b.yaml', 4, true]]);
  assert.match(problems[0]!.message, /b\.yaml document 0 takes the input past the limit of 40 YAML nodes .*Raise --max-nodes \(or limits\.maxNodes in meshproof\.config\.yaml\)/);
});

test('GIVEN a 400k-item flow list (800 KB) WHEN loaded with a budget of 100,000 nodes THEN it stops at the budget before the document is composed', async () => {
  const file = write('flow.yaml', `${header}data: {x: [${Array(400_000).fill('1').join(',')}]}\n`);
  const t = performance.now();
  const { problems } = await loadInputs([file], { maxNodes: 100_000 });
  assert.equal(problems.map((p) => [p.code, p.location.line]), [['input/too-many-nodes', 4]]);
  assert.match(problems[0]!.message, /limit of 100,000 YAML nodes/);
  assert.ok(performance.now() - t < 10_000);
});

test('GIVEN a scalar longer than --max-scalar-length WHEN loaded THEN input/scalar-too-long at the scalar, saying its length and the flag', async () => {
  const file = write('long.yaml', `${header}data:\n  ok: "${'a'.repeat(90)}"\n  big: ${'b'.repeat(150)}\n`);
  const { problems, files } = await loadInputs([file], { maxScalarLength: 100 });
  assert.equal(problems.map((p) => [p.code, p.location.line, p.location.column]), [['input/scalar-too-long', 6, 8]]);
  assert.match(problems[0]!.message, /a scalar of 150 characters, over the limit of 100 .*--max-scalar-length \(or limits\.maxScalarLength/);
  assert.is(files[0]!.objects.length, 0);
});

test('GIVEN 100,000 nested [ or 3,000 nested block keys WHEN parsed THEN input/too-deep with the limit, never a stack overflow', () => {
  for (const text of [`${header}data: {x: ${'['.repeat(100_000)}${']'.repeat(100_000)}}\n`, `${header}data:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(2 * i + 2)}k${i}:\n`).join('')}`]) {
    const r = parseManifests(text, 'deep.yaml', null, { maxDepth: 100 });
    assert.equal(r.problems, []);
    assert.equal(r.stopped && [r.stopped.code, r.stopped.reached, r.stopped.location.line], ['input/too-deep', 101, r.stopped?.location.line]);
    assert.ok(r.stopped!.location.line >= 4);
  }
});

test('GIVEN nesting at the default depth limit and just past it WHEN loaded THEN the first is read, the second refused naming --max-depth', async () => {
  // A mapping 96 levels deep under data: (document, data and the leaf make 99 parser levels).
  const nested = (levels: number) => `${header}data:\n${Array.from({ length: levels }, (_, i) => `${' '.repeat(2 * i + 2)}k${i}:`).join('\n')} v\n`;
  const ok = await loadInputs([write('depth/ok.yaml', nested(96))]);
  assert.equal(ok.problems, []);
  assert.is(ok.files[0]!.objects.length, 1);
  const deep = await loadInputs([write('depth/deep.yaml', nested(120))]);
  assert.equal(deep.problems.map((p) => p.code), ['input/too-deep']);
  assert.match(deep.problems[0]!.message, /nests collections more than 100 levels deep.*--max-depth \(or limits\.maxDepth/);
});

test('GIVEN 50,000 keys in one mapping WHEN parsed THEN in about 10x the time of 5,000 keys (a Set per mapping, not yaml\'s quadratic check), a duplicate still reported with the same message and line', () => {
  const mapping = (n: number) => `${header}data:\n${Array.from({ length: n }, (_, i) => `  k${i}: v\n`).join('')}  k7: again\n`;
  const timed = (text: string) => {
    const t = performance.now();
    const r = parseManifests(text, 'keys.yaml', null);
    return { r, ms: performance.now() - t };
  };
  const small = mapping(5000);
  const baseline = Math.min(...[0, 1, 2].map(() => timed(small).ms));
  const { r, ms } = timed(mapping(50_000));
  assert.equal(r.problems.map((p) => [p.code, p.message, p.location.line]), [['input/duplicate-key', 'duplicate key "k7" in data (first at line 12): Map keys must be unique, and tools disagree on which value wins; keep one', 50_005]]);
  // Against a baseline measured here, so a slow or loaded machine scales both: 10x the keys took 7-22x the
  // time (linear, noisy), and 90x with yaml's uniqueKeys (quadratic: 23.8 s for 50,000 keys).
  assert.ok(ms < 45 * baseline, `50,000 keys took ${ms.toFixed(0)} ms, ${(ms / baseline).toFixed(1)}x the ${baseline.toFixed(0)} ms of 5,000`);
  // Equal as yaml defines it: 1 and "1" differ, merge keys may repeat, flow mappings are checked too.
  const same = parseManifests(`${header}x: &a {p: 1}\ny: &b {q: 2}\ndata:\n  <<: *a\n  <<: *b\n  1: x\n  "1": y\n`, 'k.yaml', null);
  assert.equal(same.problems.filter((p) => p.code === 'input/duplicate-key'), []);
  const flow = parseManifests(`${header}data: {a: 1, b: 2, a: 3}\n`, 'k.yaml', null);
  assert.equal(flow.problems.map((p) => [p.code, p.location.line, p.location.column]), [['input/duplicate-key', 4, 20]]);
});

test('GIVEN thousands of values YAML 1.1 reads differently (the flow lists of booleans `n`) WHEN parsed THEN 20 warnings and one summary, never a stack overflow', () => {
  const text = `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: a}\nspec:\n  hosts:\n${'  - [a,b,c,d,e,f,g,h,i,j,k,l,m,n]\n'.repeat(5000)}`;
  const r = parseManifests(text, 'vs.yaml', null);
  const warnings = r.problems.filter((p) => p.code === 'input/yaml-1.1');
  assert.is(warnings.length, 21);
  assert.match(warnings[20]!.message, /^4980 more plain values in document 0 are read differently/);
});

test('GIVEN kind: List with no items WHEN parsed THEN the List is said to have no items, not to lack metadata.name', () => {
  const r = parseManifests('apiVersion: v1\nkind: List\n', 'l.yaml', null);
  assert.equal(r.problems.map((p) => [p.code, p.location.line]), [['input/bad-list', 2]]);
  assert.match(r.problems[0]!.message, /^document 0 is a List with no "items" field, so it holds no objects; add items:/);
});

test('GIVEN an endless stream of `---` on stdin WHEN loaded THEN reading stops at the document limit, as the documents stream, at the line where it was reached', async () => {
  let produced = 0;
  const chunk = Buffer.from('---\n'.repeat(4096));
  const endless = new Readable({
    read() {
      produced += chunk.length;
      this.push(chunk);
    },
  });
  const { problems, files, documents } = await loadInputs(['-'], { stdin: endless, maxDocuments: 10_000 });
  assert.equal(problems.map((p) => [p.code, p.location.file, p.location.line]), [['input/too-many-documents', '-', 10_001]]);
  assert.match(problems[0]!.message, /limit of 10,000 YAML documents \(10,000 read, up to line 10001\).*--max-documents/);
  assert.equal(files.map((f) => f.file), ['-']);
  assert.is(documents, 10_000);
  assert.ok(produced < 1024 * 1024, `read ${produced} bytes`);
  assert.ok(endless.destroyed);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
