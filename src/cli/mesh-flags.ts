/**
 * The flags that shape the mesh a command reads, besides its input: `-c/--config`, `--exclude`, the
 * input limits (`--max-*`), `--mesh-config`, `--cluster-domain` and `--context`. `check`, `xds compile`
 * and `xds serve` spread {@link MESH_OPTIONS} into their parseArgs options and read the values with
 * {@link meshFlags}, so the three take the same flags with the same meaning and precedence (a flag wins
 * over the config's `meshConfig`, `clusterDomain` and `limits`; `--exclude` and `--context` add to its
 * `exclude` and `context`; `--config` names the file instead of finding it).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { MeshSelection } from '../checks/api.js';
import { parseSize } from '../checks/config/index.js';
import { globError } from '../checks/config/glob.js';
import type { InputLimits } from '../mesh/load.js';
import { dnsNameProblem } from '../mesh/mesh-config.js';
import type { CliIO } from './io.js';
import { UsageError } from './usage.js';

/** parseArgs options of the mesh-shaping flags, spread into a command's own. */
export const MESH_OPTIONS = {
  config: { type: 'string', short: 'c' },
  exclude: { type: 'string', multiple: true },
  'max-input-size': { type: 'string' },
  'max-documents': { type: 'string' },
  'max-aliases': { type: 'string' },
  'max-nodes': { type: 'string' },
  'max-depth': { type: 'string' },
  'max-scalar-length': { type: 'string' },
  'mesh-config': { type: 'string' },
  'cluster-domain': { type: 'string' },
  context: { type: 'string', multiple: true },
} as const;

/** The parsed values of {@link MESH_OPTIONS}, as parseArgs returns them. */
export interface MeshFlagValues {
  readonly config?: string | undefined;
  readonly exclude?: string[] | undefined;
  readonly 'max-input-size'?: string | undefined;
  readonly 'max-documents'?: string | undefined;
  readonly 'max-aliases'?: string | undefined;
  readonly 'max-nodes'?: string | undefined;
  readonly 'max-depth'?: string | undefined;
  readonly 'max-scalar-length'?: string | undefined;
  readonly 'mesh-config'?: string | undefined;
  readonly 'cluster-domain'?: string | undefined;
  readonly context?: string[] | undefined;
}

/** What the mesh-shaping flags asked for: the config file named (absolute), and what shapes the mesh on top of it. */
export interface MeshFlags extends MeshSelection {
  /** `--config`, resolved against the working directory; undefined: found upward from it. */
  readonly config?: string;
}

/**
 * Validates the mesh-shaping flags and returns them as options of `checkPaths`, `loadMesh` or
 * `runCheck`. Throws a UsageError naming the flag for a file that does not exist, a cluster domain
 * that is not a DNS name, an invalid glob or a limit that is not a number.
 */
export function meshFlags(values: MeshFlagValues, io: Pick<CliIO, 'cwd'>): MeshFlags {
  const exists = (p: string) => existsSync(resolve(io.cwd, p));
  if (values.config !== undefined && !exists(values.config)) throw new UsageError(`--config file not found: ${values.config}`);
  if (values['mesh-config'] !== undefined && !exists(values['mesh-config'])) throw new UsageError(`--mesh-config file not found: ${values['mesh-config']}`);
  const domainWhy = values['cluster-domain'] !== undefined ? dnsNameProblem(values['cluster-domain']) : null;
  if (domainWhy !== null) throw new UsageError(`--cluster-domain ${JSON.stringify(values['cluster-domain'])} is not a DNS name: ${domainWhy}; give the domain your cluster was created with (kubelet --cluster-domain), e.g. cluster.local or corp.example`);
  for (const c of values.context ?? []) if (!exists(c)) throw new UsageError(`--context path not found: ${c}`);
  for (const g of values.exclude ?? []) {
    const why = globError(g);
    if (why !== undefined) throw new UsageError(`--exclude ${JSON.stringify(g)} is not a valid glob: ${why}`);
  }
  return {
    ...(values.config !== undefined ? { config: resolve(io.cwd, values.config) } : {}),
    ...(values.exclude ? { exclude: values.exclude } : {}),
    limits: limitFlags(values),
    ...(values['mesh-config'] !== undefined ? { meshConfig: values['mesh-config'] } : {}),
    ...(values['cluster-domain'] !== undefined ? { clusterDomain: values['cluster-domain'] } : {}),
    ...(values.context ? { context: values.context } : {}),
  };
}

/** The input limits the `--max-*` flags give (only those given). */
function limitFlags(values: MeshFlagValues): Partial<InputLimits> {
  const count = (flag: string, v: string, min: number) => {
    if (!/^[0-9]+$/.test(v) || Number(v) < min) throw new UsageError(`--${flag} must be a whole number of at least ${min}; got "${v}"`);
    return Number(v);
  };
  const limits: { -readonly [K in keyof InputLimits]?: number } = {};
  if (values['max-input-size'] !== undefined) {
    const bytes = parseSize(values['max-input-size']);
    if (bytes === undefined) throw new UsageError(`--max-input-size must be a size such as 64MiB, 500KiB, 100MB or a number of bytes; got "${values['max-input-size']}"`);
    limits.maxInputBytes = bytes;
  }
  if (values['max-documents'] !== undefined) limits.maxDocuments = count('max-documents', values['max-documents'], 1);
  if (values['max-aliases'] !== undefined) limits.maxAliasCount = count('max-aliases', values['max-aliases'], 0);
  if (values['max-nodes'] !== undefined) limits.maxNodes = count('max-nodes', values['max-nodes'], 1);
  if (values['max-depth'] !== undefined) limits.maxDepth = count('max-depth', values['max-depth'], 1);
  if (values['max-scalar-length'] !== undefined) limits.maxScalarLength = count('max-scalar-length', values['max-scalar-length'], 1);
  return limits;
}

/** `--config`, `--mesh-config` and `--context` paths, absolute: files `xds serve` watches whether or not the last load read them. */
export function meshFlagFiles(flags: MeshFlags, cwd: string): string[] {
  return [...(flags.config !== undefined ? [flags.config] : []), ...(flags.meshConfig !== undefined ? [flags.meshConfig] : []), ...(flags.context ?? [])].map((p) => resolve(cwd, p));
}

/** `flags` without `config`: what `runCheck` takes next to the config it loaded. */
export function meshSelection(flags: MeshFlags): MeshSelection {
  const { config: _config, ...selection } = flags;
  return selection;
}
