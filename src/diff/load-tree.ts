import { existsSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { loadInputs, type InputProblem } from '../mesh/load.js';
import { toMeshObject, type MeshObject } from '../mesh/object.js';

/** The objects of one side of a diff, or why they could not be read. */
export interface LoadedTree {
  readonly objects: MeshObject[];
  /** Manifest files read (.yaml, .yml, .json). */
  readonly files: number;
  /** Problems that make the side unusable (unparsable YAML, limits reached): the diff would be wrong. */
  readonly problems: InputProblem[];
}

/** How one side of a diff is read besides its path. */
export interface LoadTreeOptions {
  /** An absent `path` is an empty tree (a pull request that deletes dist/), not a problem. @default false */
  readonly missingIsEmpty?: boolean;
  /** Globs of paths to leave out (the config's `exclude`), matched as `check` matches them (relative to `cwd`). */
  readonly exclude?: readonly string[];
  /**
   * The other side's path (relative to `cwd`): a file is also left out when a glob matches the path it
   * has there (`base/dist/legacy/a.yaml` as `dist/legacy/a.yaml`), so one glob leaves it out of both sides.
   */
  readonly counterpart?: string;
}

/**
 * Reads every manifest under `path` (a directory or a file) the way `meshproof check` does (same
 * YAML reader, limits, exclude globs and source maps). `path` that does not exist is a problem, not
 * an empty mesh, unless `missingIsEmpty`.
 */
export async function loadTree(path: string, cwd: string, options: LoadTreeOptions = {}): Promise<LoadedTree> {
  if (options.missingIsEmpty && !existsSync(resolve(cwd, path))) return { objects: [], files: 0, problems: [] };
  const counterpart = options.counterpart;
  const loaded = await loadInputs([path], {
    cwd,
    ...(options.exclude ? { exclude: options.exclude } : {}),
    ...(counterpart !== undefined ? { excludeAlsoAs: rebase(posix(cwd, path), posix(cwd, counterpart)) } : {}),
  });
  const objects: MeshObject[] = [];
  for (const f of loaded.files) for (const m of f.objects) objects.push(toMeshObject(m));
  return { objects, files: loaded.files.length, problems: loaded.problems.filter((p) => p.unusable) };
}

/** `p` relative to `cwd` with forward slashes (`''` for `cwd` itself), as exclude globs see paths. */
function posix(cwd: string, p: string): string {
  return relative(cwd, resolve(cwd, p)).split(sep).join('/');
}

/** Maps a path under `from` to the same path under `to`; undefined for a path outside `from`. */
function rebase(from: string, to: string): (relative: string) => string | undefined {
  return (rel) => {
    if (from === '') return to === '' ? rel : `${to}/${rel}`;
    if (rel === from) return to;
    if (!rel.startsWith(`${from}/`)) return undefined;
    const rest = rel.slice(from.length + 1);
    return to === '' ? rest : `${to}/${rest}`;
  };
}
