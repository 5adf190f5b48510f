/**
 * Reads the mesh context from disk for a CLI run: `--mesh-config <file>` and
 * `--cluster-domain <name>`. Never throws for bad input: problems come back with file:line.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FileLocation } from './types.js';
import { DEFAULT_MESH_CONTEXT, meshContextFrom, type MeshContext, type MeshContextProblem, type MeshContextWarning } from './mesh-config.js';

export interface MeshContextOptions {
  /** MeshConfig file (plain MeshConfig YAML or the `istio` ConfigMap), relative to `cwd`. */
  readonly meshConfig?: string;
  /** Kubernetes cluster domain. @default 'cluster.local' */
  readonly clusterDomain?: string;
  /** Where `clusterDomain` was given, for messages. @default `--cluster-domain` */
  readonly clusterDomainAt?: FileLocation;
  /** The config file whose `meshConfig:` named `meshConfig`, for messages. @default given as `--mesh-config` */
  readonly meshConfigFrom?: string;
  readonly cwd: string;
}

/**
 * The mesh context for a run, every problem with it (each makes the input unusable: exit 2), and
 * what istiod accepts but ignores (warnings).
 */
export function readMeshContext(opts: MeshContextOptions): { context: MeshContext; problems: MeshContextProblem[]; warnings: MeshContextWarning[] } {
  if (opts.meshConfig === undefined && opts.clusterDomain === undefined) return { context: DEFAULT_MESH_CONTEXT, problems: [], warnings: [] };
  let meshConfig: { text: string; file: string } | undefined;
  if (opts.meshConfig !== undefined) {
    try {
      meshConfig = { text: readFileSync(resolve(opts.cwd, opts.meshConfig), 'utf8'), file: opts.meshConfig };
    } catch (e) {
      return {
        context: DEFAULT_MESH_CONTEXT,
        warnings: [],
        problems: [{ code: 'mesh-config/syntax', message: unreadableMeshConfig(e as NodeJS.ErrnoException, opts.meshConfigFrom), location: { file: opts.meshConfig, line: 1, column: 1 } }],
      };
    }
  }
  return meshContextFrom({
    ...(meshConfig ? { meshConfig } : {}),
    ...(opts.clusterDomain !== undefined ? { clusterDomain: { value: opts.clusterDomain, at: opts.clusterDomainAt ?? { file: '--cluster-domain', line: 1, column: 1 } } } : {}),
  });
}

/** Why the MeshConfig file cannot be read, and where to fix its path: the config file that names it, or the flag. */
function unreadableMeshConfig(e: NodeJS.ErrnoException, from: string | undefined): string {
  const why = e.code === 'ENOENT' ? 'ENOENT (no such file)' : e.code ?? e.message;
  return from !== undefined
    ? `cannot read the MeshConfig file: ${why}. It is the meshConfig: of ${from}, a path relative to that file. Fix: correct the path (a YAML file holding the "mesh" key of the istio ConfigMap, or that ConfigMap), or remove meshConfig:`
    : `cannot read the MeshConfig file: ${why}. Fix: pass the path of the mesh config YAML (the "mesh" key of the istio ConfigMap)`;
}
