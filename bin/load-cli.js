// Loads meshproof's compiled CLI for bin/meshproof.js. The fast path runs the one-file bundle
// (lib/bundle/meshproof.cjs, made by `npm run build`) with a V8 code cache, as Node 22's
// module.enableCompileCache() would: the first run compiles and saves the cache, later runs
// deserialize it instead of compiling 1.2 MB of JavaScript. Without the bundle, or with
// MESHPROOF_BUNDLE=off, it imports the ES modules under lib/src/ (same code, slower start).
// MESHPROOF_NO_COMPILE_CACHE=1 turns the cache off.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  const cacheFile = process.env.MESHPROOF_NO_COMPILE_CACHE === '1' ? undefined : cachePath(source);
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

/**
 * A per-user folder in the temp directory (mode 0700, refused if someone else owns it), and a
 * file named by the bundle's content and the V8 build: V8 itself checks only the source length.
 */
function cachePath(source) {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const dir = join(tmpdir(), `meshproof-compile-cache${uid === undefined ? '' : `-${uid}`}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    if (uid !== undefined && (st.uid !== uid || (st.mode & 0o077) !== 0)) return undefined;
  } catch {
    return undefined;
  }
  const key = createHash('sha256').update(`${process.versions.v8}\0${process.arch}\0`).update(source).digest('hex').slice(0, 32);
  return join(dir, `${key}.bin`);
}

function saveCache(script, file) {
  try {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // a cache that cannot be written only costs the next run its speed
  }
}
