/**
 * watchTree follows symbolic links found under a watched input (and a watched file that is one): an
 * edit at the link's target is a change of the input, as the loader reads through the link. The
 * target's watch goes with the link (re-pointed or removed).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchTree } from '../../src/cli/watch-tree.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A watch on `path` that counts changes; `changedAfter(f)` runs `f` and says whether a change came within 2 s. */
function counting(path: string) {
  let n = 0;
  const errors: string[] = [];
  const w = watchTree(path, () => n++, (m) => errors.push(m));
  return {
    errors,
    close: () => w.close(),
    async changedAfter(f: () => void, ms = 2000): Promise<boolean> {
      await pause(60);
      const before = n;
      f();
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if (n > before) return true;
        await pause(20);
      }
      return false;
    },
  };
}

function workdir(): string {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-watch-links-'));
  mkdirSync(join(work, 'manifests'));
  mkdirSync(join(work, 'generated'));
  writeFileSync(join(work, 'generated', 'app.yaml'), 'a: 1\n');
  return work;
}

test('GIVEN a watched directory holding manifests/app.yaml -> ../generated/app.yaml WHEN the target is edited in place and by rename THEN both are changes', async () => {
  const work = workdir();
  symlinkSync('../generated/app.yaml', join(work, 'manifests', 'app.yaml'));
  const w = counting(join(work, 'manifests'));
  try {
    assert.ok(await w.changedAfter(() => writeFileSync(join(work, 'generated', 'app.yaml'), 'a: 2\n')), 'an in-place edit of the target is seen');
    assert.ok(await w.changedAfter(() => { writeFileSync(join(work, 'generated', '.tmp'), 'a: 3\n'); renameSync(join(work, 'generated', '.tmp'), join(work, 'generated', 'app.yaml')); }), 'an atomic save of the target is seen');
    assert.not.ok(await w.changedAfter(() => writeFileSync(join(work, 'generated', 'other.yaml'), 'b: 1\n'), 400), 'a file no link leads to is not a change');
    assert.equal(w.errors, []);
  } finally {
    w.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a link to a file in the watched directory\'s parent (manifests/app.yaml -> ../app.yaml) WHEN the target is edited THEN it is a change', async () => {
  const work = workdir();
  writeFileSync(join(work, 'app.yaml'), 'a: 1\n');
  symlinkSync('../app.yaml', join(work, 'manifests', 'app.yaml'));
  const w = counting(join(work, 'manifests'));
  try {
    assert.ok(await w.changedAfter(() => writeFileSync(join(work, 'app.yaml'), 'a: 2\n')));
    assert.not.ok(await w.changedAfter(() => writeFileSync(join(work, 'unrelated.yaml'), 'b: 1\n'), 400), 'another file of the parent is not a change');
  } finally {
    w.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a linked file WHEN the link is re-pointed, then removed THEN the new target is watched and the old one released', async () => {
  const work = workdir();
  mkdirSync(join(work, 'other'));
  writeFileSync(join(work, 'other', 'app.yaml'), 'a: 1\n');
  const link = join(work, 'manifests', 'app.yaml');
  symlinkSync('../generated/app.yaml', link);
  const w = counting(join(work, 'manifests'));
  try {
    assert.ok(await w.changedAfter(() => { symlinkSync('../other/app.yaml', `${link}.new`); renameSync(`${link}.new`, link); }), 're-pointing the link is a change');
    assert.ok(await w.changedAfter(() => writeFileSync(join(work, 'other', 'app.yaml'), 'a: 2\n')), 'the new target is watched');
    assert.not.ok(await w.changedAfter(() => writeFileSync(join(work, 'generated', 'app.yaml'), 'a: 2\n'), 400), 'the old target is released');
    assert.ok(await w.changedAfter(() => unlinkSync(link)), 'removing the link is a change');
    assert.not.ok(await w.changedAfter(() => writeFileSync(join(work, 'other', 'app.yaml'), 'a: 3\n'), 400), 'the target of a removed link is released');
  } finally {
    w.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a linked directory (manifests/gen -> ../generated) WHEN a file in a subdirectory of the target is added and edited THEN both are changes', async () => {
  const work = workdir();
  mkdirSync(join(work, 'generated', 'sub'));
  symlinkSync('../generated', join(work, 'manifests', 'gen'));
  const w = counting(join(work, 'manifests'));
  try {
    assert.ok(await w.changedAfter(() => writeFileSync(join(work, 'generated', 'sub', 'x.yaml'), 'a: 1\n')));
    assert.ok(await w.changedAfter(() => writeFileSync(join(work, 'generated', 'sub', 'x.yaml'), 'a: 2\n')));
  } finally {
    w.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a watched file that is itself a link WHEN its target is edited THEN it is a change', async () => {
  const work = workdir();
  symlinkSync('../generated/app.yaml', join(work, 'manifests', 'app.yaml'));
  const w = counting(join(work, 'manifests', 'app.yaml'));
  try {
    assert.ok(await w.changedAfter(() => writeFileSync(join(work, 'generated', 'app.yaml'), 'a: 2\n')));
  } finally {
    w.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a link to a file not there yet WHEN the target is created THEN it is a change; links that loop are not followed', async () => {
  const work = workdir();
  symlinkSync('../generated/later.yaml', join(work, 'manifests', 'later.yaml'));
  symlinkSync('loop-b.yaml', join(work, 'manifests', 'loop-a.yaml'));
  symlinkSync('loop-a.yaml', join(work, 'manifests', 'loop-b.yaml'));
  symlinkSync('../manifests', join(work, 'manifests', 'self'));
  const w = counting(join(work, 'manifests'));
  try {
    assert.ok(await w.changedAfter(() => writeFileSync(join(work, 'generated', 'later.yaml'), 'a: 1\n')));
    assert.equal(w.errors, []);
  } finally {
    w.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
