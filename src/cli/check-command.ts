import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from './args.js';
import { ruleCatalogue, runCheck } from '../checks/check.js';
import { DEFAULT_CONFIG, findConfigFile, isProfile, loadConfigFile, parseSize, PROFILES, profileFailOn, todayUtc } from '../checks/config/index.js';
import { globError } from '../checks/config/glob.js';
import { exitCode, FAIL_ON_VALUES, type ExitCode, type FailOn } from '../checks/exit-code.js';
import { FORMATS, REPORTERS, type Format } from '../checks/reporters/index.js';
import type { InputLimits } from '../mesh/load.js';
import { assertWritable, OUTPUT_OPTIONS, wantsColor, writeFileAtomic, type CliIO } from './io.js';
import { UsageError } from './usage.js';
import { inputPathProblem } from './input-path.js';
import { dnsNameProblem } from '../mesh/mesh-config.js';
import { VERSION } from './version.js';

const OPTIONS = {
  format: { type: 'string' },
  output: { type: 'string', short: 'o' },
  'fail-on': { type: 'string' },
  config: { type: 'string', short: 'c' },
  sourcemap: { type: 'string' },
  profile: { type: 'string' },
  ...OUTPUT_OPTIONS,
  exclude: { type: 'string', multiple: true },
  'allow-empty': { type: 'boolean' },
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

/** `--max-input-size`, `--max-documents`, `--max-aliases`, `--max-nodes`, `--max-depth`, `--max-scalar-length` as input limits (only those given). */
function limitFlags(values: { 'max-input-size'?: string; 'max-documents'?: string; 'max-aliases'?: string; 'max-nodes'?: string; 'max-depth'?: string; 'max-scalar-length'?: string }): Partial<InputLimits> {
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
  const format: Format = oneOf('format', values.format, FORMATS) ?? 'text';
  const cliFailOn = oneOf<FailOn>('fail-on', values['fail-on'], FAIL_ON_VALUES);
  const profile = values.profile === undefined ? undefined : isProfile(values.profile) ? values.profile : oneOf('profile', values.profile, PROFILES);
  if (format === 'github' && values.output !== undefined) throw new UsageError('--output cannot be used with --format github (it writes annotations and the job summary)');

  const paths = positionals.length > 0 ? positionals : ['dist/'];
  if (paths.filter((p) => p === '-').length > 1) throw new UsageError('- (stdin) can be given only once');
  for (const p of paths) {
    const problem = p === '-' ? undefined : inputPathProblem(io.cwd, p);
    if (problem !== undefined) throw new UsageError(positionals.length > 0 ? problem : `no paths given and the default dist/ does not exist in ${io.cwd}`);
  }
  if (values.sourcemap !== undefined && !existsSync(resolve(io.cwd, values.sourcemap))) throw new UsageError(`--sourcemap file not found: ${values.sourcemap}`);
  if (values.config !== undefined && !existsSync(resolve(io.cwd, values.config))) throw new UsageError(`--config file not found: ${values.config}`);
  if (values['mesh-config'] !== undefined && !existsSync(resolve(io.cwd, values['mesh-config']))) throw new UsageError(`--mesh-config file not found: ${values['mesh-config']}`);
  const domainWhy = values['cluster-domain'] !== undefined ? dnsNameProblem(values['cluster-domain']) : null;
  if (domainWhy !== null) throw new UsageError(`--cluster-domain ${JSON.stringify(values['cluster-domain'])} is not a DNS name: ${domainWhy}; give the domain your cluster was created with (kubelet --cluster-domain), e.g. cluster.local or corp.example`);
  for (const c of values.context ?? []) if (!existsSync(resolve(io.cwd, c))) throw new UsageError(`--context path not found: ${c}`);
  for (const g of values.exclude ?? []) {
    const why = globError(g);
    if (why !== undefined) throw new UsageError(`--exclude ${JSON.stringify(g)} is not a valid glob: ${why}`);
  }
  if (values.output !== undefined) assertWritable(resolve(io.cwd, values.output), values.output);
  const limits = limitFlags(values);

  const catalogue = ruleCatalogue();
  const configPath = values.config !== undefined ? resolve(io.cwd, values.config) : findConfigFile(io.cwd);
  const config = configPath ? loadConfigFile(configPath, catalogue, io.cwd) : DEFAULT_CONFIG;
  const failOn = cliFailOn ?? profileFailOn(profile ?? config.profile);

  const run = await runCheck({
    paths,
    cwd: io.cwd,
    ...(paths.includes('-') ? { stdin: io.stdin() } : {}),
    ...(values.exclude ? { exclude: values.exclude } : {}),
    limits,
    allowEmpty: values['allow-empty'] === true,
    ...(values.sourcemap !== undefined ? { sourcemap: values.sourcemap } : {}),
    catalogue,
    config,
    ...(profile ? { profile } : {}),
    today: io.today ?? todayUtc(),
    ...(values['mesh-config'] !== undefined ? { meshConfig: values['mesh-config'] } : {}),
    ...(values['cluster-domain'] !== undefined ? { clusterDomain: values['cluster-domain'] } : {}),
    ...(values.context ? { context: values.context } : {}),
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
