import { existsSync, lstatSync, readlinkSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

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

/** Files that mark a meshproof project's root (the folder `meshproof init` scaffolds). */
const PROJECT_MARKERS = ['meshproof.config.yaml', 'meshproof.config.yml', 'cdk8s.yaml'];

/**
 * When `cwd` has no `dist/` but a folder above it is a meshproof project with one (a `dist/` next to
 * `meshproof.config.yaml` or `cdk8s.yaml`: the command was run from `apps/` or another subfolder), the
 * hint that names it, e.g. `; the project folder .. has one: run the command there (cd ..) or pass
 * ../dist`. Empty when there is no such folder.
 */
export function projectAboveHint(cwd: string): string {
  let dir = resolve(cwd);
  for (;;) {
    const parent = dirname(dir);
    if (parent === dir) return '';
    dir = parent;
    if (existsSync(join(dir, 'dist')) && PROJECT_MARKERS.some((m) => existsSync(join(dir, m)))) {
      const rel = relative(resolve(cwd), dir);
      return `; the project folder ${rel} has one: run the command there (cd ${rel}) or pass ${join(rel, 'dist')}`;
    }
  }
}
