import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadInputs, type LoadOptions } from '../../../src/mesh/load.js';
import type { InputProblem } from '../../../src/mesh/problems.js';

const dir = mkdtempSync(path.join(tmpdir(), 'meshproof-bad-'));
const OBJ = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: ok\n';

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

/** Loads `content` as a file and returns its single problem (asserting there is exactly one). */
async function only(name: string, content: string | Buffer, opts: LoadOptions = {}): Promise<InputProblem> {
  const file = write(name, content);
  const { problems } = await loadInputs([file], opts);
  assert.is(problems.length, 1, JSON.stringify(problems, null, 1));
  assert.is(problems[0]!.location.file, file);
  return problems[0]!;
}

test('GIVEN malformed YAML WHEN loaded THEN input/syntax at its line, unusable', async () => {
  const file = write('malformed.yaml', `${OBJ}spec:\n  ports: [80\n  x: : y\n`);
  const { problems, files } = await loadInputs([file]);
  assert.ok(problems.length > 0);
  for (const p of problems) assert.equal([p.code, p.unusable, p.location.file], ['input/syntax', true, file]);
  assert.match(problems[0]!.message, /^malformed YAML: /);
  assert.equal([problems[0]!.location.line, problems[0]!.location.column], [6, 10]);
  assert.is(files[0]!.objects.length, 0);
});

test('GIVEN a flow sequence or map with no closing bracket WHEN loaded THEN input/syntax at the line and column of the "[" or "{", saying it is unclosed and how to fix it', async () => {
  const seq = await only('unclosed-seq.yaml', `${OBJ}spec:\n  ports: [80, 443\n  selector:\n    app: a\n`);
  assert.equal([seq.code, seq.unusable, seq.location.line, seq.location.column], ['input/syntax', true, 6, 10]);
  assert.is(seq.message, 'malformed YAML: unclosed flow sequence: the "[" at line 6, column 10 has no matching "]" (the YAML parser noticed at line 7). Add the "]" after its last item, or, if its items go on over the next lines, indent them more than the line it opens on');
  const map = await only('unclosed-map.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  labels: {app: a\nspec: {}\n');
  assert.equal([map.location.line, map.location.column], [5, 11]);
  assert.match(map.message, /^malformed YAML: unclosed flow map: the "\{" at line 5, column 11 has no matching "\}"/);
  // Items over several lines, and a "[" inside a quoted string before it: the bracket that is open is found, not the first one.
  const long = await only('unclosed-long.yaml', `${OBJ}  labels: {a: "[x"}\nspec:\n  ports: [80,\n    443\n  type: ClusterIP\n`);
  assert.equal([long.location.line, long.location.column], [7, 10]);
  assert.match(long.message, /the "\[" at line 7, column 10 .*noticed at line 9/);
  // Closed with the other bracket: one problem, at the "[", naming the wrong "}" (not a second one for the "{" around it).
  const wrong = await only('wrong-bracket.yaml', `${OBJ}data: {k: [1, 2}\n`);
  assert.equal([wrong.location.line, wrong.location.column], [5, 11]);
  assert.is(wrong.message, 'malformed YAML: mismatched brackets: the flow sequence opened by "[" at line 5, column 11 is closed by "}" at line 5, column 16. Write "]" there');
  const wrongMap = await only('wrong-brace.yaml', `${OBJ}spec:\n  selector: {app: a]\n`);
  assert.equal([wrongMap.location.line, wrongMap.location.column], [6, 13]);
  assert.match(wrongMap.message, /the flow map opened by "\{" at line 6, column 13 is closed by "\]" at line 6, column 20\. Write "\}" there$/);
  const last = await only('unclosed-last.yaml', `${OBJ}spec:\n  ports: [80`);
  assert.equal([last.location.line, last.location.column], [6, 10]);
  assert.match(last.message, /noticed at the end of the file/);
});

test('GIVEN a key missing its colon before a nested map WHEN loaded THEN one line per position: the cause, not the follow-up error yaml reports at the same place', async () => {
  const file = write('colon.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  limits\n    cpu: 1\n    memory: 2\n');
  const { problems } = await loadInputs([file]);
  assert.equal(problems.map((p) => `${p.location.line}:${p.location.column} ${p.message}`), [
    '6:3 malformed YAML: Implicit keys need to be on a single line',
    '7:10 malformed YAML: Nested mappings are not allowed in compact mappings',
  ]);
});

test('GIVEN malformed JSON WHEN loaded THEN input/syntax with line and column', async () => {
  const p = await only('bad.json', '{\n  "kind": "Service",\n  "apiVersion" "v1"\n}\n');
  assert.is(p.code, 'input/syntax');
  assert.equal([p.location.line, p.location.column], [3, 16]);
  assert.match(p.message, /^malformed JSON: /);
});

test('GIVEN a .json file that is YAML but not JSON WHEN loaded THEN it is refused as malformed JSON', async () => {
  const p = await only('yamlish.json', '{"apiVersion": "v1", "kind": "Service", metadata: {name: x},}\n');
  assert.equal([p.code, p.location.line], ['input/syntax', 1]);
});

test('GIVEN documents that are a list and a scalar WHEN loaded THEN input/not-an-object for each', async () => {
  const file = write('shapes.yaml', '- a\n- b\n---\njust a string\n');
  const { problems } = await loadInputs([file]);
  assert.equal(problems.map((p) => [p.code, p.location.line]), [['input/not-an-object', 1], ['input/not-an-object', 4]]);
  assert.match(problems[0]!.message, /document 0 is a sequence/);
  assert.match(problems[1]!.message, /document 1 is a string/);
});

test('GIVEN objects missing kind, apiVersion or metadata.name WHEN loaded THEN input/missing-field names what is missing', async () => {
  const file = write('missing.yaml', 'apiVersion: v1\nmetadata:\n  name: x\n---\napiVersion: v1\nkind: Service\nmetadata:\n  namespace: a\n');
  const { problems, files } = await loadInputs([file]);
  assert.equal(problems.map((p) => [p.code, p.location.line]), [['input/missing-field', 1], ['input/missing-field', 7]]);
  assert.match(problems[0]!.message, /has no kind/);
  assert.match(problems[1]!.message, /has no metadata\.name/);
  assert.is(files[0]!.objects.length, 0);
});

test('GIVEN metadata: {name: 5}, a name of yes and an empty kind WHEN loaded THEN input/missing-field says where, that each is there with the wrong type or empty, and how to fix it', async () => {
  const file = write('wrong-type.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: 5}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yes\n---\napiVersion: v1\nkind: ""\nmetadata: {name: a}\n');
  const { problems, files } = await loadInputs([file]);
  const missing = problems.filter((p) => p.code === 'input/missing-field');
  assert.equal(missing.map((p) => p.location.line), [3, 8, 11]);
  assert.is(missing[0]!.message, 'document 0 (Service): metadata.name is the number 5, not a string (YAML reads an unquoted number so): quote it as written, e.g. name: "5". Every Kubernetes object needs apiVersion, kind and metadata.name as non-empty strings');
  assert.match(missing[1]!.message, /^document 1 \(ConfigMap\): metadata\.name is the boolean true, not a string .*quote it as written/);
  assert.match(missing[2]!.message, /^document 2: kind is empty; give it a value\./);
  assert.not.ok(missing.some((p) => /has no metadata\.name/.test(p.message)), 'the name is there, with another type');
  assert.is(files[0]!.objects.length, 0);
});

test('GIVEN an unknown kind WHEN loaded THEN an info notice, not unusable, and the object is kept', async () => {
  const p = await only('crd.yaml', 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n');
  assert.equal([p.code, p.severity, p.unusable, p.location.line], ['input/unknown-kind', 'info', false, 1]);
  assert.match(p.message, /Widget \(example.com\/v1\) "w" is not a kind meshproof models/);
});

test('GIVEN a Gateway API GatewayClass WHEN loaded THEN no input/unknown-kind notice: rules read it (its controllerName says whether istiod runs a Gateway)', async () => {
  const file = write('gatewayclass.yaml', 'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: istio\nspec:\n  controllerName: istio.io/gateway-controller\n');
  const { problems, files } = await loadInputs([file]);
  assert.equal(problems.map((p) => `${p.code}: ${p.message}`), []);
  assert.is(files[0]!.objects.length, 1);
});

test('GIVEN duplicate keys WHEN loaded THEN input/duplicate-key at the second key', async () => {
  const p = await only('dup.yaml', `${OBJ}spec:\n  type: ClusterIP\n  type: NodePort\n`);
  assert.is(p.code, 'input/duplicate-key');
  assert.is(p.location.line, 7);
  const j = await only('dup.json', '{"apiVersion":"v1","kind":"Service",\n"metadata":{"name":"a","name":"b"}}');
  assert.equal([j.code, j.location.line, j.location.column], ['input/duplicate-key', 2, 24]);
});

test('GIVEN a billion-laughs document WHEN loaded THEN input/alias-limit quickly', async () => {
  let bomb = `${OBJ}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n`;
  for (let i = 1; i < 10; i++) bomb += `${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(9).fill(`*${'abcdefghij'[i - 1]}`).join(',')}]\n`;
  const t = performance.now();
  const p = await only('bomb.yaml', bomb);
  assert.ok(performance.now() - t < 2000);
  assert.is(p.code, 'input/alias-limit');
  assert.is(p.location.line, 6);
  assert.match(p.message, /billion laughs/);
});

test('GIVEN a __proto__ key WHEN loaded THEN the object is rejected and no prototype is polluted', async () => {
  for (const [name, text] of [
    ['proto.yaml', `${OBJ}  labels:\n    __proto__: {polluted: x}\n`],
    ['proto.json', '{"apiVersion":"v1","kind":"Service","metadata":{"name":"x","labels":{"__proto__":{"polluted":"x"}}}}'],
  ] as const) {
    const { problems, files } = await loadInputs([write(name, text)]);
    assert.is(problems[0]!.code, 'input/forbidden-key', name);
    assert.is(problems[0]!.unusable, true);
    assert.match(problems[0]!.message, /metadata\.labels\.__proto__/);
    assert.is(files[0]!.objects.length, 0);
    assert.is(({} as Record<string, unknown>).polluted, undefined);
  }
  const p = await only('ctor.yaml', `${OBJ}  labels:\n    constructor: x\n`);
  assert.equal([p.code, p.severity, p.unusable, p.location.line], ['input/suspicious-key', 'warning', false, 6]);
});

test('GIVEN binary garbage or invalid UTF-8 WHEN loaded THEN input/binary with the byte position', async () => {
  const nul = await only('bin.yaml', Buffer.concat([Buffer.from('kind: x\nab'), Buffer.from([0, 1, 2, 255])]));
  assert.equal([nul.code, nul.location.line, nul.location.column], ['input/binary', 2, 3]);
  assert.match(nul.message, /NUL byte at byte 10/);
  const latin1 = await only('latin1.yaml', Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
  assert.equal([latin1.code, latin1.location.line, latin1.location.column], ['input/binary', 1, 4]);
  assert.match(latin1.message, /invalid UTF-8/);
});

test('GIVEN unreadable paths WHEN loaded THEN input/unreadable for missing and permission denied', async () => {
  const missing = path.join(dir, 'nope.yaml');
  const r = await loadInputs([missing]);
  assert.equal(r.problems.map((p) => [p.code, p.location.file, p.unusable]), [['input/unreadable', missing, true]]);
  assert.match(r.problems[0]!.message, /no such file or directory/);
  const locked = write('locked.yaml', OBJ);
  chmodSync(locked, 0o000);
  try {
    const l = await loadInputs([locked]);
    if (process.getuid?.() !== 0) {
      assert.is(l.problems[0]!.code, 'input/unreadable');
      assert.match(l.problems[0]!.message, /permission denied/);
    }
  } finally {
    chmodSync(locked, 0o644);
  }
});

test('GIVEN a directory with a symlink loop WHEN walked THEN a directory-loop notice and the files once', async () => {
  const root = path.join(dir, 'tree');
  write('tree/b/svc.yaml', OBJ);
  write('tree/a.yml', OBJ.replace('ok', 'a'));
  write('tree/node_modules/x.yaml', 'garbage: [');
  write('tree/.hidden/x.yaml', 'garbage: [');
  write('tree/readme.md', '# not a manifest');
  symlinkSync(root, path.join(root, 'b', 'loop'));
  const { files, problems } = await loadInputs([root]);
  assert.equal(files.map((f) => path.relative(dir, f.file)), ['tree/a.yml', 'tree/b/svc.yaml']);
  assert.equal(problems.map((p) => [p.code, p.unusable]), [['input/directory-loop', false]]);
  assert.match(problems[0]!.message, /links back/);
});

test('GIVEN a file over the size limit WHEN loaded THEN input/too-large without reading it', async () => {
  const p = await only('big.yaml', `${OBJ}${'#'.repeat(2048)}\n`, { maxInputBytes: 1024 });
  assert.equal([p.code, p.location.line, p.unusable], ['input/too-large', 1, true]);
  assert.match(p.message, /would take the input past the input limit of 1,024 bytes/);
  assert.match(p.message, /--max-input-size/);
});

test('GIVEN an 8 MB manifest file WHEN loaded THEN it takes under 2x a bare yaml parse and locates the last line', async () => {
  const doc = (i: number) =>
    `---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: vs-${i}\n  namespace: ns-${i % 50}\nspec:\n  hosts:\n  - svc-${i}\n  http:\n  - match:\n    - headers:\n        x-user:\n          exact: "u${i}"\n    route:\n    - destination:\n        host: svc-${i}\n        subset: v1\n      weight: 90\n    - destination:\n        host: svc-${i}\n        subset: v2\n      weight: 10\n`;
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < 8 * 1024 * 1024; i++) {
    const d = doc(i);
    parts.push(d);
    size += d.length;
  }
  const text = parts.join('');
  const file = write('huge.yaml', text);
  const cpu = () => process.cpuUsage().user / 1000;
  let t = cpu();
  parseAllDocuments(text);
  const baseline = cpu() - t;
  t = cpu();
  const { files, problems } = await loadInputs([file]);
  const ms = cpu() - t;
  assert.equal(problems, []);
  assert.is(files[0]!.objects.length, parts.length);
  assert.ok(ms < 2 * baseline, `loaded in ${Math.round(ms)} ms of CPU; yaml.parseAllDocuments alone took ${Math.round(baseline)} ms`);
  const last = files[0]!.objects[parts.length - 1]!;
  assert.is(last.locate(['spec', 'http', 0, 'route', 1, 'weight']).line, parts.length * 23);
});

test('GIVEN an alias to an anchor that is not defined WHEN loaded THEN input/undefined-alias naming it, not a "billion laughs"', async () => {
  const p = await only('alias.yaml', `${OBJ}  labels: *common\n`);
  assert.equal([p.code, p.location.line, p.location.column, p.unusable], ['input/undefined-alias', 5, 11, true]);
  assert.match(p.message, /^alias \*common refers to no anchor: no &common comes before it/);
  assert.not.match(p.message, /billion/);
});

test('GIVEN a byte-order mark inside the stream (concatenated files) WHEN loaded THEN input/bom names it at its line', async () => {
  const p = await only('bom.yaml', Buffer.from(`\ufeff${OBJ}---\n\ufeff${OBJ}`, 'utf8'));
  assert.equal([p.code, p.location.line, p.location.column, p.unusable], ['input/bom', 6, 1, true]);
  assert.match(p.message, /byte-order mark \(U\+FEFF, bytes EF BB BF\) inside the stream.*concatenating files/);
});

test('GIVEN kustomization.yaml, a Helm chart and a Helm values file in a folder WHEN walked THEN each is skipped with a notice and the manifests are read', async () => {
  write('repo/kustomization.yaml', 'resources: [svc.yaml]\n');
  write('repo/svc.yaml', OBJ);
  write('repo/chart/Chart.yaml', 'apiVersion: v2\nname: c\nversion: 1.0.0\n');
  write('repo/chart/templates/svc.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n');
  write('repo/values.yaml', 'replicaCount: 2\nimage:\n  tag: "1.0"\n');
  write('repo/kind-config.yaml', 'apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\n');
  const { files, problems } = await loadInputs([path.join(dir, 'repo')]);
  assert.equal(files.flatMap((f) => f.objects).length, 1);
  assert.equal(problems.map((p) => [p.code, path.relative(dir, p.location.file), p.severity, p.unusable]), [
    ['input/not-a-manifest', 'repo/chart', 'info', false],
    ['input/not-a-manifest', 'repo/kustomization.yaml', 'info', false],
    ['input/not-a-manifest', 'repo/kind-config.yaml', 'info', false],
    ['input/not-a-manifest', 'repo/values.yaml', 'info', false],
  ]);
  assert.match(problems[0]!.message, /Helm chart .*helm template/);
  assert.match(problems[3]!.message, /no document has apiVersion, kind or metadata/);
});

test('GIVEN A.YAML and b.Yml beside a.yaml in a folder WHEN walked THEN only a.yaml is read and each other gets a notice naming the lowercase name (kubectl and Argo CD match extensions exactly); a file named on the command line is still read', async () => {
  write('case/a.yaml', OBJ);
  write('case/A2.YAML', OBJ);
  write('case/b.Yml', OBJ);
  const { files, problems } = await loadInputs([path.join(dir, 'case')]);
  assert.equal(files.map((f) => path.basename(f.file)), ['a.yaml']);
  assert.equal(problems.map((p) => [p.code, path.relative(dir, p.location.file), p.severity]), [['input/not-a-manifest', 'case/A2.YAML', 'info'], ['input/not-a-manifest', 'case/b.Yml', 'info']]);
  assert.match(problems[0]!.message, /kubectl apply -f and Argo CD do not read from a folder.*rename it to A2\.yaml/);
  const named = await loadInputs([path.join(dir, 'case/A2.YAML')]);
  assert.equal(named.files.flatMap((f) => f.objects).length, 1, 'named explicitly: read');
});

test('GIVEN exclude globs WHEN a folder is walked THEN matching files and folders are left out', async () => {
  write('ex/keep.yaml', OBJ);
  write('ex/gen/skip.yaml', 'garbage: [');
  write('ex/deep/x.secret.yaml', 'garbage: [');
  const { files, problems } = await loadInputs(['ex'], { cwd: dir, exclude: ['ex/gen/**', '*.secret.yaml'] });
  assert.equal(problems, []);
  assert.equal(files.map((f) => f.file), [path.join('ex', 'keep.yaml')]);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
