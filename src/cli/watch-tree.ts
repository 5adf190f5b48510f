/**
 * Watches input paths so that edits saved by atomic replace (sed -i, vim, git checkout: a new file
 * renamed over the old one) keep being seen. Node's recursive `fs.watch` on Linux watches the files
 * themselves and loses a file once it is replaced; here every directory is watched non-recursively
 * (a directory's watch survives renames inside it) and the set of directories is re-scanned after each
 * event, so directories created later are watched too and removed ones are released.
 *
 * - a directory path: that directory and all its subdirectories (symlinks are not followed);
 * - a file path: its parent directory, events filtered to the file's name.
 */
import { type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface TreeWatcher {
  close(): void;
}

/** The directory and its subdirectories, depth first; unreadable ones are skipped. */
function directoriesUnder(root: string): string[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    let entries;
    try { entries = readdirSync(out[i]!, { withFileTypes: true }); } catch { continue; }
    for (const e of entries) if (e.isDirectory()) out.push(join(out[i]!, e.name));
  }
  return out;
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
 * path now names another directory.
 */
export function watchTree(path: string, onChange: () => void, onError: (message: string) => void): TreeWatcher {
  let isDir = false;
  try { isDir = statSync(path).isDirectory(); } catch { /* missing: watch the parent for its creation */ }
  const only = isDir ? undefined : basename(path);
  const anchor = isDir ? path : dirname(path);
  const watchers = new Map<string, { readonly watcher: FSWatcher; readonly identity: string | null }>();
  let closed = false;
  let anchorIdentity = identityOf(anchor);

  const arm = (dir: string, onEvent: (name: string | null) => void) => {
    try {
      const identity = identityOf(dir);
      const w = watch(dir, { persistent: true }, (_event, name) => onEvent(name));
      w.on('error', (e) => { w.close(); if (watchers.get(dir)?.watcher === w) watchers.delete(dir); onError(`cannot watch ${dir}: ${e.message}`); });
      watchers.set(dir, { watcher: w, identity });
    } catch (e) {
      onError(`cannot watch ${dir}: ${(e as Error).message}`);
    }
  };
  const changed = (name: string | null) => {
    if (only !== undefined && name !== null && name !== only) return;
    rearm();
    onChange();
  };
  const parent = dirname(anchor);
  const parentEvent = () => {
    const now = identityOf(anchor);
    if (now === anchorIdentity) return;
    anchorIdentity = now;
    rearm();
    onChange();
  };

  const rearm = () => {
    if (closed) return;
    const want = new Set(isDir ? directoriesUnder(path) : [dirname(path)]);
    for (const [dir, w] of watchers) {
      // Released when no longer wanted, or re-armed when the path now names another directory.
      if (dir === parent && !want.has(dir)) continue;
      if (!want.has(dir) || w.identity !== identityOf(dir)) { w.watcher.close(); watchers.delete(dir); }
    }
    for (const dir of want) if (!watchers.has(dir)) arm(dir, changed);
    if (parent !== anchor && !want.has(parent) && !watchers.has(parent)) arm(parent, parentEvent);
  };
  rearm();
  return { close: () => { closed = true; for (const w of watchers.values()) w.watcher.close(); watchers.clear(); } };
}
