/**
 * `meshproof runtime synth`: the promises come from `.meshproof/expectations.json` beside the dist/
 * given (its project) or from `--project`, never from the current folder; none found is exit 2
 * naming where it looked. `--out` that is or lies under a file is a usage error; its missing folders are made on success only. `runtime-targets.json` (the
 * file `verify --runtime` takes) is written into --out, identical to the ConfigMap's copy.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { main } from '../../src/cli/main.js';
import { parseTargets } from '../../src/verify/external/targets.js';
import { captureIO } from '../cli/_io.js';
import { ROOT } from '../_project.js';

const IMAGE = 'meshproof-runtime:test';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-runtime-project-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A project folder holding a copy of the committed dist/, with its own expectations when asked. */
function project(name: string, expectations: 'own' | 'none'): string {
  const dir = path.join(tmp, name);
  fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  if (expectations === 'own') {
    // The same promises, written compactly: a text no other project has, to tell whose was taken.
    const text = JSON.stringify(JSON.parse(fs.readFileSync(path.join(ROOT, '.meshproof/expectations.json'), 'utf8')));
    fs.mkdirSync(path.join(dir, '.meshproof'));
    fs.writeFileSync(path.join(dir, '.meshproof/expectations.json'), text);
  }
  return dir;
}

function configMap(out: string): Record<string, string> {
  const docs = parseAllDocuments(fs.readFileSync(path.join(out, 'runtime.k8s.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string }; data?: Record<string, string> });
  const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'meshproof-config');
  assert.ok(cm?.data, 'runtime.k8s.yaml holds the ConfigMap meshproof-config');
  return cm!.data!;
}

test('GIVEN a dist/ with no .meshproof/ beside it WHEN synthesized from a project that has one THEN exit 2 naming where it looked; the current folder\'s promises are not used', async () => {
  const p = project('bare', 'none');
  for (const cwd of [ROOT, tmp]) {
    const c = captureIO(cwd);
    assert.is(await main(['runtime', 'synth', path.join(p, 'dist'), '--out', path.join(p, 'out'), '--image', IMAGE], c.io), 2, c.stdout() + c.stderr());
    assert.match(c.stderr(), /RUNTIME_NO_EXPECTATIONS/);
    assert.ok(c.stderr().includes(path.join(p, '.meshproof/expectations.json')), c.stderr());
    assert.match(c.stderr(), /Synthesize the app .*or pass --project <dir>/);
    assert.not.ok(fs.existsSync(path.join(p, 'out')), 'nothing written');
  }
});

test('GIVEN a dist/ whose project has .meshproof/ WHEN synthesized from another folder THEN that project\'s promises are embedded, --project names another explicitly, and --out holds runtime-targets.json', async () => {
  const p = project('own', 'own');
  const c = captureIO(ROOT);
  assert.is(await main(['runtime', 'synth', path.join(p, 'dist'), '--out', path.join(p, 'out'), '--image', IMAGE], c.io), 0, c.stderr());
  assert.is(configMap(path.join(p, 'out'))['expectations.json'], fs.readFileSync(path.join(p, '.meshproof/expectations.json'), 'utf8'));
  assert.ok(c.stdout().includes(path.join(p, '.meshproof/expectations.json')), 'the summary says whose promises');

  const bare = project('bare-explicit', 'none');
  const d = captureIO(tmp);
  assert.is(await main(['runtime', 'synth', path.join(bare, 'dist'), '--out', path.join(bare, 'out'), '--image', IMAGE, '--project', p], d.io), 0, d.stderr());
  assert.is(configMap(path.join(bare, 'out'))['expectations.json'], fs.readFileSync(path.join(p, '.meshproof/expectations.json'), 'utf8'));
  // --out holds runtime-targets.json (the file verify --runtime takes): the ConfigMap's copy, the
  // same for the same dist/ and promises, accepted by the targets parser.
  const [a, b] = [p, bare].map((x) => fs.readFileSync(path.join(x, 'out', 'runtime-targets.json'), 'utf8'));
  assert.is(a, b);
  assert.is(a, configMap(path.join(p, 'out'))['runtime-targets.json']);
  assert.match(c.stdout(), /runtime-targets\.json/);
  const targets = parseTargets(JSON.parse(a!), 'runtime-targets.json');
  assert.ok(targets.workloads.length > 0 && targets.callers.length > 0);
  // An explicit --project without promises is refused too.
  const e = captureIO(tmp);
  assert.is(await main(['runtime', 'synth', path.join(bare, 'dist'), '--out', path.join(bare, 'out2'), '--image', IMAGE, '--project', bare], e.io), 2);
  assert.ok(e.stderr().includes(path.join(bare, '.meshproof/expectations.json')), e.stderr());
});

test('GIVEN --out naming a file, a folder under a file, or (not as root) a folder under a read-only one WHEN runtime synth runs THEN a usage error names runtime synth --out <given> and the folder, before any work, and nothing is written', async () => {
  const file = path.join(tmp, 'a-file');
  fs.writeFileSync(file, 'keep');
  const locked = path.join(tmp, 'locked');
  fs.mkdirSync(locked);
  fs.chmodSync(locked, 0o555);
  const cases: [string, string][] = [
    [file, `runtime synth --out ${file}: ${file} is a file, so no folder can be made there; name a folder you may write, e.g. --out build/runtime`],
    [path.join(file, 'sub'), `runtime synth --out ${path.join(file, 'sub')}: ${file} is a file, so no folder can be made there; name a folder you may write, e.g. --out build/runtime`],
  ];
  if (process.getuid?.() !== 0) cases.push([path.join(locked, 'a', 'b'), `runtime synth --out ${path.join(locked, 'a', 'b')}: the folder ${locked} is not writable; name a folder you may write`]);
  for (const [out, message] of cases) {
    const c = captureIO(ROOT);
    assert.is(await main(['runtime', 'synth', 'dist', '--out', out, '--image', IMAGE], c.io), 2);
    assert.ok(c.stderr().includes(message), c.stderr());
    assert.match(c.stderr(), /Run 'meshproof runtime synth --help'/);
    assert.not.match(c.stderr(), /internal error|EEXIST/);
  }
  assert.is(fs.readFileSync(file, 'utf8'), 'keep');
  assert.equal(fs.readdirSync(locked), []);
  fs.chmodSync(locked, 0o755);
});

test('GIVEN --out in folders that do not exist WHEN runtime synth succeeds THEN they are made and hold the three files; WHEN it is refused (no promises) THEN no folder is made', async () => {
  const p = project('nested-out', 'own');
  const c = captureIO(p);
  assert.is(await main(['runtime', 'synth', 'dist', '--out', 'build/runtime/e2e', '--image', IMAGE], c.io), 0, c.stderr());
  assert.equal(fs.readdirSync(path.join(p, 'build/runtime/e2e')).sort(), ['expectations-job.k8s.yaml', 'runtime-targets.json', 'runtime.k8s.yaml']);
  const bare = project('nested-out-refused', 'none');
  const d = captureIO(bare);
  assert.is(await main(['runtime', 'synth', 'dist', '--out', 'build/runtime/e2e', '--image', IMAGE], d.io), 2);
  assert.not.ok(fs.existsSync(path.join(bare, 'build')), 'a refused run makes no folder');
});

test('GIVEN --out inside the dist/ it reads WHEN runtime synth runs THEN a usage error says the runtime would be read as the mesh, and nothing is written there', async () => {
  const p = project('out-inside', 'own');
  for (const out of [path.join(p, 'dist', 'runtime'), path.join(p, 'dist')]) {
    const c = captureIO(p);
    assert.is(await main(['runtime', 'synth', 'dist', '--out', out, '--image', IMAGE], c.io), 2, c.stdout());
    assert.match(c.stderr(), `runtime synth: --out ${out} is inside dist, the manifests it reads`);
    assert.match(c.stderr(), /write them outside it, e\.g\. --out build\/runtime\n/);
  }
  assert.not.ok(fs.existsSync(path.join(p, 'dist', 'runtime')), 'no folder created inside dist/');
  assert.not.ok(fs.existsSync(path.join(p, 'dist', 'runtime.k8s.yaml')));
});

test('GIVEN an empty dist/ WHEN runtime synth runs THEN exit 2 saying there are no objects and to synthesize first, not to pass --allow-empty (an option runtime synth does not take)', async () => {
  const p = path.join(tmp, 'empty-dist');
  fs.mkdirSync(path.join(p, 'dist'), { recursive: true });
  const c = captureIO(p);
  assert.is(await main(['runtime', 'synth', 'dist', '--out', 'build/runtime', '--image', IMAGE], c.io), 2);
  assert.match(c.stderr(), /RUNTIME_INPUT_UNUSABLE: .*dist cannot be read:\n  \S*dist\/: no Kubernetes objects in \S*dist\/ \(the folder holds no manifest file/);
  assert.match(c.stderr(), /synthesize the app first \(npx cdk8s synth\), or name the folder of synthesized manifests\n$/);
  assert.not.match(c.stderr(), /--allow-empty/);
  assert.not.ok(fs.existsSync(path.join(p, 'build')));
});

test.run();
