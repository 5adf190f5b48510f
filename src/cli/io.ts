import { randomBytes } from 'node:crypto';
import { accessSync, constants, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isUsageError, UsageError } from './usage.js';

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
 * Throws a UsageError unless a report can be written to `path` (shown as `given`, after `flag`):
 * its folder exists and is writable, and the path is not a folder. Called before any work is done.
 */
export function assertWritable(path: string, given: string, flag = '--output'): void {
  const dir = dirname(path);
  const fail = (why: string, fix: string) => {
    throw new UsageError(`${flag} ${given}: ${why}; ${fix}`);
  };
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch {
    return fail(`the folder ${dir} does not exist`, 'create it first or write the report elsewhere');
  }
  if (!dirStat.isDirectory()) fail(`${dir} is not a folder`, 'write the report elsewhere');
  try {
    if (statSync(path).isDirectory()) fail('it is a folder', `name a file, e.g. ${flag} ${join(given, flag === '--output' ? 'report.json' : 'map.html')}`);
  } catch (e) {
    if (isUsageError(e)) throw e;
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    fail(`the folder ${dir} is not writable`, 'write the report somewhere you may write');
  }
}

/**
 * Writes a file so readers see the old content or the new, never half of it: a temporary file in
 * the same directory (same filesystem, so rename is atomic), then rename over the target.
 */
export function writeFileAtomic(path: string, content: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(temp, content, { flag: 'wx' });
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
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
