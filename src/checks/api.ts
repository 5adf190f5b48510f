/**
 * The programmatic check API, `import { checkPaths, checkObjects } from 'meshproof/checks'`: the
 * same pipeline as `meshproof check` (loader → MeshGraph → rules → configuration and suppressions),
 * without the CLI. Nothing here writes to stdout or exits the process.
 */
import { ruleCatalogue, runCheck, type CheckRun } from './check.js';
import { DEFAULT_CONFIG, findConfigFile, loadConfigFile, todayUtc, type MeshproofConfig, type Profile } from './config/index.js';
import { exitCode, type ExitCode, type FailOn } from './exit-code.js';

export type { CheckResult, CheckSummary, Finding, FileLocation, ResourceRef, RuleMeta, Severity, SourceOrigin, SuppressedFinding } from './types.js';
export type { CheckRun } from './check.js';
export type { MeshproofConfig, Profile } from './config/index.js';
export type { FailOn, ExitCode } from './exit-code.js';
export { ruleCatalogue } from './check.js';

export interface CheckApiOptions {
  /** Base for relative paths and where `meshproof.config.yaml` is searched. @default process.cwd() */
  readonly cwd?: string;
  /**
   * Configuration: a parsed config, a path to a `meshproof.config.yaml`, or `false` for the defaults.
   * @default the config file found in `cwd` or above, else the defaults
   */
  readonly config?: MeshproofConfig | string | false;
  /** Overrides the config's profile (`--profile`). */
  readonly profile?: Profile;
  /** Explicit `.meshproof/sourcemap.json` (`--sourcemap`); by default searched upward from each manifest. */
  readonly sourcemap?: string;
  /** Today's date `YYYY-MM-DD`, for exception expiry. @default today in UTC */
  readonly today?: string;
}

/** A check run plus the exit code `meshproof check --fail-on <failOn>` would return for it. */
export interface CheckApiResult extends CheckRun {
  /** `0` clean, `1` findings at or above `failOn`, `2` unusable input. */
  exitCode(failOn?: FailOn): ExitCode;
}

function resolveConfig(options: CheckApiOptions, cwd: string): MeshproofConfig {
  if (options.config === false) return DEFAULT_CONFIG;
  if (typeof options.config === 'object') return options.config;
  const path = options.config ?? findConfigFile(cwd);
  return path ? loadConfigFile(path, ruleCatalogue(), cwd) : DEFAULT_CONFIG;
}

function withExit(run: CheckRun): CheckApiResult {
  return { ...run, exitCode: (failOn: FailOn = 'error') => exitCode({ result: run.result, failOn, unusableInput: run.unusableInput }) };
}

/**
 * Checks manifest files and folders (`.yaml`, `.yml`, `.json`, recursively), as `meshproof check` does.
 * Bad input never throws: it becomes findings and `unusableInput`. Throws `ConfigError` for a bad config file.
 */
export async function checkPaths(paths: readonly string[], options: CheckApiOptions = {}): Promise<CheckApiResult> {
  const cwd = options.cwd ?? process.cwd();
  const run = await runCheck({
    paths,
    cwd,
    config: resolveConfig(options, cwd),
    today: options.today ?? todayUtc(),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.sourcemap !== undefined ? { sourcemap: options.sourcemap } : {}),
  });
  return withExit(run);
}

/**
 * Checks Kubernetes objects held in memory (e.g. `chart.toJson()` of a cdk8s chart). Findings name
 * the file `-` and the line of the object in a JSON rendering with one object per document.
 */
export async function checkObjects(objects: readonly unknown[], options: CheckApiOptions = {}): Promise<CheckApiResult> {
  const cwd = options.cwd ?? process.cwd();
  const text = objects.map((o) => `---\n${JSON.stringify(o, null, 1)}\n`).join('');
  const run = await runCheck({
    paths: ['-'],
    stdin: text,
    cwd,
    config: resolveConfig(options, cwd),
    today: options.today ?? todayUtc(),
    ...(options.profile ? { profile: options.profile } : {}),
  });
  return withExit(run);
}
