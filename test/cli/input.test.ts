import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { USAGE } from '../../src/cli/usage.js';
import { captureIO, FIXTURES } from './_io.js';

const work = mkdtempSync(join(tmpdir(), 'meshproof-cli-input-'));
const CLEAN = readFileSync(join(FIXTURES, 'clean/dist/mesh.yaml'), 'utf8');

function project(name: string, files: Record<string, string>): string {
  const root = join(work, name);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), content);
  }
  return root;
}

test('GIVEN an input with no Kubernetes object WHEN checked THEN exit 2 saying nothing was checked; with --allow-empty THEN exit 0', async () => {
  const root = project('empty', { 'dist/notes.yaml': '# nothing here\n', 'dist/values.yaml': 'replicas: 2\n' });
  const c = captureIO(root);
  assert.is(await main(['check', 'dist'], c.io), 2);
  assert.match(c.stdout(), /error \[input\/empty\] \(dist\/\) no Kubernetes objects in dist\/ \(2 files read, none with an object that has apiVersion, kind and metadata.name\), so nothing was checked.*--allow-empty/);
  const allowed = captureIO(root);
  assert.is(await main(['check', 'dist', '--allow-empty'], allowed.io), 0);
});

test('GIVEN an empty folder WHEN checked THEN input/empty is located at the folder (no made-up line 1) and says the folder holds no manifest file and what to pass instead', async () => {
  const root = project('empty-folder', { 'README.md': 'nothing\n' });
  mkdirSync(join(root, 'manifests'));
  const c = captureIO(root);
  assert.is(await main(['check', 'manifests'], c.io), 2);
  assert.is(c.stdout().split('\n').find((l) => l.includes('[input/empty]')),
    'error [input/empty] (manifests/) no Kubernetes objects in manifests/ (the folder holds no manifest file (.yaml, .yml, .json)), so nothing was checked. '
    + 'Give the folder or files that hold your manifests (dist/ in a meshproof project, once synthesized), check the exclude globs, or pass --allow-empty if an empty input is expected');
  const json = captureIO(root);
  assert.is(await main(['check', 'manifests', '--format', 'json'], json.io), 2);
  assert.equal(JSON.parse(json.stdout()).findings[0].location, { file: 'manifests/', line: 0, column: 0 });
  const sarif = captureIO(root);
  assert.is(await main(['check', 'manifests', '--format', 'sarif'], sarif.io), 2);
  const where = JSON.parse(sarif.stdout()).runs[0].results[0].locations[0].physicalLocation;
  assert.equal(where, { artifactLocation: { uri: 'manifests/' } }, 'no region: SARIF needs startLine >= 1, and a folder has no line');
  const file = project('empty-file', { 'only.yaml': '# nothing yet\n' });
  const f = captureIO(file);
  assert.is(await main(['check', 'only.yaml'], f.io), 2);
  assert.match(f.stdout(), /\(only\.yaml:1\) no Kubernetes objects in only\.yaml \(1 file read/);
});

test('GIVEN exclude globs in the config and on the command line WHEN checked THEN the matching files are not read', async () => {
  const root = project('exclude', {
    'dist/mesh.yaml': CLEAN,
    'dist/generated/broken.yaml': 'kind: [',
    'dist/secret.enc.yaml': 'kind: [',
    'meshproof.config.yaml': 'exclude: ["dist/generated/**"]\n',
  });
  const without = captureIO(root);
  assert.is(await main(['check', 'dist'], without.io), 2);
  const c = captureIO(root);
  assert.is(await main(['check', 'dist', '--exclude', '*.enc.yaml', '--format', 'json'], c.io), 0);
  assert.is(JSON.parse(c.stdout()).summary.files, 1);
});

test('GIVEN --max-documents (or limits.maxDocuments in the config) below the input WHEN checked THEN exit 2 naming the flag', async () => {
  const root = project('limits', { 'dist/mesh.yaml': CLEAN });
  const c = captureIO(root);
  assert.is(await main(['check', 'dist', '--max-documents', '1'], c.io), 2);
  assert.match(c.stdout(), /\[input\/too-many-documents\].*limit of 1 YAML documents.*Raise --max-documents/);
  writeFileSync(join(root, 'meshproof.config.yaml'), 'limits: { maxDocuments: 1 }\n');
  const fromConfig = captureIO(root);
  assert.is(await main(['check', 'dist'], fromConfig.io), 2);
  assert.is(await main(['check', 'dist', '--max-documents', '5'], captureIO(root).io), 0);
});

test('GIVEN bad limit values WHEN checked THEN usage errors saying what is expected', async () => {
  for (const [argv, message] of [
    [['--max-input-size', 'lots'], /--max-input-size must be a size such as 64MiB/],
    [['--max-documents', '0'], /--max-documents must be a whole number of at least 1; got "0"/],
    [['--max-aliases', '1.5'], /--max-aliases must be a whole number of at least 0; got "1.5"/],
  ] as const) {
    const c = captureIO(join(FIXTURES, 'clean'));
    assert.is(await main(['check', ...argv], c.io), 2, argv.join(' '));
    assert.match(c.stderr(), message);
  }
});

test('GIVEN --output in folders that do not exist WHEN checked THEN they are made when the report is written, as xds compile --out makes its folder; a run refused before writing makes none', async () => {
  const out = join(work, 'reports', 'ci', 'report.json');
  const c = captureIO(join(FIXTURES, 'clean'));
  const io = { ...c.io, stdin: () => [CLEAN] };
  assert.is(await main(['check', '-', '--format', 'json', '--output', out], io), 0, c.stderr());
  assert.is(JSON.parse(readFileSync(out, 'utf8')).summary.errors, 0);
  assert.equal(readdirSync(join(work, 'reports', 'ci')), ['report.json'], 'no temporary file left beside it');
  // A config error is found after --output is accepted, before anything is written.
  const root = project('bad-config', { 'meshproof.config.yaml': 'profile: nope\n' });
  const refused = captureIO(root);
  assert.is(await main(['check', '-', '--output', join(root, 'never', 'report.json')], { ...refused.io, stdin: () => [CLEAN] }), 2);
  assert.match(refused.stderr(), /profile/);
  assert.not.ok(readdirSync(root).includes('never'), 'a refused run makes no folder');
});

test('GIVEN --output under a file, to a folder, or into a read-only folder WHEN checked THEN a usage error before any input is read', async () => {
  const locked = join(work, 'locked');
  mkdirSync(locked);
  chmodSync(locked, 0o555);
  writeFileSync(join(work, 'a-file'), 'x');
  const cases: [string, RegExp][] = [
    [join(work, 'a-file', 'sub', 'report.json'), /a-file is a file, so no folder can be made there; write the report somewhere you may write/],
    [work, /it is a folder; name a file/],
  ];
  if (process.getuid?.() !== 0) cases.push([join(locked, 'r.json'), /is not writable/]);
  for (const [output, message] of cases) {
    const c = captureIO(join(FIXTURES, 'clean'));
    let stdinRead = false;
    const io = { ...c.io, stdin: () => ((stdinRead = true), []) };
    assert.is(await main(['check', '-', '--output', output], io), 2);
    assert.match(c.stderr(), new RegExp(`meshproof: --output ${output.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    assert.match(c.stderr(), message);
    assert.not.match(c.stderr(), /internal error/);
    assert.not.ok(stdinRead, 'stdin was read before the usage error');
  }
  chmodSync(locked, 0o755);
});

test('GIVEN --output ending in a slash (a folder that does not exist yet) or empty WHEN checked THEN a usage error asks for a file name, and no file named after the folder is written', async () => {
  for (const [output, message] of [
    [join(work, 'slash-reports') + '/', /--output \S+slash-reports\/ ends in a slash, so it names a folder; name a file in it, e\.g\. --output \S+slash-reports\/report\.json/],
    ['', /--output is empty; name a file, e\.g\. --output report\.json/],
  ] as const) {
    const c = captureIO(join(FIXTURES, 'clean'));
    assert.is(await main(['check', '-', '--output', output], { ...c.io, stdin: () => [CLEAN] }), 2);
    assert.match(c.stderr(), message);
    assert.not.match(c.stderr(), /it is a folder/);
  }
  assert.not.ok(existsSync(join(work, 'slash-reports')), 'no file named slash-reports');
});

test('GIVEN stdout closed early (meshproof check | head -1) WHEN checked THEN it ends quietly, no EPIPE trace', async () => {
  const vs = (i: number) => `---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs-${i}}\nspec:\n  hosts: [h${i}]\n  http:\n  - route:\n    - destination: {host: missing-${i}}\n`;
  const root = project('epipe', { 'dist/many.yaml': Array.from({ length: 3000 }, (_, i) => vs(i)).join('') });
  const script = "import { main, processIO } from './src/cli/main.ts'; process.exitCode = await main(['check', process.argv[1]], processIO());";
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, join(root, 'dist')], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.is(stderr, '');
  assert.ok(code === 1, `exit ${code}`);
});

test('GIVEN every message in the checker WHEN it names a meshproof flag THEN that flag exists in the usage text', () => {
  const src = fileURLToPath(new URL('../../src/', import.meta.url));
  const flags = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'gen') walk(file);
      } else if (entry.name.endsWith('.ts')) {
        for (const line of readFileSync(file, 'utf8').split('\n')) {
          if (/^\s*(\*|\/\/|\/\*)/.test(line)) continue;
          // In code a `--name` right after `(`/`if (`/a space and before an identifier end is a decrement (`--untilHeapCheck`): only flags inside string or template text count.
          for (const m of line.matchAll(/(?<![\w-])(?:Raise |raise |pass it with |, or |\(|`)?(--[a-z][a-zA-Z-]+)/g)) if (/['"`=]/.test(line.slice(0, m.index)) || !/^--[a-z]\w*\s*(===|[;)\]])/.test(line.slice(m.index! + m[0].length - m[1]!.length))) flags.add(m[1]!);
        }
      }
    }
  };
  for (const dir of ['mesh', 'checks', 'cli']) walk(join(src, dir));
  // Flags of other programs quoted in messages (kubelet, istioctl, cdk8s, tsc, npm).
  // Node's own (`NODE_OPTIONS=--max-old-space-size=…`, `--expose-gc`) too, and kubectl's (`create secret tls --cert --key`).
  const foreign = new Set(['--cert', '--key', '--cluster-domain', '--meshConfigFile', '--check-upgrade', '--stdout', '--noEmit', '--no-audit', '--no-fund', '--max-old-space-size', '--expose-gc']);
  const missing = [...flags].filter((f) => !USAGE.includes(`${f} `) && !USAGE.includes(`${f}\n`) && !foreign.has(f));
  assert.equal(missing, []);
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
