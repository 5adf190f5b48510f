import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../cli/_io.js';

const ROUTES = (...routes: string[]) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: shop
spec:
  hosts: [reviews]
  http:
${routes.join('')}`;
const VS = (weights: [number, number], extra = '') => ROUTES(`  - name: canary
    route:
    - destination: {host: reviews, subset: v1}
      weight: ${weights[0]}
    - destination: {host: reviews, subset: v2}
      weight: ${weights[1]}${extra}
`);

const DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
  namespace: shop
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;

function trees(base: Record<string, string>, head: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-diff-'));
  for (const [side, files] of [['base', base], ['head', head]] as const) {
    fs.mkdirSync(path.join(dir, side));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, side, name), text);
  }
  return dir;
}

async function run(dir: string, ...args: string[]) {
  const c = captureIO(dir);
  const code = await main(['diff', 'base', 'head', ...args], c.io);
  return { code, out: c.stdout(), err: c.stderr() };
}

test('GIVEN a canary whose weights were swapped WHEN diffed THEN exit 1 and the split shows each subset before → after', async () => {
  const dir = trees({ 'a.yaml': VS([90, 10]) }, { 'a.yaml': VS([10, 90]) });
  const r = await run(dir);
  assert.is(r.code, 1);
  assert.match(r.out, /changed  VirtualService shop\/reviews/);
  assert.match(r.out, /split  http\[0\] "canary": reviews\/v1 90 → 10, reviews\/v2 10 → 90/);
  assert.match(r.out, /~ spec\.http\[0\]\.route\[0\]\.weight: 90 → 10/);
  assert.match(r.out, /0 added, 0 removed, 1 changed/);
});

test('GIVEN the same objects reordered, moved between files and with keys in another order WHEN diffed THEN no change, exit 0', async () => {
  const reordered = DR.replace('  host: reviews\n  subsets:', '  subsets:').replace(/(\n {2}- \{name: v2[^\n]*)\n$/, '$1\n  host: reviews\n');
  assert.is.not(reordered, DR);
  const dir = trees({ 'a.yaml': `${VS([90, 10])}---\n${DR}` }, { 'b.yaml': reordered, 'c.yaml': VS([90, 10]) });
  const r = await run(dir);
  assert.is(r.code, 0, r.out + r.err);
  assert.match(r.out, /no changes/);
});

test('GIVEN an object added and one removed WHEN diffed as JSON THEN both are listed with their kind, namespace and name', async () => {
  const dir = trees({ 'a.yaml': DR }, { 'a.yaml': VS([50, 50]) });
  const r = await run(dir, '--format', 'json');
  assert.is(r.code, 1);
  const json = JSON.parse(r.out);
  assert.equal(json.added.map((o: { ref: unknown }) => o.ref), [{ kind: 'VirtualService', namespace: 'shop', name: 'reviews' }]);
  assert.equal(json.removed.map((o: { ref: unknown }) => o.ref), [{ kind: 'DestinationRule', namespace: 'shop', name: 'reviews' }]);
  assert.is(json.changed.length, 0);
});

test('GIVEN a route that gained a destination WHEN diffed as Markdown THEN the new subset shows — → weight and table cells are escaped', async () => {
  const third = `\n    - destination: {host: reviews, subset: "v3|x"}\n      weight: 0`;
  const dir = trees({ 'a.yaml': VS([90, 10]) }, { 'a.yaml': VS([90, 10], third) });
  const r = await run(dir, '--format', 'markdown');
  assert.is(r.code, 1);
  assert.match(r.out, /\| http\[0\] "canary" \| reviews\/v3\\\|x \| — \| 0 \|/);
  assert.match(r.out, /### Changed/);
});

test('GIVEN a change touching many fields WHEN --max-fields 2 THEN two rows and a count of the rest', async () => {
  const labels = (value: string) => DR.replace('  namespace: shop\n', `  namespace: shop\n  labels:\n${Array.from({ length: 6 }, (_, i) => `    l${i}: ${value}`).join('\n')}\n`);
  const dir = trees({ 'a.yaml': labels('before') }, { 'a.yaml': labels('after') });
  const r = await run(dir, '--max-fields', '2');
  assert.is(r.code, 1);
  assert.is((r.out.match(/^  [+~-] /gm) ?? []).length, 2);
  assert.match(r.out, /… and 4 more fields/);
});

test('GIVEN a head path that does not exist WHEN diffed THEN exit 2 naming the side and the path, no diff printed', async () => {
  const dir = trees({ 'a.yaml': DR }, {});
  fs.rmSync(path.join(dir, 'head'), { recursive: true });
  const r = await run(dir);
  assert.is(r.code, 2);
  assert.match(r.err, /head: .*head.*no such file/);
  assert.not.match(r.err, /head:1:/, 'no made-up line for a path that is not there');
  assert.is(r.out, '');
});

test('GIVEN an empty head folder WHEN diffed THEN exit 2 naming the head, its path, that no manifest was found and --allow-empty; no diff printed (not "every object removed")', async () => {
  const dir = trees({ 'a.yaml': DR }, {});
  const r = await run(dir);
  assert.is(r.code, 2, r.out);
  assert.is(r.out, '');
  assert.match(r.err, /diff: head: no Kubernetes objects in head \(no manifest file \(\.yaml, \.yml, \.json\) was found\), so there is nothing to compare: every object of the base would show as removed \(1\)\. Check the path .*--allow-empty/);
  assert.not.match(r.err, /base:/);
});

test('GIVEN a base whose only file holds no object (comments) WHEN diffed THEN exit 2 naming the base and the file count; with --allow-empty THEN exit 1 and the head\'s object listed as added', async () => {
  const dir = trees({ 'a.yaml': '# nothing here yet\n' }, { 'a.yaml': DR });
  const r = await run(dir);
  assert.is(r.code, 2, r.out);
  assert.match(r.err, /base: no Kubernetes objects in base \(1 file read\), .*every object of the head would show as added \(1\)/);
  const allowed = await run(dir, '--allow-empty');
  assert.is(allowed.code, 1, allowed.err);
  assert.match(allowed.out, /added/);
});

test('GIVEN an unparsable base WHEN diffed THEN exit 2 with the file and line, not a diff of a half-read tree', async () => {
  const dir = trees({ 'a.yaml': 'kind: [unclosed\n' }, { 'a.yaml': DR });
  const r = await run(dir);
  assert.is(r.code, 2);
  assert.match(r.err, /base: .*a\.yaml:\d+/);
});

test('GIVEN one path WHEN diff runs THEN a usage error says it needs the base and the head', async () => {
  const c = captureIO(os.tmpdir());
  const code = await main(['diff', 'dist'], c.io);
  assert.is(code, 2);
  assert.match(c.stderr(), /two paths, the base and the head/);
});

const PINNED = `  - name: pinned
    match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
`;
const SPLIT = (v1: number, name = '') => `  - ${name ? `name: ${name}
    ` : ''}route:
    - {destination: {host: reviews, subset: v1}, weight: ${v1}}
    - {destination: {host: reviews, subset: v2}, weight: ${100 - v1}}
`;

test('GIVEN a pinned route inserted before an unnamed split WHEN diffed THEN the route is added at http[0] and the split is not shown as edited (no "subset v1 → v2" on the old route)', async () => {
  const dir = trees({ 'a.yaml': ROUTES(SPLIT(90)) }, { 'a.yaml': ROUTES(PINNED, SPLIT(90)) });
  const r = await run(dir);
  assert.is(r.code, 1);
  assert.match(r.out, /route  http\[0\] "pinned" added/);
  assert.match(r.out, /\+ spec\.http\[0\]: \{"name":"pinned"/);
  assert.not.match(r.out, /~ spec\.http/, r.out);
  assert.match(r.out, /split  http\[0\] "pinned": reviews\/v2 — → 100/);
  assert.not.match(r.out, /split  http\[1\]/, `the split route kept its weights: ${r.out}`);
  assert.not.match(r.out, /moved from/, `an insertion moves no route:\n${r.out}`);
});

test('GIVEN two named routes swapped WHEN diffed THEN one route line says it moved in first-match order AND no field changes are listed (each route is unchanged)', async () => {
  const dir = trees({ 'a.yaml': ROUTES(PINNED, SPLIT(90, 'split')) }, { 'a.yaml': ROUTES(SPLIT(90, 'split'), PINNED) });
  const r = await run(dir);
  assert.is(r.code, 1);
  assert.match(r.out, /route  http\[0\] "split" moved from http\[1\] \(now before http\[1\] "pinned"; the other way round in the base\): the first-match order changed/);
  assert.not.match(r.out, /[~+-] spec\.http/, r.out);
  const md = await run(dir, '--format', 'markdown');
  assert.match(md.out, /- Route http\[0\] "split" moved from http\[1\]/);
  const json = JSON.parse((await run(dir, '--format', 'json')).out) as { changed: { routes: unknown[] }[] };
  assert.equal(json.changed[0]!.routes, [{ section: 'http', change: 'moved', name: 'split', before: 1, after: 0, crossed: [{ label: 'http[1] "pinned"', nowBefore: true }] }]);
});

test('GIVEN a route inserted first AND two named routes swapped in the same change WHEN diffed THEN the route whose index changed is the one said to have moved, naming the route it crossed, AND the one that kept its index is not called moved', async () => {
  const abort = `  - name: chaos-abort
    match: [{headers: {x-chaos: {exact: abort}}}]
    route: [{destination: {host: reviews, subset: v1}}]
`;
  const delay = abort.replace(/abort/g, 'delay');
  const dir = trees({ 'a.yaml': ROUTES(abort, delay, SPLIT(90, 'split')) }, { 'a.yaml': ROUTES(PINNED, delay, abort, SPLIT(90, 'split')) });
  const r = await run(dir);
  assert.is(r.code, 1);
  assert.match(r.out, /route  http\[0\] "pinned" added/);
  assert.match(r.out, /route  http\[2\] "chaos-abort" moved from http\[0\] \(now after http\[1\] "chaos-delay"; the other way round in the base\)/, r.out);
  assert.not.match(r.out, /"chaos-delay" moved/, r.out);
  assert.not.match(r.out, /"split" moved/, r.out);
});

test('GIVEN an unnamed pinned route inserted before an unnamed split whose weights also changed WHEN diffed THEN the split is paired by its match (none) and shows only its weight changes at its new index', async () => {
  const unnamed = PINNED.replace('  - name: pinned\n    match', '  - match');
  const dir = trees({ 'a.yaml': ROUTES(SPLIT(90)) }, { 'a.yaml': ROUTES(unnamed, SPLIT(50)) });
  const r = await run(dir);
  assert.match(r.out, /route  http\[0\] added/);
  assert.match(r.out, /~ spec\.http\[1\]\.route\[0\]\.weight: 90 → 50/);
  assert.not.match(r.out, /~ spec\.http\[1\]\.route\[0\]\.destination/, r.out);
});

test('GIVEN meshproof.config.yaml excluding legacy/** and *.draft.yaml WHEN diff base/dist dist runs THEN excluded files are left out of both sides, as check leaves them out; without the config they are compared', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-diff-exclude-'));
  try {
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    };
    write('base/dist/reviews.yaml', VS([90, 10]));
    write('dist/reviews.yaml', VS([90, 10]));
    // Only in the head, under a folder the config excludes (named as the head has it), and a draft anywhere.
    write('dist/legacy/old.yaml', DR);
    write('base/dist/legacy/old.yaml', DR.replace('name: reviews', 'name: old-reviews'));
    write('dist/wip.draft.yaml', DR.replace('name: reviews', 'name: draft'));
    const c = captureIO(dir);
    assert.is(await main(['diff', 'base/dist', 'dist'], c.io), 1, 'without the config the excluded files differ');
    write('meshproof.config.yaml', 'exclude: ["dist/legacy/**", "*.draft.yaml"]\n');
    const cap = captureIO(dir);
    const code = await main(['diff', 'base/dist', 'dist'], cap.io);
    assert.is(code, 0, cap.stdout() + cap.stderr());
    assert.is(cap.stdout(), 'no changes\n');
    const reversed = captureIO(dir);
    assert.is(await main(['diff', 'dist', 'base/dist'], reversed.io), 0, reversed.stdout());
    const check = captureIO(dir);
    await main(['check', 'dist', '--format', 'json'], check.io);
    assert.not.match(check.stdout(), /legacy|draft/, 'check leaves the same files out');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN -o naming an existing folder, a path under a file, a path ending in a slash or nothing WHEN diffed THEN a usage error names the output before either tree is read (the unparsable base is never reported) and nothing is written', async () => {
  const dir = trees({ 'a.yaml': 'kind: [unclosed\n' }, { 'a.yaml': DR });
  fs.mkdirSync(path.join(dir, 'reports'));
  fs.writeFileSync(path.join(dir, 'a-file'), 'keep');
  for (const [output, message] of [
    ['reports', /--output reports: it is a folder; name a file, e\.g\. --output reports\/report\.json/],
    ['a-file/sub/d.txt', /--output a-file\/sub\/d\.txt: \S+a-file is a file, so no folder can be made there/],
    ['new-reports/', /--output new-reports\/ ends in a slash, so it names a folder; name a file in it, e\.g\. --output new-reports\/report\.json/],
    ['', /--output is empty; name a file/],
  ] as const) {
    const r = await run(dir, '-o', output);
    assert.is(r.code, 2, output);
    assert.match(r.err, message);
    assert.match(r.err, /Run 'meshproof diff --help'/);
    assert.not.match(r.err, /EISDIR|unclosed|base:/);
  }
  assert.not.ok(fs.existsSync(path.join(dir, 'new-reports')), 'no file named after the folder');
  assert.equal(fs.readdirSync(path.join(dir, 'reports')), []);
  assert.is(fs.readFileSync(path.join(dir, 'a-file'), 'utf8'), 'keep');
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
