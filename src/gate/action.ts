import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkFromArgs } from '../cli/check-command.js';
import type { CliIO } from '../cli/io.js';
import { isConfigError, isUsageError } from '../cli/usage.js';
import type { CheckResult } from '../checks/types.js';
import type { MeshModel } from '../checks/check.js';
import { ruleCatalogue } from '../checks/check.js';
import { findConfigFile, loadConfigFile } from '../checks/config/index.js';
import { FAIL_ON_VALUES } from '../checks/exit-code.js';
import { sarifReporter } from '../checks/reporters/sarif.js';
import { plural } from '../checks/reporters/_shared.js';
import { loadTree } from '../diff/load-tree.js';
import { diffMeshes, type MeshDiff } from '../diff/semantic-diff.js';
import { MeshGraph } from '../mesh/graph.js';
import { toMeshObject, type MeshObject } from '../mesh/object.js';
import { trafficMap, type HostMap } from '../map/traffic.js';
import { VERSION } from '../cli/version.js';
import { planAnnotations, type PlannedAnnotation } from './annotations.js';
import { baseRefFrom, extractTree, resolveCommit, touchedLines } from './git.js';
import { gateSummary } from './summary.js';

/**
 * The GitHub Action (action.yml): the pull-request gate over the caller's repository, run from the
 * action's own checkout. Inputs arrive as `INPUT_*` variables (action.yml maps `inputs.*` onto them):
 *
 * - `INPUT_PATHS` synthesized manifests, space-separated (default `dist`)
 * - `INPUT_FAIL_ON` `error` | `warning` | `info` | `none` (default `error`)
 * - `INPUT_CONFIG` meshproof.config.yaml (default: found upward from the workspace)
 * - `INPUT_SARIF_FILE` where the SARIF log goes (default `$RUNNER_TEMP/meshproof/meshproof.sarif`, so
 *   nothing lands in the caller's checkout where a later step could commit it; `meshproof.sarif`
 *   when `RUNNER_TEMP` is unset)
 * - `INPUT_BASE_REF` what to diff against (default: the pull request's base commit from the event)
 * - `INPUT_VERIFY` `true` to prove the traffic with `meshproof verify` (default `false`)
 * - `INPUT_REPORT_FILE` where the Markdown report (the summary) is written (default
 *   `$RUNNER_TEMP/meshproof/meshproof-report.md`, or `meshproof-report.md` without `RUNNER_TEMP`)
 *
 * Writes annotations (TypeScript and YAML lines, ranked, within GitHub's caps), the job summary
 * (verdict, findings, semantic diff, traffic diagrams, verify report; under 1 MiB), the SARIF file
 * and the outputs `errors`, `warnings`, `notes`, `verified` (`yes`, `no`, `skipped`), `sarif-file`
 * and `report` (`verified`: `yes`, `no`, `error` when verify could not run, `skipped`). Returns 0 when the gate passes, 1 when it fails, 2 when it cannot run.
 */
/** Stand-ins for tests: the check run, and the `verify` command (`args` → exit code, writing `--output`). */
export interface GateDeps {
  readonly check?: typeof checkFromArgs;
  readonly verify?: (args: string[], io: CliIO) => Promise<number>;
}

export async function runAction(io: CliIO, deps: GateDeps = {}): Promise<number> {
  const env = io.env;
  const out = (s: string) => io.stdout.write(s);
  const paths = (env['INPUT_PATHS'] ?? '').split(/\s+/).filter(Boolean);
  const targets = paths.length > 0 ? paths : ['dist'];
  // Inputs are judged here, by their input names: the CLI's messages would name its flags (--fail-on).
  // Values are case-insensitive, as `verify` is (YAML authors write `ERROR` or `Error`).
  const failOn = (env['INPUT_FAIL_ON'] || 'error').trim().toLowerCase();
  if (!(FAIL_ON_VALUES as readonly string[]).includes(failOn)) {
    return fail(out, `the fail-on input must be one of ${FAIL_ON_VALUES.join(', ')} (any case); got "${env['INPUT_FAIL_ON']}"`);
  }
  const config = env['INPUT_CONFIG'] ?? '';
  if (config !== '' && !fs.existsSync(path.resolve(io.cwd, config))) {
    return fail(out, `the config input names a file that does not exist: ${config} (relative to the repository root, ${io.cwd}); fix the path or leave the input empty to find meshproof.config.yaml automatically`);
  }
  // Relative inputs resolve against the repository root; defaults go to the runner's temp directory.
  const outputDir = env['RUNNER_TEMP'] ? path.join(env['RUNNER_TEMP'], 'meshproof') : '';
  const sarifFile = env['INPUT_SARIF_FILE'] || path.join(outputDir, 'meshproof.sarif');
  const reportFile = env['INPUT_REPORT_FILE'] || path.join(outputDir, 'meshproof-report.md');
  const verify = (env['INPUT_VERIFY'] || 'false').toLowerCase();
  if (!['true', 'false'].includes(verify)) return fail(out, `the verify input must be true or false (any case); got "${env['INPUT_VERIFY']}"`);

  // The base: touched lines rank annotations; its copy of the tree gives the semantic diff.
  const base = await compareWithBase(io, targets, configExclude(io.cwd, config));
  if (base.note && base.basePaths !== NO_BASE) writeCommand(out, { level: 'warning', title: 'meshproof: no diff', message: base.note });
  const missing = targets.filter((p) => !fs.existsSync(path.resolve(io.cwd, p)));
  // A path that never existed is a mistake in the paths input; one the base had was deleted by this change.
  const unknown = missing.filter((p) => !base.basePaths.has(p));
  if (unknown.length > 0) {
    const message = `path not found: ${unknown.join(', ')} (the paths input names files or folders relative to the repository root, ${io.cwd})`;
    // Outputs and a summary even so: later steps and the reviewer see why the gate could not run.
    appendSummary(out, env['GITHUB_STEP_SUMMARY'], `# meshproof gate: could not run\n\n${message}\n`);
    setOutputs(out, env['GITHUB_OUTPUT'], { 'sarif-file': '', errors: '0', warnings: '0', notes: '0', verified: 'skipped', report: '' });
    return fail(out, message);
  }

  let check: CheckResult | null = null;
  let checkModel: MeshModel | undefined;
  let checkCode = 0;
  let verdict: string;
  if (missing.length === 0) {
    try {
      const run = await (deps.check ?? checkFromArgs)([...targets, '--fail-on', failOn, ...(config !== '' ? ['--config', config] : [])], io);
      check = run.run.result;
      checkModel = run.run.model;
      checkCode = run.exitCode;
      verdict = checkVerdict(check, failOn, checkCode);
    } catch (e) {
      const usage = isUsageError(e) || isConfigError(e);
      const message = usage ? (e as Error).message : `meshproof check crashed: ${(e as Error).stack ?? String(e)}`;
      writeCommand(out, { level: 'error', title: usage ? 'meshproof: cannot run' : 'meshproof: internal error', message });
      checkCode = 2;
      verdict = `The check suite could not run: ${(e as Error).message}`;
    }
  } else {
    checkCode = 1;
    verdict = `This change deletes ${missing.join(', ')}: Argo CD would prune every object it held. Restore it (\`npx cdk8s synth\` and commit), or remove the path from the action's paths input on purpose.`;
    writeCommand(out, { level: 'error', title: 'meshproof: synthesized output deleted', message: verdict });
  }

  if (check) writeFile(out, path.resolve(io.cwd, sarifFile), sarifReporter.render(check, { version: VERSION, cwd: io.cwd }), 'SARIF file');

  const plan = check ? planAnnotations(check.findings, base.touched, io.cwd) : { annotations: [], omittedFindings: 0, overflow: false };
  for (const a of plan.annotations) writeCommand(out, a);
  if (plan.overflow) {
    writeCommand(out, {
      level: 'notice',
      title: 'meshproof: more findings',
      message: `${plan.omittedFindings} findings not annotated${plan.omittedFindings < (check?.findings.length ?? 0) ? ', and some annotated on their YAML or TypeScript line only' : ''} (GitHub shows at most 10 errors, 10 warnings and 10 notices per step). The job summary's findings table lists them, up to its 1 MiB limit; meshproof check --format json lists all.`,
    });
  }

  let verified: 'yes' | 'no' | 'skipped' | 'error' = 'skipped';
  let verifyReport: string | null = null;
  if (verify === 'true') {
    const v = await runVerify(io, targets, checkCode, deps.verify);
    verified = v.verified;
    verifyReport = v.report;
    if (verified === 'error') writeCommand(out, { level: 'error', title: 'meshproof: verify could not run', message: 'verify: true was asked for, but meshproof verify could not run; the job summary has its report. The gate fails: the traffic was not proven.' });
  }

  const passed = checkCode === 0 && verified !== 'no' && verified !== 'error';
  const summary = gateSummary({
    passed,
    verdict: verified === 'no' ? `${verdict} Traffic proof failed: some promises did not hold (see below).` : verified === 'error' ? `${verdict} Traffic proof could not run (see below).` : verdict,
    check,
    diff: base.diff,
    ...(base.note ? { diffNote: base.note } : {}),
    ...(base.name ? { baseName: base.name } : {}),
    changedHosts: base.changedHosts(checkModel),
    verify: verifyReport,
    omittedAnnotations: plan.omittedFindings,
  });
  writeFile(out, path.resolve(io.cwd, reportFile), summary, 'report');
  appendSummary(out, env['GITHUB_STEP_SUMMARY'], summary);

  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of check?.findings ?? []) counts[f.severity]++;
  setOutputs(out, env['GITHUB_OUTPUT'], {
    'sarif-file': check ? sarifFile : '',
    errors: String(counts.error),
    warnings: String(counts.warning),
    notes: String(counts.info),
    verified,
    report: reportFile,
  });
  if (checkCode === 2) return 2;
  return passed ? 0 : 1;
}

function checkVerdict(result: CheckResult, failOn: string, code: number): string {
  const s = result.summary;
  const counts = `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ${s.infos} info in ${plural(s.objects, 'object')}`;
  if (code === 2) return `The input could not be read completely (${counts}); fix the input problems listed below.`;
  return code === 0 ? `No findings at or above \`${failOn}\` (${counts}).` : `Findings at or above \`${failOn}\` fail the gate (${counts}).`;
}

interface BaseComparison {
  readonly diff: MeshDiff | null;
  readonly touched: Map<string, Set<number>> | null;
  /**
   * The traffic of the hosts whose routes changed, drawn in the mesh the check run read (its
   * cluster domain and MeshConfig, its context files resolving hosts and gateways) when it ran.
   */
  readonly changedHosts: (mesh?: MeshModel) => HostMap[];
  /** The targets that exist at the base commit. */
  readonly basePaths: ReadonlySet<string>;
  readonly name?: string;
  readonly note?: string;
}

/**
 * The `exclude` globs of the config the check runs with (the config input, else found from the
 * repository root), which the semantic diff honours as `check` does; none when it cannot be read
 * (the check step reports why).
 */
function configExclude(cwd: string, config: string): readonly string[] {
  const file = config !== '' ? path.resolve(cwd, config) : findConfigFile(cwd);
  if (file === undefined) return [];
  try {
    return loadConfigFile(file, ruleCatalogue(), cwd).exclude ?? [];
  } catch (e) {
    if (isConfigError(e)) return [];
    throw e;
  }
}

/** The base paths of a run with no base at all (a push build): nothing to warn about. */
const NO_BASE: ReadonlySet<string> = new Set();

async function compareWithBase(io: CliIO, targets: readonly string[], exclude: readonly string[]): Promise<BaseComparison> {
  const ref = baseRefFrom(io.env, io.env['INPUT_BASE_REF'] || undefined);
  const none = new Set<string>();
  if (ref === null) return { diff: null, touched: null, changedHosts: () => [], basePaths: NO_BASE, note: 'No base to compare with (not a pull request and no base-ref input): the semantic diff is skipped.' };
  const commit = resolveCommit(io.cwd, ref);
  if ('error' in commit) return { diff: null, touched: null, changedHosts: () => [], basePaths: none, note: `${commit.error}. The semantic diff is skipped and annotations are not ranked by touched lines.` };
  const lines = touchedLines(io.cwd, commit.sha);
  const touched = 'error' in lines ? null : lines;
  const name = ref === commit.sha ? commit.sha.slice(0, 7) : `${ref} (${commit.sha.slice(0, 7)})`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-base-'));
  try {
    // The source map too, so removed objects keep their TypeScript lines.
    const extracted = extractTree(io.cwd, commit.sha, [...targets, '.meshproof/sourcemap.json'], dir);
    const basePaths = new Set(targets.filter((t) => fs.existsSync(path.join(dir, t))));
    if ('error' in extracted) return { diff: null, touched, changedHosts: () => [], basePaths, name, note: `Cannot read the base's ${targets.join(', ')}: ${extracted.error}. The semantic diff is skipped.` };
    const before: MeshObject[] = [];
    const after: MeshObject[] = [];
    for (const t of targets) {
      // Both sides read with repository-relative paths: the summary names dist/x.yaml, never the temp copy.
      const [b, h] = await Promise.all([loadTree(t, dir, { missingIsEmpty: true, exclude }), loadTree(t, io.cwd, { missingIsEmpty: true, exclude })]);
      const bad = [...b.problems, ...h.problems][0];
      if (bad) return { diff: null, touched, changedHosts: () => [], basePaths, name, note: `Cannot diff ${t}: ${bad.message}. The semantic diff is skipped.` };
      before.push(...b.objects);
      after.push(...h.objects);
    }
    const diff = diffMeshes(before, after);
    return { diff, touched, changedHosts: (mesh) => changedHosts(diff, before, after, mesh), basePaths, name };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function changedHosts(diff: MeshDiff, before: readonly MeshObject[], after: readonly MeshObject[], mesh?: MeshModel): HostMap[] {
  const routed = (o: { ref: { kind: string; namespace: string; name: string } }) => (o.ref.kind === 'VirtualService' ? `${o.ref.namespace}/${o.ref.name}` : null);
  const headKeys = new Set([...diff.added, ...diff.changed].map(routed).filter((k): k is string => k !== null));
  const baseKeys = new Set(diff.removed.map(routed).filter((k): k is string => k !== null));
  const context = mesh ? mesh.contextFiles.flatMap((f) => f.objects.map(toMeshObject)) : [];
  const drawn = new Set<MeshObject>([...before, ...after]);
  const pick = (objects: readonly MeshObject[], keys: Set<string>) => keys.size === 0 ? [] : trafficMap(new MeshGraph([...objects, ...context], mesh ? { context: mesh.mesh.context } : {}), (vs) => drawn.has(vs)).filter((h) => h.routes.some((r) => keys.has(r.virtualService)));
  const head = pick(after, headKeys);
  const seen = new Set(head.map((h) => h.host));
  return [...head, ...pick(before, baseKeys).filter((h) => !seen.has(h.host))];
}

/**
 * `meshproof verify` over the paths. `error` (it could not run: a taken address, a backend that never
 * started) fails the gate like a broken promise: the user asked for the proof and did not get it.
 */
async function runVerify(io: CliIO, targets: readonly string[], checkCode: number, stand?: GateDeps['verify']): Promise<{ verified: 'yes' | 'no' | 'skipped' | 'error'; report: string }> {
  if (checkCode !== 0) return { verified: 'skipped', report: '_Not run: the check suite failed, and verify proves only a mesh that passes it._' };
  const { COMMANDS } = await import('../cli/commands.js');
  const command = stand ? { run: stand } : COMMANDS['verify'];
  if (!command) return { verified: 'skipped', report: `_Not run: this meshproof version (${VERSION}) has no \`verify\` command._` };
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-verify-')), 'report.md');
  try {
    const code = await command.run([...targets, '--format', 'markdown', '--output', file], io);
    const report = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '_verify wrote no report._';
    return { verified: code === 0 ? 'yes' : code === 1 ? 'no' : 'error', report: code === 2 ? `_verify could not run (exit 2)._\n\n${report}` : report };
  } catch (e) {
    return { verified: 'error', report: `_verify could not run: ${(e as Error).message}_` };
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

/** A workflow command (`::error file=…,line=…,title=…::message`), escaped as @actions/core does. */
export function writeCommand(out: (s: string) => void, a: PlannedAnnotation): void {
  const prop = (v: string) => v.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C');
  const data = (v: string) => v.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const props = [`title=${prop(a.title)}`, ...(a.file ? [`file=${prop(a.file)}`] : []), ...(a.line ? [`line=${a.line}`] : []), ...(a.column ? [`col=${a.column}`] : [])];
  out(`::${a.level} ${props.join(',')}::${data(a.message)}\n`);
}

function fail(out: (s: string) => void, message: string): number {
  writeCommand(out, { level: 'error', title: 'meshproof: cannot run', message });
  return 2;
}

function writeFile(out: (s: string) => void, file: string, text: string, what: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  } catch (e) {
    writeCommand(out, { level: 'warning', title: `meshproof: no ${what}`, message: `cannot write the ${what} to ${file}: ${(e as Error).message}` });
  }
}

function appendSummary(out: (s: string) => void, file: string | undefined, text: string): void {
  if (!file) return;
  try {
    if (!fs.existsSync(file)) throw new Error('the file does not exist');
    fs.appendFileSync(file, text);
  } catch (e) {
    writeCommand(out, { level: 'warning', title: 'meshproof: no job summary', message: `cannot write the job summary to ${file} (GITHUB_STEP_SUMMARY): ${(e as Error).message}. The annotations are complete; the report file has the same content.` });
  }
}

function setOutputs(out: (s: string) => void, file: string | undefined, outputs: Record<string, string>): void {
  if (!file) return;
  try {
    fs.appendFileSync(file, Object.entries(outputs).map(([k, v]) => `${k}=${v}\n`).join(''));
  } catch (e) {
    writeCommand(out, { level: 'warning', title: 'meshproof: no outputs', message: `cannot write step outputs to GITHUB_OUTPUT (${file}): ${(e as Error).message}` });
  }
}
