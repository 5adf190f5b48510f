import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Ajv } from 'ajv';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { main, type CliIO } from '../src/cli/main.js';
import { VERSION } from '../src/cli/version.js';
import { ROOT, snapshot } from './_project.js';

const SCAFFOLD = ['.github/workflows/mesh-gate.yml', '.gitignore', 'apps/main.ts', 'argocd/application.yaml', 'cdk8s.yaml', 'meshproof.config.yaml', 'package.json', 'tsconfig.json'];

async function init(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: () => [],
    env: {},
    cwd: dir,
  };
  const code = await main(['init', '--no-install', ...args], io);
  return { code, stdout, stderr };
}

function tempDir(name = 'payments-team'): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-init-')), name);
  fs.mkdirSync(dir);
  return dir;
}

const own = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

test('GIVEN an empty folder WHEN meshproof init runs THEN it writes the whole scaffold, wired to this meshproof version', async () => {
  const dir = tempDir();
  const run = await init(dir);
  assert.is(run.code, 0, run.stderr);
  assert.equal(Object.keys(snapshot(dir)).sort(), SCAFFOLD);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  assert.is(pkg.name, 'payments-team');
  assert.is(pkg.type, 'module');
  assert.equal(pkg.dependencies, { meshproof: `^${VERSION}`, cdk8s: own.dependencies.cdk8s, 'cdk8s-plus-27': own.dependencies['cdk8s-plus-27'], constructs: own.dependencies.constructs });
  assert.equal(Object.keys(pkg.devDependencies).sort(), ['cdk8s-cli', 'tsx', 'typescript']);
  const cdk8s = parse(fs.readFileSync(path.join(dir, 'cdk8s.yaml'), 'utf8'));
  assert.is(cdk8s.output, '.meshproof/synth');
  assert.match(cdk8s.app, /^npx tsc --noEmit 1>&2 && npx tsx apps\/main\.ts$/);
  assert.equal(cdk8s.validations, [{ package: './node_modules/meshproof/plugins/cdk8s-validation', class: 'MeshproofValidation', version: VERSION, properties: { failOn: 'error' } }]);
  assert.match(fs.readFileSync(path.join(dir, 'apps/main.ts'), 'utf8'), /from 'meshproof';/);
  assert.match(run.stdout, /^  npm run synth {2,}type-check apps\//m);
  assert.not.match(run.stdout, 'npx cdk8s synth');
  assert.match(run.stdout, 'dist/, .meshproof/sourcemap.json and .meshproof/expectations.json are committed');
});

test('GIVEN init without --action WHEN its workflow is read THEN it checks and verifies with the installed package (npx meshproof), no action to fetch, and is valid', async () => {
  const dir = tempDir();
  await init(dir);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas/github/github-workflow.json'), 'utf8')));
  const workflow = parse(fs.readFileSync(path.join(dir, '.github/workflows/mesh-gate.yml'), 'utf8')) as { jobs: { gate: { steps: { uses?: string; run?: string }[] } } };
  assert.ok(validate(workflow), JSON.stringify(validate.errors?.slice(0, 3)));
  const steps = workflow.jobs.gate.steps;
  assert.equal(steps.flatMap((s) => (s.uses ? [s.uses.split('@')[0]] : [])), ['actions/checkout', 'actions/setup-node', 'github/codeql-action/upload-sarif']);
  const runs = steps.flatMap((s) => (s.run ? [s.run] : []));
  assert.ok(runs.some((r) => r.startsWith('npx meshproof check dist --format github')), runs.join('\n'));
  assert.ok(runs.some((r) => r.startsWith('npx meshproof check dist --format sarif')), runs.join('\n'));
  assert.ok(runs.includes('npx meshproof verify'), runs.join('\n'));
});

test('GIVEN the scaffold WHEN its .gitignore is read THEN the source map and the expectations are not ignored and the comment says both are committed', async () => {
  const dir = tempDir();
  await init(dir);
  const ignore = fs.readFileSync(path.join(dir, '.gitignore'), 'utf8');
  assert.match(ignore, /\.meshproof\/sourcemap\.json and\n# \.meshproof\/expectations\.json are committed/);
  assert.not.match(ignore, /^[^#].*(expectations|sourcemap)/m);
});

test('GIVEN the scaffold WHEN its workflow is validated against SchemaStore THEN it is valid and uses the action with CDK8S_CHECK_UPGRADE off', async () => {
  const dir = tempDir();
  await init(dir, '--action', 'acme/meshproof@v1');
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas/github/github-workflow.json'), 'utf8')));
  const workflow = parse(fs.readFileSync(path.join(dir, '.github/workflows/mesh-gate.yml'), 'utf8')) as { env: Record<string, string>; jobs: { gate: { steps: { uses?: string }[] } } };
  assert.ok(validate(workflow), JSON.stringify(validate.errors?.slice(0, 3)));
  assert.is(workflow.env.CDK8S_CHECK_UPGRADE, 'false');
  assert.ok(workflow.jobs.gate.steps.some((s: { uses?: string }) => s.uses === 'acme/meshproof@v1'));
});

test('GIVEN the scaffold WHEN its Argo CD Application is validated against the Application CRD THEN it is valid and syncs only *.k8s.yaml from dist/', async () => {
  const dir = tempDir();
  await init(dir, '--repo-url', 'https://git.example.com/payments.git');
  const crd = parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/argocd/application-crd.yaml'), 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile(crd.spec.versions[0].schema.openAPIV3Schema);
  const app = parse(fs.readFileSync(path.join(dir, 'argocd/application.yaml'), 'utf8')) as { metadata: { name: string }; spec: { source: Record<string, unknown> } };
  assert.ok(validate(app), JSON.stringify(validate.errors?.slice(0, 3)));
  assert.not.ok(validate({ ...app, spec: { ...app.spec, source: { ...app.spec.source, directory: { include: 7 } } } }), 'the schema rejects a bad include');
  assert.equal(app.spec.source, { repoURL: 'https://git.example.com/payments.git', targetRevision: 'HEAD', path: 'dist', directory: { recurse: false, include: '*.k8s.yaml' } });
  assert.is(app.metadata.name, 'payments-team');
});

test('GIVEN a folder holding only a package.json WHEN init runs THEN it merges into it, keeping what was there', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'team-mesh', version: '2.0.0', dependencies: { meshproof: 'file:../meshproof-0.1.0.tgz' }, scripts: { synth: 'custom' } }));
  const run = await init(dir);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /update\s+package\.json/);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  assert.is(pkg.name, 'team-mesh');
  assert.is(pkg.version, '2.0.0');
  assert.is(pkg.dependencies.meshproof, 'file:../meshproof-0.1.0.tgz');
  assert.is(pkg.scripts.synth, 'custom');
  assert.is(pkg.scripts.check, 'meshproof check dist');
  assert.ok(pkg.devDependencies['cdk8s-cli']);
});

for (const field of ['devDependencies', 'peerDependencies', 'optionalDependencies'] as const) {
  test(`GIVEN meshproof and typescript already in ${field} WHEN init runs (also with --force) THEN each keeps its one entry and init adds no second one`, async () => {
    const dir = tempDir();
    const declared = { meshproof: 'file:../meshproof-0.1.0.tgz', typescript: '5.0.0' };
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'team-mesh', [field]: declared }));
    for (const args of [[], ['--force']]) {
      const run = await init(dir, ...args);
      assert.is(run.code, 0, run.stderr);
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      const fields = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
      for (const name of ['meshproof', 'typescript']) {
        assert.equal(fields.filter((f) => pkg[f]?.[name] !== undefined), [field], `${name} is declared once, in ${field}`);
      }
      assert.equal({ meshproof: pkg[field].meshproof, typescript: pkg[field].typescript }, declared);
      assert.is(pkg.dependencies.cdk8s, own.dependencies.cdk8s, 'what is missing is still added');
    }
  });
}

test('GIVEN existing scaffold files WHEN init runs without --force THEN it exits 2 naming them and writes nothing', async () => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'apps'));
  fs.writeFileSync(path.join(dir, 'apps/main.ts'), '// mine\n');
  fs.writeFileSync(path.join(dir, 'cdk8s.yaml'), 'app: mine\n');
  const before = snapshot(dir);
  const run = await init(dir);
  assert.is(run.code, 2);
  assert.match(run.stderr, /init would overwrite 2 existing files: apps\/main\.ts, cdk8s\.yaml; nothing was written\. .*--force/);
  assert.equal(snapshot(dir), before);

  const forced = await init(dir, '--force');
  assert.is(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /overwrite\s+apps\/main\.ts/);
  assert.match(fs.readFileSync(path.join(dir, 'apps/main.ts'), 'utf8'), /MeshApp/);
});

test('GIVEN init run twice WHEN nothing changed THEN the second run reports every file unchanged', async () => {
  const dir = tempDir();
  await init(dir);
  const again = await init(dir);
  assert.is(again.code, 0, again.stderr);
  assert.is((again.stdout.match(/unchanged/g) ?? []).length, SCAFFOLD.length);
});

for (const [what, content, message] of [
  ['invalid JSON', '{ "name": ', /package\.json is not valid JSON .*nothing was written/],
] as const) {
  test(`GIVEN a package.json with ${what} WHEN init runs THEN it exits 2 with a clear message and writes nothing`, async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'package.json'), content);
    const run = await init(dir);
    assert.is(run.code, 2);
    assert.match(run.stderr, message);
    assert.equal(Object.keys(snapshot(dir)), ['package.json']);
  });
}

test('GIVEN a package.json with "type": "commonjs" and CommonJS .js files WHEN init runs THEN it exits 2 naming them and writes nothing', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "x", "type": "commonjs" }');
  fs.mkdirSync(path.join(dir, 'scripts'));
  fs.writeFileSync(path.join(dir, 'scripts', 'tool.js'), 'module.exports = {};\n');
  const run = await init(dir);
  assert.is(run.code, 2);
  assert.match(run.stderr, /"type": "commonjs"; init must switch it to "type": "module" \(apps\/main\.ts is an ES module that imports meshproof\), which would make Node read this \.js file as an ES module: scripts\/tool\.js\. Rename the CommonJS ones to \.cjs and run init again, or pass --force to switch anyway; nothing was written/);
  assert.equal(Object.keys(snapshot(dir)).sort(), ['package.json', 'scripts/tool.js']);
});

test('GIVEN the package.json `npm init -y` writes (npm 11: "type": "commonjs") and no .js file WHEN init runs THEN it switches to "type": "module" and scaffolds, keeping the rest', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'payments-mesh', version: '1.0.0', main: 'index.js', scripts: { test: 'echo "Error: no test specified" && exit 1' }, keywords: [], author: '', license: 'ISC', description: '', type: 'commonjs' }, null, 2)}\n`);
  const run = await init(dir);
  assert.is(run.code, 0, run.stderr);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  assert.equal([pkg.type, pkg.name, pkg.license, (pkg.scripts as Record<string, string>).test], ['module', 'payments-mesh', 'ISC', 'echo "Error: no test specified" && exit 1']);
  assert.ok(fs.existsSync(path.join(dir, 'apps', 'main.ts')));
});

test('GIVEN a folder where one file cannot be written WHEN init runs THEN the files already written are removed again', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, '.github'), 'a file where a folder must go\n');
  const run = await init(dir);
  assert.is(run.code, 2);
  assert.match(run.stderr, /init could not write to .*nothing was written/);
  assert.equal(fs.readdirSync(dir), ['.github']);
});

test('GIVEN a bad --name or two folders WHEN init runs THEN it is a usage error', async () => {
  const dir = tempDir();
  assert.match((await init(dir, '--name', 'Payments_Team')).stderr, /--name must be a DNS-1123 label .*"Payments_Team"/);
  assert.match((await init(dir, 'a', 'b')).stderr, /init takes at most one folder/);
  assert.equal(fs.readdirSync(dir), []);
});

test('GIVEN a --repo-url Argo CD cannot clone WHEN init runs THEN exit 2 naming the value and the accepted forms, nothing written', async () => {
  const dir = tempDir();
  for (const [bad, why] of [['not a url', /holds whitespace/], ['ftp://example.com/r.git', /scheme ftp, which Argo CD does not clone from/], ['https://github.com', /names no repository/], ['github.com/org/repo', /is not a Git repository URL/], ['file:///srv/repo.git', /scheme file/]] as const) {
    const r = await init(dir, '--repo-url', bad);
    assert.is(r.code, 2, bad);
    assert.match(r.stderr, new RegExp(`--repo-url ${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    assert.match(r.stderr, why);
    assert.match(r.stderr, /expected https:\/\/host\/org\/repo\.git, http:\/\/…, ssh:\/\/git@host\/org\/repo\.git or git@host:org\/repo\.git/);
  }
  assert.equal(fs.readdirSync(dir), []);
});

test('GIVEN --repo-url in each form Argo CD clones (https, http, ssh://, git@host:path) WHEN init runs THEN it lands in the Application', async () => {
  for (const good of ['https://github.com/acme/mesh.git', 'http://git.internal:8080/acme/mesh', 'ssh://git@github.com/acme/mesh.git', 'git@github.com:acme/mesh.git']) {
    const dir = tempDir();
    const r = await init(dir, '--repo-url', good);
    assert.is(r.code, 0, r.stderr);
    assert.is(parse(fs.readFileSync(path.join(dir, 'argocd', 'application.yaml'), 'utf8')).spec.source.repoURL, good);
  }
});

test('GIVEN a folder name that is not a DNS label WHEN init derives the Application name THEN it is made one', async () => {
  const dir = tempDir('Team_Payments.v2');
  await init(dir);
  assert.is(parse(fs.readFileSync(path.join(dir, 'argocd/application.yaml'), 'utf8')).metadata.name, 'team-payments-v2');
});

test('GIVEN a target where mkdir keeps failing with ENOENT (a folder under /proc) WHEN init runs THEN it exits 2 at once, saying it could not write there, instead of hanging in a recursive mkdir', async () => {
  if (!fs.existsSync('/proc/self')) return; // Linux only: /proc refuses new folders
  const started = Date.now();
  const { code, stderr } = await init('/', '/proc/meshproof-init-test/app');
  assert.is(code, 2);
  assert.match(stderr, /init could not write to \/proc\/meshproof-init-test\/app: ENOENT/);
  assert.match(stderr, /nothing was written/);
  assert.ok(Date.now() - started < 5000, 'init returned promptly');
});

test.run();
