import type { Severity } from '../types.js';

/** Base rule sets a config (or `--profile`) can start from. */
export type Profile = 'recommended' | 'strict' | 'istio-parity';
export const PROFILES: readonly Profile[] = ['recommended', 'strict', 'istio-parity'];

/** A per-rule override: `off`, a severity, or a severity plus rule options. */
export type RuleSetting = 'off' | Severity | { readonly severity?: 'off' | Severity; readonly options?: Readonly<Record<string, unknown>> };

/** A time-boxed waiver of one rule on the resources matching a `Kind ns/name` glob. */
export interface ConfigException {
  /** Rule id or istioctl code (`IST0101`). */
  readonly rule: string;
  /** `Kind namespace/name`, `*` and `?` as globs. */
  readonly resource: string;
  readonly reason: string;
  /** `YYYY-MM-DD`; the exception stops applying on this date. */
  readonly expires: string;
  /** Where the exception is written, for messages. */
  readonly at?: ConfigPosition;
}

export interface ConfigPosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Input limits from `limits:` (each overridden by its command-line flag). */
export interface ConfigLimits {
  /** Bytes read in total across files and stdin (`maxInputSize`, e.g. `64MiB`). */
  readonly maxInputBytes?: number;
  /** YAML documents read in total. */
  readonly maxDocuments?: number;
  /** YAML alias expansions allowed per document. */
  readonly maxAliasCount?: number;
  /** YAML nodes read in total (`maxNodes`). */
  readonly maxNodes?: number;
  /** Nesting levels of YAML collections (`maxDepth`). */
  readonly maxDepth?: number;
  /** Characters in one YAML scalar (`maxScalarLength`). */
  readonly maxScalarLength?: number;
}

/** The validated contents of `meshproof.config.yaml`. */
export interface MeshproofConfig {
  /** The file it was read from; null for the built-in default. */
  readonly file: string | null;
  readonly profile: Profile;
  readonly rules: Readonly<Record<string, RuleSetting>>;
  readonly exceptions: readonly ConfigException[];
  /** Globs of paths to leave out of `meshproof check` (relative to the working directory). @default [] */
  readonly exclude?: readonly string[];
  /** @default {} (the built-in limits) */
  readonly limits?: ConfigLimits;
  /** `meshConfig:`, written relative to the config file (`loadConfigFile` rebases it on the working directory; `--mesh-config` wins). */
  readonly meshConfig?: string;
  /** `clusterDomain:` and where it is written (`--cluster-domain` wins). */
  readonly clusterDomain?: { readonly value: string; readonly at: ConfigPosition };
  /** `context:` paths, written relative to the config file (rebased like `meshConfig`; added to `--context`). @default [] */
  readonly context?: readonly string[];
}

export const DEFAULT_CONFIG: MeshproofConfig = { file: null, profile: 'recommended', rules: {}, exceptions: [] };

/** A config file that cannot be read or does not validate. The CLI reports it and exits 2. */
export class ConfigError extends Error {
  readonly code = 'MESHPROOF_CONFIG_INVALID';
  constructor(
    message: string,
    readonly at: ConfigPosition | null,
  ) {
    super(at ? `${at.file}:${at.line}:${at.column}: ${message}` : message);
    this.name = 'ConfigError';
  }
}
