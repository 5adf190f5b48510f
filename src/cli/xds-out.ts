/**
 * The `--out` folder of `meshproof xds compile`: checked (or refused with a usage error) before
 * anything is read, made once the input passed, and cleared of the dumps an earlier run wrote for proxies that no longer
 * exist. Only files this command owns are removed: `<namespace>.<workload>.json` whose content is a
 * config dump (`{"configs": [...]}` as {@link configDump} writes it), and the staging folders of
 * runs that are no longer alive.
 */
import { mkdtempSync, openSync, readSync, closeSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createFolders, missingFolders } from './io.js';
import { UsageError } from './usage.js';
import { processAlive } from '../process-alive.js';

/** How every dump this command writes begins (`JSON.stringify(configDump(…), null, 2)`). */
export const DUMP_PREFIX = '{\n  "configs": [';

/**
 * Throws {@link UsageError} naming `given` (the flag's value) unless `dir` (absolute) is a folder this
 * process may write into, or can be made one: it is not a file, and its nearest existing ancestor is a
 * writable folder. Nothing is made here: missing folders are made by {@link createOutDir} once the
 * input has been read and checked, as `check --output` makes a report's folder when it writes it.
 */
export function assertOutDir(dir: string, given: string): void {
  let isFile = false;
  try {
    isFile = !statSync(dir).isDirectory();
  } catch {
    // Not there yet: made when the dumps are written.
  }
  if (isFile) throw new UsageError(`xds compile: --out ${given}: is a file, not a folder; choose a folder, e.g. build/xds`);
  missingFolders(dir, (why) => new UsageError(`xds compile: --out ${given}: ${why}; choose a folder you can write to, e.g. build/xds`));
}

/** Makes `dir` and its missing parents (see {@link createFolders}); returns the folders made, for {@link removeFolders}. */
export function createOutDir(dir: string, given: string): string[] {
  try {
    return createFolders(dir);
  } catch (e) {
    throw new UsageError(`xds compile: --out ${given}: cannot create it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); choose a folder you can write to, e.g. build/xds`);
  }
}

function isDump(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(DUMP_PREFIX.length);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('utf8', 0, n) === DUMP_PREFIX;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Removes the config dumps in `dir` that are not in `written` (file names): the proxies of an
 * earlier run that this input no longer has. Other files are left alone. Returns the removed names.
 */
export function removeStaleDumps(dir: string, written: ReadonlySet<string>): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (written.has(name) || !/^[^/]+\.[^/]+\.json$/.test(name)) continue;
    const file = join(dir, name);
    if (!isDump(file)) continue;
    rmSync(file, { force: true });
    removed.push(name);
  }
  return removed;
}

/** Staging folders: `.meshproof-stage-<pid>-<random>` (the pid of the run that made it). */
export const STAGE_PREFIX = '.meshproof-stage-';
const STAGE_OF_PID = /^\.meshproof-stage-(\d+)-[^/]+$/;
/** A stage named without a pid (as earlier versions made them) is another run's only while that run can still be going. */
const UNOWNED_STAGE_MAX_AGE_MS = 10 * 60_000;

/** Makes this run's staging folder inside `dir`. */
export function makeStage(dir: string): string {
  return mkdtempSync(join(dir, `${STAGE_PREFIX}${process.pid}-`));
}

/**
 * Removes the staging folders in `dir` of runs that ended without cleaning up (killed, or stopped
 * by a signal in an earlier version): those whose pid is not alive, and those without a pid older than
 * {@link UNOWNED_STAGE_MAX_AGE_MS}. A live run's stage is left alone. Returns the removed names.
 */
export function removeDeadStages(dir: string, now = Date.now()): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.startsWith(STAGE_PREFIX)) continue;
    const file = join(dir, name);
    const owner = STAGE_OF_PID.exec(name);
    let dead: boolean;
    if (owner) dead = Number(owner[1]) !== process.pid && !processAlive(Number(owner[1]));
    else {
      try { dead = now - statSync(file).mtimeMs > UNOWNED_STAGE_MAX_AGE_MS; } catch { dead = false; }
    }
    if (!dead) continue;
    rmSync(file, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
