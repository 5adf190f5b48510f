/**
 * `xds serve` keeps seeing edits saved by atomic replace (sed -i, vim, git checkout: a new file renamed
 * over the old one), for a watched directory and for a watched single file, edit after edit; and
 * edits at the target of a symbolic link inside a watched directory.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServe } from '../../src/cli/xds-command.js';

const ROOT = resolve(import.meta.dirname, '../..');
const APP = readFileSync(join(ROOT, 'dist/httpbin.k8s.yaml'), 'utf8');

async function until(f: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Saves `file` as sed -i does: writes a sibling temporary file, renames it over the original. */
function atomicSave(file: string, text: string, n: number): void {
  const tmp = join(file, `../.sed${n}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

for (const watched of ['directory', 'file'] as const) {
  test(`GIVEN xds serve watching a ${watched} WHEN the input is replaced by rename twice THEN both edits are reloaded`, async () => {
    const work = mkdtempSync(join(tmpdir(), 'meshproof-xds-watch-'));
    const dir = join(work, 'in', 'sub');
    mkdirSync(dir, { recursive: true });
    const input = join(dir, 'app.yaml');
    writeFileSync(input, APP);
    copyFileSync(join(ROOT, 'test/golden/xds/workloads.json'), join(work, 'workloads.json'));
    const logs: string[] = [];
    const published = () => logs.filter((l) => /snapshot\(s\) published/.test(l)).length;
    const h = await startServe({ paths: [watched === 'directory' ? join(work, 'in') : input], workloads: join(work, 'workloads.json'), listen: '127.0.0.1:0', cwd: work, watch: true, debounceMs: 50, check: false, log: (l) => logs.push(l) });
    try {
      assert.is(published(), 1, logs.join('\n'));
      await new Promise((r) => setTimeout(r, 100));
      atomicSave(input, APP.replace(/connectTimeout: \S+/, 'connectTimeout: 7s'), 1);
      await until(() => published() >= 2, 30_000, `the first atomic save to be reloaded; log:\n${logs.join('\n')}`);
      await new Promise((r) => setTimeout(r, 150));
      atomicSave(input, APP.replace(/connectTimeout: \S+/, 'connectTimeout: 9s'), 2);
      await until(() => published() >= 3, 30_000, `the second atomic save to be reloaded; log:\n${logs.join('\n')}`);
    } finally {
      await h.close();
      rmSync(work, { recursive: true, force: true });
    }
  });
}

test('GIVEN xds serve watching a directory WHEN the directory is replaced at its path three times (mv in.new in), then edited in place THEN every replacement and the edit are reloaded', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-xds-watch-'));
  const input = join(work, 'in');
  mkdirSync(input);
  writeFileSync(join(input, 'app.yaml'), APP);
  copyFileSync(join(ROOT, 'test/golden/xds/workloads.json'), join(work, 'workloads.json'));
  const logs: string[] = [];
  const published = () => logs.filter((l) => /snapshot\(s\) published/.test(l)).length;
  const h = await startServe({ paths: [input], workloads: join(work, 'workloads.json'), listen: '127.0.0.1:0', cwd: work, watch: true, debounceMs: 50, check: false, log: (l) => logs.push(l) });
  try {
    for (let i = 1; i <= 3; i++) {
      await new Promise((r) => setTimeout(r, 150));
      const next = join(work, `in.new${i}`);
      mkdirSync(next);
      writeFileSync(join(next, 'app.yaml'), APP.replace(/connectTimeout: \S+/, `connectTimeout: ${i + 1}s`));
      renameSync(input, join(work, `in.old${i}`));
      renameSync(next, input);
      await until(() => published() >= 1 + i, 30_000, `replacement ${i} to be reloaded; log:\n${logs.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 150));
    writeFileSync(join(input, 'app.yaml'), APP.replace(/connectTimeout: \S+/, 'connectTimeout: 9s'));
    await until(() => published() >= 5, 30_000, `the in-place edit after the replacements to be reloaded; log:\n${logs.join('\n')}`);
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN xds serve watching a ConfigMap volume\'s directory (dist -> ..data/dist, ..data -> ..<version>) WHEN kubelet swaps ..data three times THEN every update is reloaded', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-xds-watch-'));
  const volume = join(work, 'config');
  mkdirSync(volume);
  copyFileSync(join(ROOT, 'test/golden/xds/workloads.json'), join(work, 'workloads.json'));
  // kubelet's AtomicWriter: a timestamped directory, `..data` pointing at it, user paths through `..data`.
  const version = (i: number) => {
    const dir = join(volume, `..v${i}`);
    mkdirSync(join(dir, 'dist'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'app.yaml'), APP.replace(/connectTimeout: \S+/, `connectTimeout: ${i + 1}s`));
    return `..v${i}`;
  };
  symlinkSync(version(0), join(volume, '..data'));
  symlinkSync(join('..data', 'dist'), join(volume, 'dist'));
  const logs: string[] = [];
  const published = () => logs.filter((l) => /snapshot\(s\) published/.test(l)).length;
  const h = await startServe({ paths: [join(volume, 'dist')], workloads: join(work, 'workloads.json'), listen: '127.0.0.1:0', cwd: work, watch: true, debounceMs: 50, check: false, log: (l) => logs.push(l) });
  try {
    for (let i = 1; i <= 3; i++) {
      await new Promise((r) => setTimeout(r, 150));
      symlinkSync(version(i), join(volume, '..data_tmp'));
      renameSync(join(volume, '..data_tmp'), join(volume, '..data'));
      rmSync(join(volume, `..v${i - 1}`), { recursive: true, force: true });
      await until(() => published() >= 1 + i, 30_000, `ConfigMap update ${i} to be reloaded; log:\n${logs.join('\n')}`);
    }
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN xds serve watching manifests/ whose app.yaml is a link to ../generated/app.yaml WHEN the generator rewrites the target, in place then by rename THEN both are reloaded', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-xds-watch-'));
  mkdirSync(join(work, 'manifests'));
  mkdirSync(join(work, 'generated'));
  const target = join(work, 'generated', 'app.yaml');
  writeFileSync(target, APP);
  symlinkSync('../generated/app.yaml', join(work, 'manifests', 'app.yaml'));
  copyFileSync(join(ROOT, 'test/golden/xds/workloads.json'), join(work, 'workloads.json'));
  const logs: string[] = [];
  const published = () => logs.filter((l) => /snapshot\(s\) published/.test(l)).length;
  const h = await startServe({ paths: [join(work, 'manifests')], workloads: join(work, 'workloads.json'), listen: '127.0.0.1:0', cwd: work, watch: true, debounceMs: 50, settleMs: 100, check: false, log: (l) => logs.push(l) });
  try {
    await new Promise((r) => setTimeout(r, 150));
    writeFileSync(target, APP.replace(/connectTimeout: \S+/, 'connectTimeout: 7s'));
    await until(() => published() >= 2, 30_000, `the in-place edit of the link's target to be reloaded; log:\n${logs.join('\n')}`);
    await new Promise((r) => setTimeout(r, 300));
    atomicSave(target, APP.replace(/connectTimeout: \S+/, 'connectTimeout: 9s'), 1);
    await until(() => published() >= 3, 30_000, `the atomic save of the link's target to be reloaded; log:\n${logs.join('\n')}`);
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
