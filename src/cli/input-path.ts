import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Why the input path `p` (relative to `cwd`) cannot be read, or `undefined` when it can be followed
 * to a file or folder. `existsSync` follows symbolic links, so a link that loops or points nowhere
 * would read as "not found" although `ls` shows it: those are named as links, with what to fix.
 */
export function inputPathProblem(cwd: string, p: string): string | undefined {
  const abs = resolve(cwd, p);
  let code: string | undefined;
  try {
    statSync(abs);
    return undefined;
  } catch (e) {
    code = (e as NodeJS.ErrnoException).code;
  }
  let target: string | undefined;
  try {
    if (lstatSync(abs).isSymbolicLink()) target = readlinkSync(abs);
  } catch {
    // Not there at all: the plain "not found" below.
  }
  if (code === 'ELOOP') return `${p} is a symbolic link that loops (${p} → ${target ?? '…'} → … leads back to itself); point it at a real file or folder`;
  if (target !== undefined) return `${p} is a symbolic link to ${target}, which does not exist; fix the link or remove it`;
  return `path not found: ${p}`;
}
