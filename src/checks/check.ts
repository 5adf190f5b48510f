import { resolveRules, type EnabledRule } from './config/profiles.js';
import type { ConfigException, MeshproofConfig, Profile } from './config/types.js';
import { runRules } from './engine.js';
import { MeshGraph } from '../mesh/graph.js';
import { readMeshContext } from '../mesh/mesh-context-load.js';
import { templateHints } from '../mesh/template-hint.js';
import { onInputCopy } from './rules/references/duplicate-object.js';
import { loadInputs, type InputLimits, type InputProblem } from '../mesh/load.js';
import { problem } from '../mesh/problems.js';
import type { ParsedFile } from '../mesh/parse.js';
import type { Rule, RuleOptions } from './rule.js';
import { existsSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { ALL_RULES } from './rules/index.js';
import { sortFindings } from './reporters/_shared.js';
import { applySuppressions, suppressionProblems, SUPPRESSION_WITHOUT_REASON, targetKey, type SuppressionTarget } from './suppress.js';
import type { CheckResult, Finding, RuleMeta } from './types.js';

/** Rules the check pipeline itself reports on, next to the analyzers in `rules/`. */
export const BUILTIN_RULES: readonly RuleMeta[] = [SUPPRESSION_WITHOUT_REASON];

export interface FinalizeInput {
  /** Findings the rules reported. */
  readonly findings: readonly Finding[];
  /** Findings about the input itself (unreadable or unparsable files); never suppressed. */
  readonly inputFindings: readonly Finding[];
  /** The rules that ran (from `resolveRules`), including built-in ones. */
  readonly enabled: readonly EnabledRule<RuleMeta>[];
  readonly targets: readonly SuppressionTarget[];
  readonly exceptions: readonly ConfigException[];
  readonly today: string;
  readonly files: number;
}

/**
 * The pure tail of a check run: applies severity overrides, adds suppression problems, splits off
 * suppressed findings and counts. Kept apart from loading so it is testable without YAML.
 */
export function finalizeResult(input: FinalizeInput): CheckResult {
  const overrides = new Map(input.enabled.flatMap((e) => (e.severityOverride ? [[e.rule.id, e.severityOverride] as const] : [])));
  const enabledIds = new Set(input.enabled.map((e) => e.rule.id));
  const raw = [...input.findings];
  if (enabledIds.has(SUPPRESSION_WITHOUT_REASON.id)) raw.push(...suppressionProblems(input.targets));
  const withSeverity = raw.map((f) => {
    const severity = overrides.get(f.ruleId);
    return severity && severity !== f.severity ? { ...f, severity } : f;
  });
  const targets = new Map(input.targets.map((t) => [targetKey(t.location.file, t.resource), t]));
  const outcome = applySuppressions(withSeverity, { targets, exceptions: input.exceptions, today: input.today });
  const findings = sortFindings([...input.inputFindings, ...outcome.findings]);
  const count = (s: Finding['severity']): number => findings.filter((f) => f.severity === s).length;
  return {
    findings,
    suppressed: sortFindings(outcome.suppressed),
    rules: input.enabled.map((e) => e.rule),
    notices: outcome.notices,
    summary: {
      files: input.files,
      objects: input.targets.length,
      errors: count('error'),
      warnings: count('warning'),
      infos: count('info'),
      suppressed: outcome.suppressed.length,
      rulesRun: input.enabled.length,
    },
  };
}

/** Picks the rules to run for a config (and an optional `--profile` override). */
export function enabledRules<R extends RuleMeta>(catalogue: readonly R[], config: MeshproofConfig, profile?: MeshproofConfig['profile']): EnabledRule<R>[] {
  return resolveRules(catalogue, { profile: profile ?? config.profile, rules: config.rules });
}

/** Every rule `meshproof check` knows: the analyzers plus the built-in ones, for config validation and `meshproof rules`. */
export function ruleCatalogue(): readonly RuleMeta[] {
  return [...ALL_RULES, ...BUILTIN_RULES];
}

export interface CheckOptions {
  /** Files or directories as given on the command line; `-` reads `stdin`. */
  readonly paths: readonly string[];
  /** Base for relative paths. */
  readonly cwd: string;
  /** Content of `-`: a string, or a stream read incrementally within the byte limit. */
  readonly stdin?: string | AsyncIterable<Buffer | string> | Iterable<Buffer | string>;
  /** Globs of paths to leave out, added to the config's `exclude`. */
  readonly exclude?: readonly string[];
  /** Input limits; each overrides the config's `limits`, which override the defaults. */
  readonly limits?: Partial<InputLimits>;
  /** An input without any Kubernetes object passes instead of exiting 2 (`--allow-empty`). @default false */
  readonly allowEmpty?: boolean;
  /**
   * What the empty-input error tells the user to do, for callers without `--allow-empty` (the
   * synth plugin, `xds serve`). @default 'Give the folder or files that hold your manifests (…), check the exclude globs, or pass --allow-empty …'
   */
  readonly emptyHint?: string;
  /** Explicit source map (`--sourcemap`); otherwise searched next to the manifests. */
  readonly sourcemap?: string;
  /** Rules to choose from. @default ruleCatalogue() */
  readonly catalogue?: readonly RuleMeta[];
  readonly config: MeshproofConfig;
  /** Overrides `config.profile` (`--profile`). */
  readonly profile?: Profile;
  /** `YYYY-MM-DD`, for exception expiry. */
  readonly today: string;
  /** MeshConfig file (`--mesh-config`); Istio's defaults when absent. */
  readonly meshConfig?: string;
  /** Kubernetes cluster domain (`--cluster-domain`). @default 'cluster.local' */
  readonly clusterDomain?: string;
  /** Paths read for references only (`--context`): their objects feed the model, nothing is reported on them. */
  readonly context?: readonly string[];
}

export interface CheckRun {
  readonly result: CheckResult;
  /** Some input could not be read or parsed: the result is incomplete and must not pass. */
  readonly unusableInput: boolean;
  readonly problems: readonly InputProblem[];
  /** The input files as read and parsed for this run (not `context` files): what was checked. */
  readonly files: readonly ParsedFile[];
  /**
   * The mesh model the rules judged: the input's objects and the `context` files' (config `context`
   * and `--context`), with the MeshConfig and cluster domain of the run.
   */
  readonly graph: MeshGraph;
  /** What the rules judged, with the context files and sources (`xds serve` builds its graph from them). */
  readonly model: MeshModel;
}

function problemFinding(p: InputProblem): Finding {
  return { ruleId: p.code, istioCode: null, severity: p.severity, message: p.message, resource: null, location: p.location, source: null };
}

function isRule(meta: RuleMeta): meta is Rule {
  return typeof (meta as Partial<Rule>).check === 'function';
}

/**
 * A context path of the config file that does not exist: the problem says so and where to fix it
 * (the config's `context:` entries are relative to that file), instead of a bare "cannot read".
 */
function missingConfigContext(p: InputProblem, configContext: readonly string[], configFile: string, cwd: string): InputProblem {
  if (p.code !== 'input/unreadable' || existsSync(resolve(cwd, p.location.file))) return p;
  const at = resolve(cwd, p.location.file);
  if (!configContext.some((c) => resolve(cwd, c) === at)) return p;
  return { ...p, message: `${p.message}; it is listed under context: in ${configFile}, where paths are relative to that file. Fix the path (the folder or file of manifests this repository references but does not own), or remove it from context:` };
}

const EMPTY_HINT = 'Give the folder or files that hold your manifests (dist/ in a meshproof project, once synthesized), check the exclude globs, or pass --allow-empty if an empty input is expected';

/**
 * `input/empty`, located at the first path: a folder as a whole (`dist/`, no line: there is no line
 * to point at), a file or stdin at its line 1.
 */
function emptyInput(paths: readonly string[], files: number, cwd: string, hint = EMPTY_HINT): InputProblem {
  const first = paths[0];
  const folder = first !== undefined && first !== '-' && isDirectory(resolve(cwd, first));
  const shown = (p: string): string => (p === first && folder && !p.endsWith('/') && !p.endsWith(sep) ? `${p}/` : p);
  const where = paths.length > 0 ? paths.map(shown).join(', ') : 'the input';
  const read = files === 0
    ? paths.length === 1 && folder ? 'the folder holds no manifest file (.yaml, .yml, .json)' : 'no manifest file (.yaml, .yml, .json) was found'
    : `${files} file${files === 1 ? '' : 's'} read, none with an object that has apiVersion, kind and metadata.name`;
  return problem(
    'input/empty',
    `no Kubernetes objects in ${where} (${read}), so nothing was checked. ${hint}`,
    folder ? { file: shown(first), line: 0, column: 0 } : { file: first ?? '-', line: 1, column: 1 },
  );
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The mesh model a run works on, read once: the input files, the context files (config `context`
 * and `--context`), and the MeshConfig and cluster domain (flag, else config), as one graph.
 * `runCheck` judges it; `xds compile`, `xds serve`, `map` and `runtime synth` translate or draw the
 * very graph (or, `xds serve`, one built from the same files and context), so no command sees
 * another mesh than `meshproof check`.
 */
export interface MeshModel {
  /** The input files as read and parsed (not `context` files): what is checked. */
  readonly files: readonly ParsedFile[];
  /** The context files that are not also input: their objects feed the model, nothing is reported on them. */
  readonly contextFiles: readonly ParsedFile[];
  /** Input files opened, parsed or not. */
  readonly filesRead: number;
  /** Problems with the input (and the unusable ones of context files). */
  readonly problems: InputProblem[];
  /** The MeshConfig and cluster domain of the run, with what is wrong with them (each problem makes the input unusable). */
  readonly mesh: ReturnType<typeof readMeshContext>;
  /** Input and context objects with `mesh.context` (built on first read). */
  readonly graph: MeshGraph;
  /**
   * Absolute paths the model was read from besides the input: the config file, the MeshConfig file
   * and the context paths; what `xds serve` watches next to its inputs.
   */
  readonly sources: readonly string[];
}

/** The model of a run (`CheckOptions` without the rule choice); never throws for bad input. */
export async function loadModel(options: Omit<CheckOptions, 'catalogue' | 'profile' | 'today'>): Promise<MeshModel> {
  const loaded = await loadInputs(options.paths, {
    cwd: options.cwd,
    ...options.config.limits,
    ...options.limits,
    exclude: [...(options.config.exclude ?? []), ...(options.exclude ?? [])],
    ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
    ...(options.sourcemap !== undefined ? { sourceMap: options.sourcemap } : {}),
  });
  loaded.problems.push(...templateHints(loaded.problems, options.cwd, loaded.files.flatMap((f) => f.objects)));
  const objects = loaded.files.reduce((n, f) => n + f.objects.length, 0);
  if (objects === 0 && !options.allowEmpty && !loaded.problems.some((p) => p.unusable)) loaded.problems.push(emptyInput(options.paths, loaded.files.length, options.cwd, options.emptyHint));
  const meshConfig = options.meshConfig ?? options.config.meshConfig;
  const domain = options.clusterDomain !== undefined ? { clusterDomain: options.clusterDomain } : options.config.clusterDomain ? { clusterDomain: options.config.clusterDomain.value, clusterDomainAt: options.config.clusterDomain.at } : {};
  const meshConfigFrom = options.meshConfig === undefined && options.config.meshConfig !== undefined && options.config.file !== null ? { meshConfigFrom: options.config.file } : {};
  const mesh = readMeshContext({ cwd: options.cwd, ...(meshConfig !== undefined ? { meshConfig } : {}), ...meshConfigFrom, ...domain });
  const contextPaths = [...(options.config.context ?? []), ...(options.context ?? [])];
  const context = contextPaths.length > 0 ? await loadInputs(contextPaths, { cwd: options.cwd }) : { files: [], problems: [] };
  const configFile = options.config.file;
  const contextProblems = configFile !== null ? context.problems.map((p) => missingConfigContext(p, options.config.context ?? [], configFile, options.cwd)) : context.problems;
  // Input wins: a file given both as input and as context (directly or inside a context directory) is input.
  const inputPaths = new Set(loaded.files.flatMap((f) => (f.absolutePath ? [f.absolutePath] : [])));
  // Nothing is reported on a context file (README "--context") but what makes the run unusable (a parse error
  // exits 2): notes such as `input/not-a-manifest` on the configured mesh-config.yaml in context/ are dropped.
  loaded.problems.push(...contextProblems.filter((p) => p.unusable && !loaded.files.some((f) => f.file === p.location.file)));
  const contextFiles = context.files.filter((f) => !(f.absolutePath && inputPaths.has(f.absolutePath)));
  const sources = [
    ...(options.config.file !== null ? [options.config.file] : []),
    ...(meshConfig !== undefined ? [meshConfig] : []),
    ...contextPaths,
  ].map((p) => resolve(options.cwd, p));
  // Built on first use: `xds serve --no-check` builds its own (carried over from the previous reload).
  let graph: MeshGraph | undefined;
  return {
    files: loaded.files, contextFiles, filesRead: loaded.filesRead, problems: loaded.problems, mesh, sources: [...new Set(sources)],
    get graph() { return (graph ??= MeshGraph.from([...loaded.files, ...contextFiles], { context: mesh.context })); },
  };
}

/** One `meshproof check` run: load → graph → rules → configuration and suppressions → result. */
export async function runCheck(options: CheckOptions): Promise<CheckRun> {
  const model = await loadModel(options);
  const { graph, mesh } = model;
  const inputNames = new Set(model.files.map((f) => f.file));
  const contextFiles = new Set(model.contextFiles.map((f) => f.file).filter((f) => !inputNames.has(f)));
  const enabled = enabledRules(options.catalogue ?? ruleCatalogue(), options.config, options.profile);
  const rules = enabled.flatMap((e) => (isRule(e.rule) ? [e.rule] : []));
  const ruleOptions: Record<string, RuleOptions> = Object.fromEntries(enabled.map((e) => [e.rule.id, e.options]));
  const targets: SuppressionTarget[] = graph.objects.filter((o) => !contextFiles.has(o.file)).map((o) => ({ resource: o.ref, annotations: o.annotations, location: o.location, source: o.source, locate: o.locate }));
  const result = finalizeResult({
    findings: runRules(graph, rules, ruleOptions).flatMap((f) => (!(f.location && contextFiles.has(f.location.file)) ? [f] : onInputCopy(graph, f, (file) => contextFiles.has(file)))),
    inputFindings: [
      ...model.problems.map(problemFinding),
      ...mesh.problems.map((p): Finding => ({ ruleId: p.code, istioCode: null, severity: 'error', message: p.message, resource: null, location: p.location, source: null })),
      ...mesh.warnings.map((w): Finding => ({ ruleId: w.code, istioCode: null, severity: 'warning', message: w.message, resource: null, location: w.location, source: null })),
    ],
    enabled,
    targets,
    exceptions: options.config.exceptions,
    today: options.today,
    files: model.filesRead,
  });
  return { result, unusableInput: modelUnusable(model), problems: model.problems, files: model.files, graph, model };
}

/** The model cannot be used: some input or context file cannot be read or parsed, or the MeshConfig or cluster domain is wrong. */
export function modelUnusable(model: MeshModel): boolean {
  return model.mesh.problems.length > 0 || model.problems.some((p) => p.unusable);
}
