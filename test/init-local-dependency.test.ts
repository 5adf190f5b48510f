/**
 * `init` in a project that installed meshproof from a tarball outside the repository (`npm i -D ../pkg/x.tgz`
 * writes `file:../pkg/x.tgz`): the scaffolded workflow's `npm ci` cannot install that in CI, so init warns,
 * naming the field, the spec and the ways out. A tarball vendored inside the repository is fine.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main, type CliIO } from '../src/cli/main.js';

async function init(dir: string): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const io: CliIO = { stdout: { write: () => true }, stderr: { write: (t: string) => (stderr += t) }, stdin: () => [], env: {}, cwd: dir };
  return { code: await main(['init', '--no-install'], io), stderr };
}

function project(devDependencies: Record<string, string>): { dir: string; cleanup: () => void } {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-initdep-'));
  const dir = path.join(top, 'payments-team');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'payments-team', type: 'module', devDependencies }));
  return { dir, cleanup: () => fs.rmSync(top, { recursive: true, force: true }) };
}

test('GIVEN meshproof installed from file:../gate-pkg/meshproof-0.1.0.tgz WHEN init runs THEN it warns that CI cannot install it, and still scaffolds', async () => {
  const { dir, cleanup } = project({ meshproof: 'file:../gate-pkg/meshproof-0.1.0.tgz' });
  try {
    const r = await init(dir);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, 'package.json devDependencies.meshproof is "file:../gate-pkg/meshproof-0.1.0.tgz", a path outside this repository');
    assert.match(r.stderr, "npm ci");
    assert.match(r.stderr, 'Publish meshproof to a registry');
    assert.ok(fs.existsSync(path.join(dir, '.github/workflows/mesh-gate.yml')));
  } finally {
    cleanup();
  }
});

test('GIVEN an absolute link: path WHEN init runs THEN it warns too', async () => {
  const { dir, cleanup } = project({ meshproof: 'link:/opt/meshproof' });
  try {
    assert.match((await init(dir)).stderr, 'devDependencies.meshproof is "link:/opt/meshproof", a path outside this repository');
  } finally {
    cleanup();
  }
});

test('GIVEN a tarball vendored inside the repository, or a registry range WHEN init runs THEN no such warning', async () => {
  for (const spec of ['file:vendor/meshproof-0.1.0.tgz', 'file:./vendor/meshproof-0.1.0.tgz', '^0.1.0']) {
    const { dir, cleanup } = project({ meshproof: spec });
    try {
      const r = await init(dir);
      assert.is(r.code, 0, r.stderr);
      assert.not.match(r.stderr, 'outside this repository', spec);
    } finally {
      cleanup();
    }
  }
});

test.run();
