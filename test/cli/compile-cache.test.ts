import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
// @ts-expect-error bin/ is plain JavaScript without declarations
import { CACHE_MAX_AGE_MS, cacheFileName, pruneCache } from '../../bin/load-cli.mjs';

const name = (dir: string, bundle: string, source: string): string => cacheFileName(dir, bundle, source) as string;

function withDir(run: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-cache-'));
  try {
    run(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('GIVEN the same bundle content in two checkouts WHEN the cache file is named THEN each checkout has its own entry; a new build gets a new one', () => {
  const a = name('/c', '/work/a/lib/bundle/meshproof.cjs', 'code');
  const b = name('/c', '/work/b/lib/bundle/meshproof.cjs', 'code');
  const a2 = name('/c', '/work/a/lib/bundle/meshproof.cjs', 'code v2');
  assert.is.not(a, b);
  assert.is.not(a, a2);
  assert.is(a, name('/c', '/work/a/lib/bundle/meshproof.cjs', 'code'), 'stable for the same path and content');
  assert.is(path.basename(a).split('-')[0], path.basename(a2).split('-')[0], 'one path key per bundle path');
});

test('GIVEN older builds of this checkout and entries of other checkouts WHEN a new entry is saved and pruned THEN only the latest per path and recent others stay', () => {
  withDir((dir) => {
    const here = '/work/a/lib/bundle/meshproof.cjs';
    const old = name(dir, here, 'build 1');
    const latest = name(dir, here, 'build 2');
    const otherRecent = name(dir, '/work/b/lib/bundle/meshproof.cjs', 'build 1');
    const otherStale = name(dir, '/gone/lib/bundle/meshproof.cjs', 'build 1');
    const unrelated = path.join(dir, 'notes.txt');
    for (const f of [old, latest, otherRecent, otherStale, unrelated]) fs.writeFileSync(f, 'x');
    const now = Date.now();
    const staleTime = new Date(now - CACHE_MAX_AGE_MS - 60_000);
    fs.utimesSync(otherStale, staleTime, staleTime);
    fs.utimesSync(unrelated, staleTime, staleTime);
    pruneCache(latest, now);
    assert.equal(fs.readdirSync(dir).sort(), [path.basename(latest), path.basename(otherRecent), 'notes.txt'].sort());
  });
});

test.run();
