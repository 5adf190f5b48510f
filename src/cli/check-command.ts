import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from './args.js';
import { ruleCatalogue, runCheck } from '../checks/check.js';
import { DEFAULT_CONFIG, findConfigFile, isProfile, loadConfigFile, PROFILES, profileFailOn, todayUtc } from '../checks/config/index.js';
import { exitCode, FAIL_ON_VALUES, type ExitCode, type FailOn } from '../checks/exit-code.js';
import { FORMATS, REPORTERS, type Format } from '../checks/reporters/index.js';
import { MESH_OPTIONS, meshFlags, meshSelection } from './mesh-flags.js';
import { assertWritable, OUTPUT_OPTIONS, wantsColor, writeFileAtomic, type CliIO } from './io.js';
import { UsageError } from './usage.js';
import { inputPathProblem, projectAboveHint } from './input-path.js';
import { assertOutsideInputs } from './out-path.js';
import { formatOfOutput } from './output-format.js';
import { VERSION } from './version.js';

const OPTIONS = {
  format: { type: 'string' },
  output: { type: 'string', short: 'o' },
  'fail-on': { type: 'string' },
  sourcemap: { type: 'string' },
  profile: { type: 'string' },
  ...OUTPUT_OPTIONS,
  'allow-empty': { type: 'boolean' },
  ...MESH_OPTIONS,
} as const;

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}; got "${value}"`);
  return value as T;
}

function writeReport(path: string, given: string, text: string): void {
  try {
    writeFileAtomic(path, text);
  } catch (e) {
    throw new UsageError(`--output ${given}: cannot write the report: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** A check run from command-line arguments: the result, the exit code it implies, and the chosen format. */
export interface CheckFromArgs {
  readonly run: Awaited<ReturnType<typeof runCheck>>;
  readonly failOn: FailOn;
  readonly exitCode: ExitCode;
  readonly format: Format;
  readonly output: string | undefined;
  readonly noColor: boolean;
}

/**
 * Parses `check`'s arguments, resolves the config, and runs the check suite once; shared by
 * `meshproof check` and the GitHub Action (which renders SARIF, annotations and the summary from
 * the same result). Throws UsageError / ConfigError for bad arguments or config.
 */
export async function checkFromArgs(args: string[], io: CliIO): Promise<CheckFromArgs> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  const format: Format = oneOf('format', values.format, FORMATS) ?? formatOfOutput(values.output, FORMATS) ?? 'text';
  const cliFailOn = oneOf<FailOn>('fail-on', values['fail-on'], FAIL_ON_VALUES);
  const profile = values.profile === undefined ? undefined : isProfile(values.profile) ? values.profile : oneOf('profile', values.profile, PROFILES);
  if (format === 'github' && values.output !== undefined) throw new UsageError('--output cannot be used with --format github (it writes annotations and the job summary)');

  const paths = positionals.length > 0 ? positionals : ['dist/'];
  if (paths.filter((p) => p === '-').length > 1) throw new UsageError('- (stdin) can be given only once');
  for (const p of paths) {
    const problem = p === '-' ? undefined : inputPathProblem(io.cwd, p);
    if (problem !== undefined) throw new UsageError(positionals.length > 0 ? problem : `no paths given and the default dist/ does not exist in ${io.cwd}${projectAboveHint(io.cwd)}`);
  }
  if (values.sourcemap !== undefined && !existsSync(resolve(io.cwd, values.sourcemap))) throw new UsageError(`--sourcemap file not found: ${values.sourcemap}`);
  const mesh = meshFlags(values, io);
  if (values.output !== undefined) {
    const out = resolve(io.cwd, values.output);
    assertOutsideInputs({
      command: 'check', flag: '--output', given: values.output, out, inputs: paths, cwd: io.cwd,
      consequence: 'the report would be read back as input by the next check and synced to the cluster with them', example: basename(out),
    });
    assertWritable(out, values.output);
  }

  const catalogue = ruleCatalogue();
  const configPath = mesh.config ?? findConfigFile(io.cwd);
  const config = configPath ? loadConfigFile(configPath, catalogue, io.cwd) : DEFAULT_CONFIG;
  const failOn = cliFailOn ?? profileFailOn(profile ?? config.profile);

  const run = await runCheck({
    paths,
    cwd: io.cwd,
    ...(paths.includes('-') ? { stdin: io.stdin() } : {}),
    ...meshSelection(mesh),
    allowEmpty: values['allow-empty'] === true,
    ...(values.sourcemap !== undefined ? { sourcemap: values.sourcemap } : {}),
    catalogue,
    config,
    ...(profile ? { profile } : {}),
    today: io.today ?? todayUtc(),
  });

  return { run, failOn, exitCode: exitCode({ result: run.result, failOn, unusableInput: run.unusableInput }), format, output: values.output, noColor: values['no-color'] === true };
}

/** `meshproof check [paths…] [options]`: returns the exit code; throws UsageError / ConfigError. */
export async function checkCommand(args: string[], io: CliIO): Promise<ExitCode> {
  const { run, format, output, noColor, exitCode: code } = await checkFromArgs(args, io);
  const reporter = REPORTERS[format];
  const toFile = output !== undefined;
  const opts = {
    version: VERSION,
    cwd: io.cwd,
    color: format === 'text' && wantsColor(io.env, !toFile && io.stdout.isTTY === true, noColor),
  };
  if (reporter.format === 'github') {
    await reporter.emit(run.result, opts);
  } else {
    const text = reporter.render(run.result, opts);
    if (toFile) writeReport(resolve(io.cwd, output!), output!, text);
    else io.stdout.write(text);
  }
  return code;
}
