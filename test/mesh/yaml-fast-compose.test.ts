import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineIndex } from '../../src/mesh/lines.js';
import { parseManifests } from '../../src/mesh/parse.js';
import { readComposed, readFast, readYamlDocuments, type ReadYamlOptions, type ReadYamlResult } from '../../src/mesh/yaml-reader.js';

const OPTS: ReadYamlOptions = { maxAliasCount: 100, maxDocuments: Infinity };
const lines = (text: string) => new LineIndex('t.yaml', text);

/** Values with shared objects (alias targets) written as back-references, so sharing is compared too. */
function shape(v: unknown, seen = new Map<object, number>()): unknown {
  if (typeof v !== 'object' || v === null) return Object.is(v, -0) ? '-0' : v;
  const ref = seen.get(v);
  if (ref !== undefined) return { $ref: ref };
  seen.set(v, seen.size);
  if (Array.isArray(v)) return v.map((x) => shape(x, seen));
  return Object.entries(v).map(([k, x]) => [k, shape(x, seen)]);
}

/** Every path into `v` (and one step past each leaf), for comparing `locate`. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = [], seen = new Set<object>()): (string | number)[][] {
  out.push(prefix, [...prefix, 'absent']);
  if (typeof v !== 'object' || v === null || seen.has(v)) return out;
  seen.add(v);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out, seen));
  else for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out, seen);
  seen.delete(v);
  return out;
}

/** Differences between two reads of the same text, as readable strings. */
function differences(a: ReadYamlResult, b: ReadYamlResult): string[] {
  const out: string[] = [];
  const summary = (r: ReadYamlResult) => ({ documents: r.documents, nodes: r.nodes, truncated: r.truncated, truncatedAt: r.truncatedAt, stopped: r.stopped, docs: r.docs.length, problems: r.problems });
  if (!isDeepStrictEqual(summary(a), summary(b))) out.push(`summary: ${JSON.stringify(summary(a))} vs ${JSON.stringify(summary(b))}`);
  a.docs.forEach((d, i) => {
    const e = b.docs[i];
    if (!e) return;
    if (d.index !== e.index) out.push(`doc ${i}: index ${d.index} vs ${e.index}`);
    if (d.value !== null && d.offset !== e.offset) out.push(`doc ${i}: offset ${d.offset} vs ${e.offset}`);
    if (!isDeepStrictEqual(shape(d.value), shape(e.value))) out.push(`doc ${i}: value ${JSON.stringify(d.value)} vs ${JSON.stringify(e.value)}`);
    for (const p of paths(d.value)) if (d.locate(p) !== e.locate(p)) out.push(`doc ${i}: locate ${p.join('.')} ${d.locate(p)} vs ${e.locate(p)}`);
  });
  return out;
}

const COMMON = `# a leading comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reviews   # trailing comment
  namespace: 'book''info'
  labels: &labels
    app: reviews
    version: "v1"
  annotations: {}
spec:
  replicas: 3
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels: *labels
    spec:
      containers:
      - name: reviews
        image: reviews:1.0
        ports:
          - containerPort: 9080
            name: http
          -
        args: []
        env:

          # blank lines and comments between items
          - name: A
            value:
          - name: B
            value: ~
      tolerations: []
---
--- # an empty document between two
apiVersion: v1
kind: Service
metadata: {name: reviews}
...
# after the end marker
---
apiVersion: v1
kind: Namespace
metadata:
  name: "bookinfo"
  labels:
    80: port
    ~: nothing
    'quoted key': "quoted value"
`;

test('GIVEN a manifest in the usual block shape (anchors, aliases, quotes, {} and [], comments, empty values and documents) WHEN read THEN the fast path takes it and gives what yaml\'s Composer and toJS give, sharing and positions included', () => {
  const text = COMMON.replace('metadata: {name: reviews}', 'metadata:\n  name: reviews');
  const fast = readFast(lines(text), OPTS);
  assert.ok(fast, 'the fast path takes the common shape');
  const composed = readComposed(lines(text), OPTS, false);
  assert.equal(differences(fast, composed), []);
  assert.is(fast.documents, 4);
  const deployment = fast.docs[0]!.value as { metadata: { labels: unknown; namespace: string }; spec: { selector: { matchLabels: unknown } } };
  assert.is(deployment.spec.selector.matchLabels, deployment.metadata.labels, 'an alias is the anchored object itself, as with toJS');
  assert.is(deployment.metadata.namespace, "book'info");
  const labels = (fast.docs[3]!.value as { metadata: { labels: Record<string, unknown> } }).metadata.labels;
  assert.equal(labels, { 80: 'port', '': 'nothing', 'quoted key': 'quoted value' });
});

const OUTSIDE: Record<string, string> = {
  'a flow mapping with entries': COMMON,
  'a block scalar': 'a: |\n  line\n',
  'a multi-line plain scalar': 'a: one\n  two\n',
  'a double-quoted escape': 'a: "\\t"\n',
  'a tag': 'a: !!str 1\n',
  'a duplicate key': 'a: 1\na: 2\n',
  'a __proto__ key': 'a:\n  __proto__: x\n  constructor: z\n',
  'the number key 80 next to the string key "80"': 'a:\n  80: x\n  "80": z\n',
  'a YAML 1.1 boolean': 'a: 1\n---\nb: yes\n---\nc: 2\n',
  'a merge key': 'base: &b\n  x: 1\nm:\n  <<: *b\n',
  'an alias inside its anchor': 'a: &x\n  b: *x\n',
  'an undefined alias': 'a: *nope\n',
  'a tab as indentation': 'a:\n\tb: 1\n',
  'a directive': '%YAML 1.1\n---\na: 1\n',
  'a syntax error': 'a: [1, 2\n',
  'a key with no value': 'a: 1\nb\n',
  'a compact nested mapping': 'a: b: c\n',
  'an explicit key': '? a\n: 1\n',
  'an anchor on a key': '&k a: 1\n',
  'an alias count past the limit': `a: &x 1\n${Array.from({ length: 101 }, (_, i) => `b${i}: *x\n`).join('')}`,
};

for (const [what, text] of Object.entries(OUTSIDE)) {
  test(`GIVEN ${what} WHEN read THEN the fast path declines and yaml's Composer reads the file, problems included`, () => {
    assert.is(readFast(lines(text), OPTS), null);
    const composed = readComposed(lines(text), OPTS, /(?:^|\n)%/.test(text));
    assert.equal(differences(readYamlDocuments(lines(text), OPTS), composed), []);
  });
}

test('GIVEN a limit reached WHEN read THEN the document limit is left to the Composer, and any other limit stops the fast path as it stops the Composer', () => {
  assert.is(readFast(lines('a: 1\n---\nb: 2\n'), { ...OPTS, maxDocuments: 1 }), null);
  const deep = 'a: 1\n---\na:\n  b:\n    c: 1\n';
  const fast = readFast(lines(deep), { ...OPTS, maxDepth: 2 });
  const composed = readComposed(lines(deep), { ...OPTS, maxDepth: 2 }, false).stopped;
  assert.equal(fast?.stopped, { code: 'input/too-deep', offset: composed?.offset, document: 1, reached: 3 });
  assert.equal(composed, fast?.stopped, 'both name the second document (index 1)');
  assert.equal(fast?.docs.map((d) => d.value), [{ a: 1 }]);
  assert.ok(readFast(lines('a: 1\n---\nb: 2\n'), { ...OPTS, maxDocuments: 2 }));
});

test('GIVEN a YAML 1.1 value in the middle document of three WHEN parsed THEN its warning is reported (it was lost when the next document had none)', () => {
  const { problems } = parseManifests('apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\napiVersion: v1\nkind: B\nmetadata:\n  name: b\n  labels:\n    x: yes\n---\napiVersion: v1\nkind: C\nmetadata: {name: c}\n', 't.yaml', null);
  assert.equal(problems.filter((p) => p.code === 'input/yaml-1.1').map((p) => p.location.line), [10]);
});

test('GIVEN every YAML fixture of the test suite WHEN read THEN the fast path, where it applies, reads exactly what yaml\'s Composer reads', () => {
  const root = path.join(import.meta.dirname, '..', 'fixtures');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(entry.name)) files.push(p);
    }
  };
  walk(root);
  let fastCount = 0;
  const mismatches: string[] = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    if (text.includes('\ufeff')) continue;
    const fast = readFast(new LineIndex(file, text), OPTS);
    if (!fast) continue;
    fastCount++;
    for (const d of differences(fast, readComposed(new LineIndex(file, text), OPTS, false))) mismatches.push(`${path.relative(root, file)}: ${d}`);
  }
  assert.ok(files.length > 100 && fastCount > 50, `${fastCount} of ${files.length} fixtures read by the fast path`);
  assert.equal(mismatches, []);
});

test.run();
