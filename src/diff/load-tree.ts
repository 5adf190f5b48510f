import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
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

/**
 * Reads every manifest under `path` (a directory or a file) the way `meshproof check` does (same
 * YAML reader, limits and source maps). `path` that does not exist is a problem, not an empty mesh:
 * pass `missingIsEmpty` where an absent tree is a legitimate state (a pull request that deletes dist/).
 */
export async function loadTree(path: string, cwd: string, missingIsEmpty = false): Promise<LoadedTree> {
  if (missingIsEmpty && !existsSync(resolve(cwd, path))) return { objects: [], files: 0, problems: [] };
  const loaded = await loadInputs([path], { cwd });
  const objects: MeshObject[] = [];
  for (const f of loaded.files) for (const m of f.objects) objects.push(toMeshObject(m));
  return { objects, files: loaded.files.length, problems: loaded.problems.filter((p) => p.unusable) };
}
