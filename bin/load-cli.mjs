// Loads meshproof's compiled CLI for bin/meshproof.js. The fast path runs the one-file bundle
// (lib/bundle/meshproof.cjs, made by `npm run build`) with a V8 code cache, as Node 22's
// module.enableCompileCache() would: the first run compiles and saves the cache, later runs
// deserialize it instead of compiling 1.2 MB of JavaScript. Without the bundle, or with
// MESHPROOF_BUNDLE=off, it imports the ES modules under lib/src/ (same code, slower start).
// MESHPROOF_NO_COMPILE_CACHE=1 turns the cache off.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const BUNDLE = fileURLToPath(new URL('../lib/bundle/meshproof.cjs', import.meta.url));

const MAIN = fileURLToPath(new URL('../lib/src/cli/main.js', import.meta.url));

/**
 * `{ main, processIO }` of lib/src/cli/main.js. MESHPROOF_BUNDLE picks where from: `off` the ES
 * modules; `on` the bundle (an error when there is none); unset, the bundle when there is one and
 * it is not older than lib/src (tsc rewrites every file: a `tsc` run without the bundling step
 * must not leave the CLI running yesterday's code), else the ES modules.
 */
export async function loadCli() {
  const mode = process.env.MESHPROOF_BUNDLE;
  if (mode === 'off') return import('../lib/src/cli/main.js');
  let source;
  try {
    if (mode === 'on' || statSync(MAIN).mtimeMs <= statSync(BUNDLE).mtimeMs) source = readFileSync(BUNDLE, 'utf8');
  } catch (e) {
    if (mode === 'on') throw new Error(`MESHPROOF_BUNDLE=on, but the bundle cannot be read (${e.code ?? e.message}); run \`npm run build\``);
  }
  return source === undefined ? import('../lib/src/cli/main.js') : runBundle(source);
}

function runBundle(source) {
  const dir = process.env.MESHPROOF_NO_COMPILE_CACHE === '1' ? undefined : cacheDir();
  const cacheFile = dir && cacheFileName(dir, BUNDLE, source);
  let cachedData;
  if (cacheFile) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // first run, or the cache was cleared
    }
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapper, { filename: BUNDLE, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} };
  globalThis.__meshproofImport = (specifier) => import(specifier);
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, join(BUNDLE, '..'));
  const cli = module.exports;
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    // Saved after the command ran, so the functions it compiled on the way are in the cache too.
    process.once('beforeExit', () => saveCache(script, cacheFile));
  }
  return cli;
}

/** A per-user folder in the temp directory (mode 0700), or undefined if someone else owns it. */
function cacheDir() {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const dir = join(tmpdir(), `meshproof-compile-cache${uid === undefined ? '' : `-${uid}`}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    if (uid !== undefined && (st.uid !== uid || (st.mode & 0o077) !== 0)) return undefined;
  } catch {
    return undefined;
  }
  return dir;
}

/** Entries not rewritten for this long are removed whenever a new one is saved (a miss costs one compile). */
export const CACHE_MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;

/**
 * `<dir>/<path key>-<content key>.bin`. The path key hashes the bundle's absolute path (V8 keeps
 * the script's origin in the cache: an entry shared between checkouts would name the other
 * checkout's bundle in stack traces); the content key hashes the source and the V8 build (V8
 * itself checks only the source length).
 */
export function cacheFileName(dir, bundle, source) {
  const pathKey = createHash('sha256').update(bundle).digest('hex').slice(0, 16);
  const contentKey = createHash('sha256').update(`${process.versions.v8}\0${process.arch}\0`).update(source).digest('hex').slice(0, 32);
  return join(dir, `${pathKey}-${contentKey}.bin`);
}

/**
 * Removes, beside `file`, the older entries of the same bundle path (only the latest build of a
 * checkout is worth keeping) and any entry older than CACHE_MAX_AGE_MS (most likely of a checkout deleted since).
 */
export function pruneCache(file, now = Date.now()) {
  const dir = dirname(file);
  const name = basename(file);
  const pathKey = name.slice(0, name.indexOf('-') + 1);
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry === name || !/^[0-9a-f]{16}-[0-9a-f]{32}\.bin(\.\d+\.tmp)?$/.test(entry)) continue;
    const full = join(dir, entry);
    try {
      const stale = entry.startsWith(pathKey) ? !entry.endsWith('.tmp') : now - statSync(full).mtimeMs > CACHE_MAX_AGE_MS;
      if (stale) rmSync(full, { force: true });
    } catch {
      // removed by a concurrent run
    }
  }
}

function saveCache(script, file) {
  try {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    renameSync(tmp, file);
    pruneCache(file);
  } catch {
    // a cache that cannot be written only costs the next run its speed
  }
}
