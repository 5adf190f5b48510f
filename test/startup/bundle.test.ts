import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = path.resolve(import.meta.dirname, '..', '..');
const bin = path.join(root, 'bin', 'meshproof.js');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function meshproof(args: readonly string[], cwd: string, env: Record<string, string> = {}): Run {
  const child = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

const VS = [
  'apiVersion: networking.istio.io/v1', 'kind: VirtualService', 'metadata:', '  name: reviews', '  namespace: default',
  'spec:', '  hosts: [reviews]', '  http:', '  - timout: 1s', '    route:', '    - destination:', '        host: reviews', '',
].join('\n');

function withManifest(run: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-bundle-'));
  try {
    fs.writeFileSync(path.join(dir, 'vs.yaml'), VS);
    run(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('GIVEN lib/src as built WHEN the bundle is made again THEN lib/bundle/meshproof.cjs is identical (npm run build made it)', () => {
  const child = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-bundle.mjs'), '--check'], { encoding: 'utf8' });
  assert.is(child.status, 0, `${child.stdout}${child.stderr}`);
});

test('GIVEN a manifest with findings WHEN checked through the bundle and through the ES modules THEN output and exit code are the same', () => {
  withManifest((dir) => {
    const bundled = meshproof(['check', 'vs.yaml'], dir, { MESHPROOF_BUNDLE: 'on' });
    const modules = meshproof(['check', 'vs.yaml'], dir, { MESHPROOF_BUNDLE: 'off' });
    assert.is(bundled.status, 1, bundled.stderr);
    assert.match(bundled.stdout, 'unknown field "timout"');
    assert.equal(bundled, modules);
  });
});

test('GIVEN the compile cache written by a first run WHEN the same check runs again, with and without the cache THEN the results do not change', () => {
  withManifest((dir) => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-cache-test-'));
    try {
      fs.chmodSync(cacheDir, 0o700);
      const env = { TMPDIR: cacheDir, MESHPROOF_BUNDLE: 'on' };
      const first = meshproof(['check', 'vs.yaml', '--format', 'json'], dir, env);
      const cacheFiles = fs.readdirSync(cacheDir).flatMap((d) => fs.readdirSync(path.join(cacheDir, d)));
      assert.is(cacheFiles.filter((f) => f.endsWith('.bin')).length, 1, `cache files: ${cacheFiles.join(', ')}`);
      const second = meshproof(['check', 'vs.yaml', '--format', 'json'], dir, env);
      const uncached = meshproof(['check', 'vs.yaml', '--format', 'json'], dir, { ...env, MESHPROOF_NO_COMPILE_CACHE: '1' });
      assert.is(first.status, 1, first.stderr);
      assert.equal(second, first);
      assert.equal(uncached, first);
    } finally {
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});

test('GIVEN --format github (a module kept out of the bundle) WHEN checked through the bundle THEN it matches the ES-module run', () => {
  withManifest((dir) => {
    const summary = path.join(dir, 'summary.md');
    const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary };
    const bundled = meshproof(['check', 'vs.yaml', '--format', 'github'], dir, { ...env, MESHPROOF_BUNDLE: 'on' });
    const bundledSummary = fs.existsSync(summary) ? fs.readFileSync(summary, 'utf8') : '';
    fs.rmSync(summary, { force: true });
    const modules = meshproof(['check', 'vs.yaml', '--format', 'github'], dir, { ...env, MESHPROOF_BUNDLE: 'off' });
    const modulesSummary = fs.existsSync(summary) ? fs.readFileSync(summary, 'utf8') : '';
    assert.is(bundled.status, 1, bundled.stderr);
    assert.match(bundled.stdout, '::error');
    assert.equal(bundled, modules);
    assert.is(bundledSummary, modulesSummary);
  });
});

test('GIVEN --version WHEN run THEN it prints the version and never touches the bundle (no compile cache is made)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-version-'));
  try {
    const run = meshproof(['--version'], root, { TMPDIR: tmp });
    const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(run, { status: 0, stdout: `meshproof ${version}\n`, stderr: '' });
    assert.equal(fs.readdirSync(tmp), []);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('GIVEN the CLI bundle WHEN its modules are listed THEN check never loads cdk8s, constructs or the construct library', () => {
  const text = fs.readFileSync(path.join(root, 'lib', 'bundle', 'meshproof.cjs'), 'utf8');
  const modules = [...text.matchAll(/^\/\/ ((?:node_modules|lib\/src)\/\S+)$/gm)].map((m) => m[1]!);
  assert.ok(modules.some((m) => m.startsWith('lib/src/checks/')), 'esbuild marks each module with a path comment');
  assert.equal(modules.filter((m) => /^node_modules\/(cdk8s|constructs|cdk8s-plus-27)\/|^lib\/src\/(constructs|app)\//.test(m)), []);
});

test.run();
