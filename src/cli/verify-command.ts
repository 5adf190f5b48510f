/**
 * `meshproof verify [dir|dir/dist] [--app name]... [--tests file]... [--format text|json|markdown] [-o file]
 *  [--static-only | --runtime targets.json | --netns] [--confidence 0.999] [--tolerance 0.05] [--no-check] [--verbose]`
 *
 * Judges every promise of the project's apps (`.meshproof/expectations.json`, written by `cdk8s
 * synth`) and any route-test files against the synthesized `dist/`; then, when the traffic runtime
 * is ready, proves them with requests: in an embedded mesh it starts, or (`--runtime`) through a
 * runtime someone else started, as the targets file describes it (`src/verify/external/`). Exit 0: every promise held; 1: some broke (or hold only by
 * Istio's undefined order); 2: could not run (no dist/, no promises, a dist/ that fails the checks,
 * an unknown app, a runtime that cannot start); 130 (or death by the signal): Ctrl-C or SIGTERM, no report. Progress goes to stderr: a bar when stdout is a
 * terminal (text report, no -o), else plain lines at a bounded rate (`verify-progress.ts`).
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { parseArgs } from './args.js';
import { EXIT_INTERRUPTED, EXIT_USAGE, type ExitCode } from '../checks/exit-code.js';
import { EXPECTATIONS_PATH } from '../verify/expectations/path.js';
import { formatMarkdown } from '../verify/report/markdown.js';
import { formatText } from '../verify/report/text.js';
import { verifyExitCode, type VerifyReport } from '../verify/report/types.js';
import { verifyProject, VerifyInputError, VerifyInterrupted, type TrafficRunner } from '../verify/run.js';
import { assertWritable, OUTPUT_OPTIONS, writeFileAtomic, type CliIO } from './io.js';
import { projectAboveHint } from './input-path.js';
import { formatOfOutput } from './output-format.js';
import { assertOutsideInputs } from './out-path.js';
import { UsageError } from './usage.js';
import { progressLines } from './verify-progress.js';

const FORMATS = ['text', 'json', 'markdown'] as const;

function unit(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n >= 1) throw new UsageError(`--${flag} must be a number strictly between 0 and 1 (e.g. ${fallback}); got "${v}"`);
  return n;
}

/**
 * The project folder: the one given, or, when given the synthesized folder itself (`verify dist`,
 * as the PR gate passes its check targets), the project that holds it and its expectations.
 */
function projectRoot(given: string): string {
  if (existsSync(join(given, 'dist'))) return given;
  const parent = dirname(given);
  return basename(given) === 'dist' && existsSync(join(parent, EXPECTATIONS_PATH)) ? parent : given;
}

/** The traffic runtime, loaded only when traffic is wanted. */
async function loadRuntime(netns: boolean): Promise<TrafficRunner> {
  return (await import('../verify/runtime/index.js')).createRuntime({ netns });
}

export async function verifyCommand(args: string[], io: CliIO): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: {
      app: { type: 'string', multiple: true },
      tests: { type: 'string', multiple: true },
      format: { type: 'string' },
      output: { type: 'string', short: 'o' },
      'static-only': { type: 'boolean', default: false },
      runtime: { type: 'string' },
      netns: { type: 'boolean', default: false },
      'no-check': { type: 'boolean', default: false },
      confidence: { type: 'string' },
      tolerance: { type: 'string' },
      verbose: { type: 'boolean', short: 'v', default: false },
      ...OUTPUT_OPTIONS,
    },
  });
  if (positionals.length > 1) throw new UsageError(`verify takes one project folder; got ${positionals.length}: ${positionals.join(' ')}`);
  const format = values.format ?? formatOfOutput(values.output, FORMATS) ?? 'text';
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}; got "${format}"`);
  const confidence = unit('confidence', values.confidence, 0.999);
  const tolerance = unit('tolerance', values.tolerance, 0.05);
  const root = projectRoot(resolve(io.cwd, positionals[0] ?? '.'));
  // Run from apps/ (or another subfolder) of a project: name the project folder instead of "synthesize first".
  const above = positionals.length === 0 && !existsSync(join(root, 'dist')) ? projectAboveHint(io.cwd) : '';
  if (above !== '') {
    io.stderr.write(`verify: ${root} has no dist/${above}\n`);
    return EXIT_USAGE;
  }
  if (values.output !== undefined) {
    const out = resolve(io.cwd, values.output);
    assertOutsideInputs({
      command: 'verify', flag: '--output', given: values.output, out, inputs: [relative(io.cwd, join(root, 'dist')) || '.'], cwd: io.cwd,
      consequence: 'the report would be read back as input by the next check and synced to the cluster with them', example: basename(out),
    });
    assertWritable(out, values.output);
  }
  if (values.netns && (values.runtime !== undefined || values['static-only'])) throw new UsageError(`--netns places the workloads verify starts itself; it does not go with ${values.runtime !== undefined ? '--runtime' : '--static-only'}`);
  if (values.runtime !== undefined && values['static-only']) throw new UsageError('--runtime and --static-only exclude each other: --runtime sends traffic to the runtime it names');
  let runtime: TrafficRunner | undefined;
  if (values.runtime !== undefined) {
    const { loadTargets, TargetsError } = await import('../verify/external/targets.js');
    try {
      const targets = loadTargets(resolve(io.cwd, values.runtime));
      runtime = (await import('../verify/external/runner.js')).createExternalRuntime(targets);
    } catch (e) {
      if (e instanceof TargetsError) throw new UsageError(`--runtime ${e.message}`);
      throw e;
    }
  } else if (!values['static-only']) {
    runtime = await loadRuntime(values.netns);
    // Asked for namespaces and cannot make them: a run that could not run (exit 2), not a report without traffic.
    const why = values.netns ? runtime.unavailable() : null;
    if (why !== null) {
      io.stderr.write(`verify: ${why}\n`);
      return EXIT_USAGE;
    }
  }

  const tty = io.stdout.isTTY === true && format === 'text' && values.output === undefined;
  const bar = tty ? new cliProgress.SingleBar({ format: 'verify {phase} [{bar}] {value}/{total}', stream: process.stderr, clearOnComplete: true, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  // Without a terminal (CI logs), plain lines at a bounded rate instead of the bar: the report's stream is untouched.
  const lines = bar ? undefined : progressLines((l) => io.stderr.write(l));
  let phase = '';
  let report: VerifyReport;
  try {
    report = await verifyProject({
      root, apps: values.app, routeTests: values.tests, skipChecks: values['no-check'], confidence, tolerance,
      ...(runtime ? { runtime } : {}),
      progress: (p, done, total) => {
        lines?.progress(p, done, total);
        if (!bar) return;
        if (p !== phase) {
          if (phase !== '') bar.stop();
          phase = p;
          bar.start(total, 0, { phase: p });
        }
        bar.update(done, { phase: p });
      },
    });
  } catch (e) {
    if (e instanceof VerifyInputError || e instanceof VerifyInterrupted) {
      io.stderr.write(`verify: ${e.message}\n`);
      return e instanceof VerifyInterrupted ? EXIT_INTERRUPTED : EXIT_USAGE;
    }
    throw e;
  } finally {
    bar?.stop();
    lines?.stop();
  }
  const text = format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : format === 'markdown' ? formatMarkdown(report) : formatText(report, values.verbose);
  if (values.output !== undefined) writeFileAtomic(resolve(io.cwd, values.output), text);
  else io.stdout.write(text);
  return verifyExitCode(report);
}
