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

/**
 * Calls `onChange` on every change under `path` (absolute). `onError` gets a message when a
 * directory cannot be watched (it is retried on the next event). Close to release every watch.
 */
export function watchTree(path: string, onChange: () => void, onError: (message: string) => void): TreeWatcher {
  let isDir = false;
  try { isDir = statSync(path).isDirectory(); } catch { /* missing: watch the parent for its creation */ }
  const only = isDir ? undefined : basename(path);
  const watchers = new Map<string, FSWatcher>();
  let closed = false;

  const rearm = () => {
    if (closed) return;
    const want = new Set(isDir ? directoriesUnder(path) : [dirname(path)]);
    for (const [dir, w] of watchers) if (!want.has(dir)) { w.close(); watchers.delete(dir); }
    for (const dir of want) {
      if (watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: true }, (_event, name) => {
          if (only !== undefined && name !== null && name !== only) return;
          rearm();
          onChange();
        });
        w.on('error', (e) => { w.close(); watchers.delete(dir); onError(`cannot watch ${dir}: ${e.message}`); });
        watchers.set(dir, w);
      } catch (e) {
        onError(`cannot watch ${dir}: ${(e as Error).message}`);
      }
    }
  };
  rearm();
  return { close: () => { closed = true; for (const w of watchers.values()) w.close(); watchers.clear(); } };
}
