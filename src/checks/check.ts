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
   * synth plugin, `xds serve`). @default 'Check the paths and exclude globs, or pass --allow-empty if an empty input is expected'
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
}

function problemFinding(p: InputProblem): Finding {
  return { ruleId: p.code, istioCode: null, severity: p.severity, message: p.message, resource: null, location: p.location, source: null };
}

function isRule(meta: RuleMeta): meta is Rule {
  return typeof (meta as Partial<Rule>).check === 'function';
}

function emptyInput(paths: readonly string[], files: number, hint = 'Check the paths and exclude globs, or pass --allow-empty if an empty input is expected'): InputProblem {
  const read = files === 0 ? 'no manifest file (.yaml, .yml, .json) was found' : `${files} file${files === 1 ? '' : 's'} read`;
  return problem(
    'input/empty',
    `no Kubernetes objects in ${paths.length > 0 ? paths.join(', ') : 'the input'} (${read}), so nothing was checked. ${hint}`,
    { file: paths[0] ?? '-', line: 1, column: 1 },
  );
}

/** One `meshproof check` run: load → graph → rules → configuration and suppressions → result. */
export async function runCheck(options: CheckOptions): Promise<CheckRun> {
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
  if (objects === 0 && !options.allowEmpty && !loaded.problems.some((p) => p.unusable)) loaded.problems.push(emptyInput(options.paths, loaded.files.length, options.emptyHint));
  const meshConfig = options.meshConfig ?? options.config.meshConfig;
  const domain = options.clusterDomain !== undefined ? { clusterDomain: options.clusterDomain } : options.config.clusterDomain ? { clusterDomain: options.config.clusterDomain.value, clusterDomainAt: options.config.clusterDomain.at } : {};
  const mesh = readMeshContext({ cwd: options.cwd, ...(meshConfig !== undefined ? { meshConfig } : {}), ...domain });
  const contextPaths = [...(options.config.context ?? []), ...(options.context ?? [])];
  const context = contextPaths.length > 0 ? await loadInputs(contextPaths, { cwd: options.cwd }) : { files: [], problems: [] };
  // Input wins: a file given both as input and as context (directly or inside a context directory) is input.
  const inputPaths = new Set(loaded.files.flatMap((f) => (f.absolutePath ? [f.absolutePath] : [])));
  // Nothing is reported on a context file (README "--context") but what makes the run unusable (a parse error
  // exits 2): notes such as `input/not-a-manifest` on the configured mesh-config.yaml in context/ are dropped.
  loaded.problems.push(...context.problems.filter((p) => p.unusable && !loaded.files.some((f) => f.file === p.location.file)));
  const contextOnly = context.files.filter((f) => !(f.absolutePath && inputPaths.has(f.absolutePath)));
  const inputNames = new Set(loaded.files.map((f) => f.file));
  const contextFiles = new Set(contextOnly.map((f) => f.file).filter((f) => !inputNames.has(f)));
  const graph = MeshGraph.from([...loaded.files, ...contextOnly], { context: mesh.context });
  const enabled = enabledRules(options.catalogue ?? ruleCatalogue(), options.config, options.profile);
  const rules = enabled.flatMap((e) => (isRule(e.rule) ? [e.rule] : []));
  const ruleOptions: Record<string, RuleOptions> = Object.fromEntries(enabled.map((e) => [e.rule.id, e.options]));
  const targets: SuppressionTarget[] = graph.objects.filter((o) => !contextFiles.has(o.file)).map((o) => ({ resource: o.ref, annotations: o.annotations, location: o.location, source: o.source, locate: o.locate }));
  const result = finalizeResult({
    findings: runRules(graph, rules, ruleOptions).flatMap((f) => (!(f.location && contextFiles.has(f.location.file)) ? [f] : onInputCopy(graph, f, (file) => contextFiles.has(file)))),
    inputFindings: [
      ...loaded.problems.map(problemFinding),
      ...mesh.problems.map((p): Finding => ({ ruleId: p.code, istioCode: null, severity: 'error', message: p.message, resource: null, location: p.location, source: null })),
      ...mesh.warnings.map((w): Finding => ({ ruleId: w.code, istioCode: null, severity: 'warning', message: w.message, resource: null, location: w.location, source: null })),
    ],
    enabled,
    targets,
    exceptions: options.config.exceptions,
    today: options.today,
    files: loaded.filesRead,
  });
  return { result, unusableInput: mesh.problems.length > 0 || loaded.problems.some((p) => p.unusable), problems: loaded.problems, files: loaded.files, graph };
}
