/**
 * The programmatic check API, `import { checkPaths, checkObjects } from 'meshproof/checks'`: the
 * same pipeline as `meshproof check` (loader → MeshGraph → rules → configuration and suppressions),
 * without the CLI. Nothing here writes to stdout or exits the process.
 */
import { loadModel, modelUnusable, ruleCatalogue, runCheck, type CheckRun, type MeshModel } from './check.js';
import { DEFAULT_CONFIG, findConfigFile, loadConfigFile, todayUtc, type MeshproofConfig, type Profile } from './config/index.js';
import { exitCode, type ExitCode, type FailOn } from './exit-code.js';
import { sortFindings } from './reporters/_shared.js';
import type { Finding } from './types.js';
import { problem, type InputProblem } from '../mesh/problems.js';
import type { InputLimits } from '../mesh/load.js';
import { resolve } from 'node:path';

export type { CheckResult, CheckSummary, Finding, FileLocation, ResourceRef, RuleMeta, Severity, SourceOrigin, SuppressedFinding } from './types.js';
export type { CheckRun, MeshModel } from './check.js';
export type { MeshproofConfig, Profile } from './config/index.js';
export type { InputLimits } from '../mesh/load.js';
export type { FailOn, ExitCode } from './exit-code.js';
export { ruleCatalogue } from './check.js';

/**
 * What shapes the mesh besides the input and the config file, as `meshproof check`'s flags give it:
 * each wins over (`limits`, `meshConfig`, `clusterDomain`) or adds to (`exclude`, `context`) the
 * config's key of that name.
 */
export interface MeshSelection {
  /** Globs of paths to leave out (`--exclude`), added to the config's `exclude`. */
  readonly exclude?: readonly string[];
  /** Input limits (`--max-*`); each overrides the config's `limits`. */
  readonly limits?: Partial<InputLimits>;
  /** MeshConfig file (`--mesh-config`), relative to `cwd`; wins over the config's `meshConfig`. */
  readonly meshConfig?: string;
  /** Kubernetes cluster domain (`--cluster-domain`); wins over the config's `clusterDomain`. */
  readonly clusterDomain?: string;
  /** Paths read for references only (`--context`), relative to `cwd`; added to the config's `context`. */
  readonly context?: readonly string[];
}

export interface CheckApiOptions extends MeshSelection {
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
  /** What the empty-input error (no Kubernetes object at all) tells the user to do. @default give the folder of manifests, check the exclude globs, or `--allow-empty` */
  readonly emptyHint?: string;
}

/** A check run plus the exit code `meshproof check --fail-on <failOn>` would return for it. */
export interface CheckApiResult extends CheckRun {
  /** `0` clean, `1` findings at or above `failOn`, `2` unusable input. */
  exitCode(failOn?: FailOn): ExitCode;
}

function resolveConfig(options: CheckApiOptions, cwd: string): MeshproofConfig {
  if (options.config === false) return DEFAULT_CONFIG;
  if (typeof options.config === 'object') return options.config;
  const path = options.config !== undefined ? resolve(cwd, options.config) : findConfigFile(cwd);
  return path ? loadConfigFile(path, ruleCatalogue(), cwd) : DEFAULT_CONFIG;
}

/** The {@link MeshSelection} fields of `options` that are set. */
function selectionOf(options: MeshSelection): MeshSelection {
  return {
    ...(options.exclude !== undefined ? { exclude: options.exclude } : {}),
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
    ...(options.meshConfig !== undefined ? { meshConfig: options.meshConfig } : {}),
    ...(options.clusterDomain !== undefined ? { clusterDomain: options.clusterDomain } : {}),
    ...(options.context !== undefined ? { context: options.context } : {}),
  };
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
    ...(options.emptyHint !== undefined ? { emptyHint: options.emptyHint } : {}),
    ...selectionOf(options),
  });
  return withExit(run);
}

/**
 * The mesh model `checkPaths` would judge (input, the config's context paths, MeshConfig and cluster
 * domain), without running a rule: what `--no-check` commands translate. `unusable` when an input or
 * context file cannot be read or parsed, or the MeshConfig or cluster domain is wrong. Throws
 * `ConfigError` for a bad config file.
 */
export async function loadMesh(paths: readonly string[], options: Omit<CheckApiOptions, 'profile' | 'today'> & { readonly allowEmpty?: boolean } = {}): Promise<MeshModel & { readonly unusable: boolean }> {
  const cwd = options.cwd ?? process.cwd();
  const model = await loadModel({
    paths,
    cwd,
    config: resolveConfig(options, cwd),
    ...(options.sourcemap !== undefined ? { sourcemap: options.sourcemap } : {}),
    ...(options.emptyHint !== undefined ? { emptyHint: options.emptyHint } : {}),
    ...(options.allowEmpty !== undefined ? { allowEmpty: options.allowEmpty } : {}),
    ...selectionOf(options),
  });
  return Object.assign(model, { unusable: modelUnusable(model) });
}

/**
 * Checks Kubernetes objects held in memory (e.g. `chart.toJson()` of a cdk8s chart). Findings name
 * the file `-` and the line of the object in a JSON rendering with one object per document.
 * An entry that is not a plain object (null, undefined, an array, a string, a number…) is an
 * `input/not-an-object` error naming its index, and the run is unusable (`exitCode()` is 2).
 */
export async function checkObjects(objects: readonly unknown[], options: CheckApiOptions = {}): Promise<CheckApiResult> {
  const cwd = options.cwd ?? process.cwd();
  const chunks: string[] = [];
  const refused: InputProblem[] = [];
  let line = 1;
  objects.forEach((o, i) => {
    // `line` is the line of the document's first content line, after its `---`.
    let chunk: string;
    if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
      chunk = `---\n${JSON.stringify(o, null, 1)}\n`;
    } else {
      chunk = `---\n# objects[${i}]: not an object\n`;
      refused.push(problem(
        'input/not-an-object',
        `objects[${i}] is ${describeEntry(o)}, not a Kubernetes object: checkObjects takes objects with apiVersion, kind and metadata (e.g. chart.toJson()); remove the entry or pass the object it should have been`,
        { file: '-', line: line + 1, column: 1 },
      ));
    }
    chunks.push(chunk);
    line += chunk.split('\n').length - 1;
  });
  const run = await runCheck({
    paths: ['-'],
    stdin: chunks.join(''),
    cwd,
    config: resolveConfig(options, cwd),
    today: options.today ?? todayUtc(),
    ...(options.profile ? { profile: options.profile } : {}),
  });
  return withExit(refused.length === 0 ? run : withRefused(run, refused));
}

function describeEntry(o: unknown): string {
  if (o === null) return 'null';
  if (o === undefined) return 'undefined';
  if (Array.isArray(o)) return `an array of ${o.length}`;
  if (typeof o === 'string') return `the string ${JSON.stringify(o.length > 40 ? `${o.slice(0, 40)}…` : o)}`;
  return `${typeof o} ${String(o)}`;
}

/** Adds the refused entries to the run's findings and counts; they make the input unusable. */
function withRefused(run: CheckRun, refused: readonly InputProblem[]): CheckRun {
  const added: Finding[] = refused.map((p) => ({ ruleId: p.code, istioCode: null, severity: p.severity, message: p.message, resource: null, location: p.location, source: null }));
  const findings = sortFindings([...added, ...run.result.findings]);
  return {
    result: { ...run.result, findings, summary: { ...run.result.summary, errors: findings.filter((f) => f.severity === 'error').length } },
    unusableInput: true,
    problems: [...refused, ...run.problems],
    files: run.files,
    graph: run.graph,
    model: run.model,
  };
}
