import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../../src/cli/main.js';
import { captureIO } from '../../cli/_io.js';
import { appNames } from './_apps.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const GOLDEN = join(ROOT, 'test/golden/xds');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const work = mkdtempSync(join(tmpdir(), 'meshproof-xds-golden-'));

// Each app alone, all of dist/ together (gateways then see the VirtualServices of every app), and fixtures for
// what the apps do not build (test/fixtures/xds/gateway-api.yaml: a Gateway API Gateway and its routes;
// gamma-l4.yaml: a TCPRoute and a TLSRoute with Service parents, on the client sidecar).
for (const [app, input] of [...appNames().map((a) => [a, `dist/${a}.k8s.yaml`]), ['all', 'dist'], ['gateway-api', 'test/fixtures/xds/gateway-api.yaml'],
  ['gamma-l4', 'test/fixtures/xds/gamma-l4.yaml']] as const) {
  test(`GIVEN ${input} WHEN "meshproof xds compile" runs THEN each proxy's config dump equals test/golden/xds/${app}/ (UPDATE_GOLDEN=1 refreshes)`, async () => {
    const out = join(work, app);
    const cap = captureIO(ROOT);
    // One app alone lacks what another app or the mesh-wide objects bring (the check suite judges dist/ whole): --no-check.
    const code = await main(['xds', 'compile', input, '--out', out, '--workloads', 'test/golden/xds/workloads.json', ...(app === 'all' ? [] : ['--no-check'])], cap.io);
    assert.is(code, 0, cap.stderr());
    const files = readdirSync(out).sort();
    assert.ok(files.length > 0, `no dump written for ${app}`);
    const dir = join(GOLDEN, app);
    if (UPDATE) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      for (const f of files) writeFileSync(join(dir, f), readFileSync(join(out, f)));
    }
    assert.equal(files, readdirSync(dir).sort(), `proxies of ${app} changed; review and run UPDATE_GOLDEN=1`);
    for (const f of files) {
      assert.fixture(readFileSync(join(out, f), 'utf8'), readFileSync(join(dir, f), 'utf8'), `${app}/${f} differs from the golden file; review and run UPDATE_GOLDEN=1`);
    }
  });
}

/** `meshproof xds compile dist` in `project` (its dist/ and .meshproof/sourcemap.json), each dump's text by file name. */
async function compileDumps(project: string, out: string): Promise<Map<string, string>> {
  const cap = captureIO(project);
  const code = await main(['xds', 'compile', 'dist', '--out', out, '--workloads', join(GOLDEN, 'workloads.json'), '--no-check'], cap.io);
  assert.is(code, 0, cap.stderr());
  return new Map(readdirSync(out).sort().map((f) => [f, readFileSync(join(out, f), 'utf8')]));
}

test('GIVEN the committed dist/ and source map WHEN a Deployment is inserted at the top of dist/bookinfo.k8s.yaml (every bookinfo object moves down) THEN every other proxy\'s config dump is byte-identical: route, cluster and listener metadata carry no line', async () => {
  const project = join(work, 'inserted');
  cpSync(join(ROOT, 'dist'), join(project, 'dist'), { recursive: true });
  cpSync(join(ROOT, '.meshproof/sourcemap.json'), join(project, '.meshproof/sourcemap.json'));
  const before = await compileDumps(project, join(work, 'inserted-before'));
  const manifest = join(project, 'dist/bookinfo.k8s.yaml');
  const batch = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: batch\n  namespace: bookinfo\nspec:\n  selector:\n    matchLabels:\n      app: batch\n  template:\n    metadata:\n      labels:\n        app: batch\n    spec:\n      containers:\n        - name: batch\n          image: batch\n---\n';
  writeFileSync(manifest, batch + readFileSync(manifest, 'utf8'));
  const after = await compileDumps(project, join(work, 'inserted-after'));
  assert.equal([...after.keys()].filter((f) => !before.has(f)), ['bookinfo.batch.json'], 'the inserted Deployment is one more proxy');
  assert.ok([...before.values()].some((d) => d.includes('"constructPath"')), 'the dumps name TypeScript origins (the source map was found)');
  for (const [f, dump] of before) assert.fixture(after.get(f)!, dump, `${f} changed although only its objects' lines did`);
});

test('GIVEN xds compile without --out, or with a malformed workload file WHEN run THEN it exits 2 and says what to fix', async () => {
  const noOut = captureIO(ROOT);
  assert.is(await main(['xds', 'compile', 'dist/httpbin.k8s.yaml'], noOut.io), 2);
  assert.match(noOut.stderr(), /--out <dir> is required/);
  const bad = join(work, 'bad.json');
  writeFileSync(bad, '{"workloads":[{"name":"a","namespace":"b","address":"not-an-ip"}]}');
  const badW = captureIO(ROOT);
  assert.is(await main(['xds', 'compile', 'dist/httpbin.k8s.yaml', '--out', join(work, 'x'), '--workloads', bad], badW.io), 2);
  assert.match(badW.stderr(), /workloads\[0\]\.address: "not-an-ip" is not an IP address/);
  const sub = captureIO(ROOT);
  assert.is(await main(['xds', 'bogus'], sub.io), 2);
  assert.match(sub.stderr(), /unknown subcommand "bogus"/);
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
