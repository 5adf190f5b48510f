/**
 * Waits for watched files to stop changing before a reload reads them, as chokidar's
 * `awaitWriteFinish` and webpack's `aggregateTimeout` do: a writer that pauses mid-file (a generator
 * flushing one YAML document at a time, a slow copy) must not have its first part loaded, checked and
 * published as if it were the whole. A debounce alone restarts only on events, and a pause longer
 * than it looks like the end of a save.
 *
 * The files are stable when no file's `mtime` is younger than the settle interval (the age counts the
 * time before the wait began, so a save already that old costs no wait), or, when clocks disagree (a
 * network file system whose `mtime`s are ahead), when their fingerprint (`path`, size, `mtime`,
 * inode of every file) has been seen unchanged for the interval. The wait is bounded.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The files under `paths` as one string, and the newest `mtime` among them (ms since the epoch). */
export interface FilesFingerprint {
  readonly key: string;
  readonly newestMtimeMs: number;
  readonly files: number;
}

/**
 * Every file under `paths` (absolute; directories walked, symbolic links followed, each directory
 * once; names starting with `.` and `node_modules` skipped below a given path, as the loader skips
 * them), with size, `mtime` and inode. A path that cannot be read counts as absent.
 */
export function fingerprintFiles(paths: readonly string[]): FilesFingerprint {
  const parts: string[] = [];
  let newest = 0;
  const seen = new Set<string>();
  const visit = (path: string, top: boolean) => {
    let st;
    try { st = statSync(path); } catch { if (top) parts.push(`${path} -`); return; }
    if (st.isDirectory()) {
      let real = path;
      try { real = realpathSync(path); } catch { /* its own name */ }
      if (seen.has(real)) return;
      seen.add(real);
      let names: string[];
      try { names = readdirSync(path).sort(); } catch { return; }
      for (const n of names) if (!n.startsWith('.') && n !== 'node_modules') visit(join(path, n), false);
      return;
    }
    parts.push(`${path} ${st.size} ${st.mtimeMs} ${st.ino}`);
    newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of [...paths].sort()) visit(p, true);
  return { key: parts.join('\n'), newestMtimeMs: newest, files: parts.length };
}

export interface SettleOptions {
  /** How long the files must have been unchanged, in ms. 0 does not wait. @default 1000 */
  readonly settleMs: number;
  /** How long to wait at most, in ms; then the files are read as they are. @default 10000 */
  readonly maxWaitMs: number;
  /** How often the files are looked at while waiting, in ms. @default 100 */
  readonly pollMs?: number;
  /** Stops the wait (unsettled) when it returns true, e.g. once the server is closed. @default never */
  readonly stop?: () => boolean;
  /** Now, in ms since the epoch (tests). @default Date.now */
  readonly now?: () => number;
}

/** The outcome of {@link awaitSettled}: whether the files settled, and how long it waited (ms). */
export interface Settled {
  readonly settled: boolean;
  readonly waitedMs: number;
}

/** Resolves once the files under `paths` are stable (see the module comment), or after `maxWaitMs`. */
export async function awaitSettled(paths: () => readonly string[], opts: SettleOptions): Promise<Settled> {
  const now = opts.now ?? Date.now;
  const start = now();
  if (opts.settleMs <= 0) return { settled: true, waitedMs: 0 };
  const poll = opts.pollMs ?? Math.min(100, Math.max(10, Math.floor(opts.settleMs / 4)));
  let last = fingerprintFiles(paths());
  let since = start;
  for (;;) {
    const t = now();
    if (t - last.newestMtimeMs >= opts.settleMs || t - since >= opts.settleMs) return { settled: true, waitedMs: t - start };
    if (t - start >= opts.maxWaitMs || opts.stop?.()) return { settled: false, waitedMs: t - start };
    await new Promise((r) => setTimeout(r, poll));
    const next = fingerprintFiles(paths());
    if (next.key !== last.key) {
      last = next;
      since = now();
    }
  }
}
