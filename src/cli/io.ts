import { randomBytes } from 'node:crypto';
import { accessSync, constants, lstatSync, mkdirSync, readlinkSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { UsageError } from './usage.js';

/** Everything the CLI touches of its process, injected so `main` runs in-process in tests. */
export interface CliIO {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
  /** Standard input, read incrementally (and only up to the input limit) when a path is `-`. */
  stdin(): AsyncIterable<Buffer | string> | Iterable<Buffer | string>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths, config discovery and `--output` resolve against. */
  readonly cwd: string;
  /** Today as `YYYY-MM-DD` (exception expiry). @default the current UTC date */
  readonly today?: string;
}

/**
 * A stream whose reader went away (`meshproof check | head -1`) fails writes with EPIPE. That is
 * the reader's choice, not an error: further output is dropped and the run ends normally.
 */
function quietOnBrokenPipe(stream: NodeJS.WriteStream): CliIO['stdout'] {
  let closed = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed = true;
  });
  return {
    write: (text: string) => (closed ? false : stream.write(text)),
    get isTTY() {
      return stream.isTTY;
    },
  };
}

/** The real process. */
export function processIO(): CliIO {
  return {
    stdout: quietOnBrokenPipe(process.stdout),
    stderr: quietOnBrokenPipe(process.stderr),
    stdin: () => process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
}

/**
 * The folders of `dir` (absolute) that do not exist yet, outermost first, once its nearest existing
 * ancestor is known to be a folder this process may write into; else throws what `fail(why)` returns.
 * Shared by every output flag, so `check --output reports/r.sarif` and `xds compile --out build/xds`
 * treat a missing parent alike: it is made when the output is written ({@link createFolders}),
 * never before, so a run that fails leaves no folder behind.
 */
export function missingFolders(dir: string, fail: (why: string) => Error): string[] {
  const missing: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fail(`${at} cannot be read (${code ?? (e as Error).message})`);
      if (dirname(at) === at) throw fail(`${at} does not exist and cannot be created`);
      // A symlink to nothing: stat says ENOENT, yet mkdir there fails with EEXIST.
      const link = danglingLink(at);
      if (link !== undefined) throw fail(`${at} is a symlink to ${link}, which does not exist, so no folder can be made there; make ${link} or remove the link`);
      missing.unshift(at);
      continue;
    }
    if (!isDir) throw fail(`${at} is a file, so no folder can be made there`);
    try {
      accessSync(at, constants.W_OK);
    } catch {
      throw fail(`the folder ${at} is not writable`);
    }
    return missing;
  }
}

/** Where `path` points when it is a symlink whose target does not exist; else `undefined`. */
function danglingLink(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Makes `dir` (absolute) and its missing parents, one level at a time (never `mkdir -p`, which
 * loops forever under `/proc` on some Node versions). Returns the folders made, outermost first,
 * for {@link removeFolders} when the output is given up.
 */
export function createFolders(dir: string): string[] {
  const made: string[] = [];
  try {
    for (const m of missingFolders(dir, (why) => new Error(why))) {
      mkdirSync(m);
      made.push(m);
    }
  } catch (e) {
    removeFolders(made);
    throw e;
  }
  return made;
}

/** Removes folders {@link createFolders} made, innermost first, as long as they are empty. */
export function removeFolders(made: readonly string[]): void {
  for (const m of [...made].reverse()) {
    try {
      rmdirSync(m);
    } catch {
      return;
    }
  }
}

/**
 * Throws a UsageError unless a report can be written to `path` (shown as `given`, after `flag`): the
 * path is not empty, does not end in a slash and is not a folder, and its folder exists and is
 * writable, or can be made (missing folders are made by {@link writeFileAtomic} when the report is
 * written). Called before any work is done.
 */
export function assertWritable(path: string, given: string, flag = '--output'): void {
  const example = flag === '--output' ? 'report.json' : 'map.html';
  if (given === '') throw new UsageError(`${flag} is empty; name a file, e.g. ${flag} ${example}`);
  // `reports/` names a folder: writing a file called `reports` would surprise whoever asked for one.
  if (given.endsWith('/') || given.endsWith(sep)) throw new UsageError(`${flag} ${given} ends in a slash, so it names a folder; name a file in it, e.g. ${flag} ${given}${example}`);
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // Not there yet: the usual case.
  }
  if (isDir) throw new UsageError(`${flag} ${given}: it is a folder; name a file, e.g. ${flag} ${join(given, example)}`);
  missingFolders(dirname(path), (why) => new UsageError(`${flag} ${given}: ${why}; write the report somewhere you may write`));
}

/** Signals that end the process by default and could land between an output's writes and renames. */
const DEFERRED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let deferring = false;

/**
 * Holds Ctrl-C (SIGINT), SIGTERM and SIGHUP off until the synchronous write in progress is done:
 * without a listener, Node ends the process where it stands, leaving temporary files, or some files
 * renamed and others not; with one, the signal waits for the next turn of the event loop, after the
 * writes and renames (or their cleanup) have run. The listener then removes itself and, unless
 * another part of the process listens for that signal (`verify`'s cleanup, `proxy`'s drain), raises
 * it again with its default effect (exit 128 + n). It runs first (prepended) so that it sees those
 * listeners before a `once` one removes itself, and stays registered until a signal comes (a later
 * signal is only delivered a moment later than it would be).
 */
function deferSignals(): void {
  if (deferring) return;
  deferring = true;
  const onSignal = (signal: NodeJS.Signals) => {
    const others = process.listenerCount(signal) - 1;
    for (const s of DEFERRED_SIGNALS) process.off(s, onSignal);
    deferring = false;
    if (others === 0) process.kill(process.pid, signal);
  };
  for (const s of DEFERRED_SIGNALS) process.prependListener(s, onSignal);
}

/** A fresh temporary file name beside `name` in `dir` (same filesystem, so a rename over `name` is atomic). */
function temporaryPath(dir: string, name: string): string {
  return join(dir, `.${basename(name)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Writes a file so readers see the old content or the new, never half of it: a temporary file in
 * the same directory (same filesystem, so rename is atomic), then rename over the target. Missing
 * folders of `path` are made first ({@link createFolders}) and removed again if the write fails. A
 * Ctrl-C meanwhile takes effect once the file is renamed ({@link deferSignals}).
 */
export function writeFileAtomic(path: string, content: string): void {
  deferSignals();
  const made = createFolders(dirname(path));
  const temp = temporaryPath(dirname(path), basename(path));
  try {
    writeFileSync(temp, content, { flag: 'wx' });
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    removeFolders(made);
    throw e;
  }
}

/**
 * Writes several files into `dir` (absolute) as one output: every file goes to a temporary file in
 * `dir` first, and only when all of them are written are they renamed over their targets, so a
 * failed write (disk full, a quota) leaves the old set whole, removes the temporary files and the
 * folders this call made ({@link createFolders}), and never a mix of new and old files. A target that
 * is a folder is refused before anything is written (rename could not replace it). Errors are
 * thrown as `fail(why)`, naming the folder or file (and, should a rename fail after the writes, the
 * files already replaced). A Ctrl-C meanwhile takes effect once all of it is done ({@link deferSignals}).
 * `write` is the file writer (tests inject a failing one; default
 * `writeFileSync` with flag `wx`).
 */
export function writeFilesTogether(
  dir: string,
  files: readonly (readonly [name: string, content: string])[],
  fail: (why: string) => Error,
  write: (path: string, content: string) => void = (path, content) => writeFileSync(path, content, { flag: 'wx' }),
): void {
  for (const [name] of files) {
    let isDir = false;
    try {
      isDir = statSync(join(dir, name)).isDirectory();
    } catch {
      // Not there yet: the usual case.
    }
    if (isDir) throw fail(`${join(dir, name)} is a folder, so the file cannot be written there; remove or rename that folder`);
  }
  deferSignals();
  let made: string[];
  try {
    made = createFolders(dir);
  } catch (e) {
    throw fail((e as Error).message);
  }
  const temps: string[] = [];
  try {
    for (const [name, content] of files) {
      const temp = temporaryPath(dir, name);
      try {
        write(temp, content);
      } catch (e) {
        rmSync(temp, { force: true });
        throw fail(`cannot write ${join(dir, name)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); nothing was changed in ${dir}`);
      }
      temps.push(temp);
    }
  } catch (e) {
    for (const t of temps) rmSync(t, { force: true });
    removeFolders(made);
    throw e;
  }
  // Renames within one folder do not fail for want of space; should one fail all the same (a target made a
  // folder meanwhile), the temporary files left are removed and the error says which files were replaced.
  files.forEach(([name], i) => {
    try {
      renameSync(temps[i]!, join(dir, name));
    } catch (e) {
      for (const t of temps.slice(i)) rmSync(t, { force: true });
      const done = files.slice(0, i).map(([n]) => n);
      throw fail(`cannot replace ${join(dir, name)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ${done.length > 0 ? `${done.join(', ')} ${done.length === 1 ? 'was' : 'were'} already replaced` : 'nothing was changed'} in ${dir}`);
    }
  });
}

/**
 * Output flags every command that prints a report accepts (check, rules, diff, verify), so one script
 * can pass them to each: only check colours its text; the others print no colour and ignore `--no-color`.
 */
export const OUTPUT_OPTIONS = { 'no-color': { type: 'boolean' } } as const;

/** Colour when forced (`FORCE_COLOR`), else when writing to a TTY and `NO_COLOR` is unset. */
export function wantsColor(env: CliIO['env'], isTTY: boolean, noColorFlag: boolean): boolean {
  if (noColorFlag) return false;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  return isTTY;
}
