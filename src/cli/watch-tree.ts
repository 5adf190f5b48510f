/**
 * Watches input paths so that edits saved by atomic replace (sed -i, vim, git checkout: a new file
 * renamed over the old one) keep being seen. Node's recursive `fs.watch` on Linux watches the files
 * themselves and loses a file once it is replaced; here every directory is watched non-recursively
 * (a directory's watch survives renames inside it) and the set of directories is re-scanned after each
 * event, so directories created later are watched too and removed ones are released.
 *
 * - a directory path: that directory and all its subdirectories;
 * - a file path: its parent directory, events filtered to the file's name;
 * - a symbolic link found under a directory path (or the file path itself being one): its target
 *   too, as the loader reads it (`src/mesh/read.ts`). A directory watch sees nothing of an edit made
 *   at the link's target (`manifests/app.yaml -> ../generated/app.yaml`), so the target's directory
 *   is watched, filtered to the target's name, and a linked directory is watched with all its
 *   subdirectories. Links are followed to their final target (`realpath`); a link to nothing yet has
 *   its target's directory watched, so creating the target is seen. The target's watch goes with
 *   the link: re-pointed or removed, the next re-scan releases it. Like the loader, links whose name
 *   starts with `.` (a ConfigMap volume's `..data`) and `node_modules` are not followed.
 */
import { type FSWatcher, readdirSync, readlinkSync, realpathSync, statSync, watch } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface TreeWatcher {
  close(): void;
}

/** Directory → the names watched in it (`null`: every name). */
type Wanted = Map<string, Set<string> | null>;

function wantAll(want: Wanted, dir: string): void {
  want.set(dir, null);
}

function wantName(want: Wanted, dir: string, name: string): void {
  const names = want.get(dir);
  if (names === null) return;
  if (names) names.add(name);
  else want.set(dir, new Set([name]));
}

/**
 * Where the link at `link` leads: its final target, or, when that cannot be resolved (dangling, a
 * loop), the target its own text names when that one's directory exists; else null.
 */
function linkTarget(link: string): { readonly path: string; readonly isDir: boolean } | null {
  try {
    const real = realpathSync(link);
    return { path: real, isDir: statSync(real).isDirectory() };
  } catch {
    try {
      const named = resolve(dirname(link), readlinkSync(link));
      return statSync(dirname(named)).isDirectory() ? { path: named, isDir: false } : null;
    } catch {
      return null;
    }
  }
}

/**
 * Every directory under `root` (itself included, depth first; unreadable ones are skipped), and the
 * targets of the symbolic links found there: linked directories with all under them, linked files
 * by name. A directory is scanned once, whatever the links that lead to it (no loop).
 */
function wantedUnder(root: string, want: Wanted): void {
  const queue = [root];
  const seen = new Set<string>();
  for (let i = 0; i < queue.length; i++) {
    const dir = queue[i]!;
    let real = dir;
    try { real = realpathSync(dir); } catch { /* scanned under its own name */ }
    if (seen.has(real)) continue;
    seen.add(real);
    wantAll(want, dir);
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { continue; }
    for (const e of entries) {
      if (e.isDirectory()) queue.push(join(dir, e.name));
      else if (e.isSymbolicLink() && !e.name.startsWith('.') && e.name !== 'node_modules') {
        const target = linkTarget(join(dir, e.name));
        if (target?.isDir) queue.push(target.path);
        else if (target) wantName(want, dirname(target.path), basename(target.path));
      }
    }
  }
}

/** `dev:ino` of what `path` names now (symlinks followed), or null when it cannot be read. */
function identityOf(path: string): string | null {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

/**
 * Calls `onChange` on every change under `path` (absolute). `onError` gets a message when a
 * directory cannot be watched (it is retried on the next event). Close to release every watch.
 *
 * A directory replaced at its path (`mv in.new in`, a ConfigMap volume whose `..data` symlink
 * kubelet swaps, a symlinked input re-pointed) is a new directory: each watch remembers the
 * directory's `dev:ino` and is re-armed when the path names another one. The parent of the watched
 * directory (of the file's directory, for a file) is watched too, so that such a swap is seen even
 * though nothing changes inside the old directory; an event there counts only when the watched
 * path now names another directory (or names what a link under the input leads to).
 */
export function watchTree(path: string, onChange: () => void, onError: (message: string) => void): TreeWatcher {
  let isDir = false;
  try { isDir = statSync(path).isDirectory(); } catch { /* missing: watch the parent for its creation */ }
  const anchor = isDir ? path : dirname(path);
  const parent = dirname(anchor);
  const watchers = new Map<string, { readonly watcher: FSWatcher; readonly identity: string | null }>();
  let want: Wanted = new Map();
  let closed = false;
  let anchorIdentity = identityOf(anchor);

  const arm = (dir: string) => {
    try {
      const identity = identityOf(dir);
      const w = watch(dir, { persistent: true }, (_event, name) => changed(dir, name));
      w.on('error', (e) => { w.close(); if (watchers.get(dir)?.watcher === w) watchers.delete(dir); onError(`cannot watch ${dir}: ${e.message}`); });
      watchers.set(dir, { watcher: w, identity });
    } catch (e) {
      onError(`cannot watch ${dir}: ${(e as Error).message}`);
    }
  };
  // One handler per directory, whatever it is watched for now (the parent may also hold a link's target).
  const changed = (dir: string, name: string | null) => {
    if (closed) return;
    if (dir === parent) {
      const now = identityOf(anchor);
      if (now !== anchorIdentity) {
        anchorIdentity = now;
        rearm();
        onChange();
        return;
      }
    }
    const names = want.get(dir);
    if (names === undefined || (names !== null && name !== null && !names.has(name))) return;
    rearm();
    onChange();
  };

  const scan = (): Wanted => {
    const next: Wanted = new Map();
    if (isDir) {
      wantedUnder(path, next);
      return next;
    }
    wantName(next, dirname(path), basename(path));
    // A file input that is itself a link: its target is what is read.
    let link = false;
    try { readlinkSync(path); link = true; } catch { /* not a link */ }
    if (link) {
      const target = linkTarget(path);
      if (target?.isDir === false) wantName(next, dirname(target.path), basename(target.path));
    }
    return next;
  };

  const rearm = () => {
    if (closed) return;
    want = scan();
    for (const [dir, w] of watchers) {
      // Released when no longer wanted, or re-armed when the path now names another directory.
      if (dir === parent && !want.has(dir)) continue;
      if (!want.has(dir) || w.identity !== identityOf(dir)) { w.watcher.close(); watchers.delete(dir); }
    }
    for (const dir of want.keys()) if (!watchers.has(dir)) arm(dir);
    if (parent !== anchor && !watchers.has(parent)) arm(parent);
  };
  rearm();
  return { close: () => { closed = true; for (const w of watchers.values()) w.watcher.close(); watchers.clear(); } };
}
