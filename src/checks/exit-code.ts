import { SEVERITY_ORDER, type CheckResult, type Severity } from './types.js';

/** `--fail-on` values: the least severe level that fails the run, or `none`. */
export type FailOn = Severity | 'none';
export const FAIL_ON_VALUES: readonly FailOn[] = ['error', 'warning', 'info', 'none'];

export const EXIT_OK = 0;
/** Findings at or above the `--fail-on` threshold. */
export const EXIT_FINDINGS = 1;
/** Bad command line or config, or input that could not be read or parsed. */
export const EXIT_USAGE = 2;

/**
 * Stopped by Ctrl-C or SIGTERM (128 + SIGINT's 2, what a shell shows for Ctrl-C): for a run that says
 * so and returns instead of dying of the signal (`verify` does both: it re-raises the signal once
 * everything it started is stopped, and returns this if it is still alive).
 */
export const EXIT_INTERRUPTED = 130;

export type ExitCode = typeof EXIT_OK | typeof EXIT_FINDINGS | typeof EXIT_USAGE | typeof EXIT_INTERRUPTED;

export interface ExitInput {
  /** The run's result; absent when the run stopped before checking (usage error). */
  readonly result?: Pick<CheckResult, 'findings'>;
  readonly failOn: FailOn;
  /** The command line or config was invalid. */
  readonly usageError?: boolean;
  /** Some input could not be read or parsed. Such a run never passes, whatever `failOn` says. */
  readonly unusableInput?: boolean;
}

/** The one place that turns a run into a process exit code. */
export function exitCode(input: ExitInput): ExitCode {
  if (input.usageError || input.unusableInput || input.result === undefined) return EXIT_USAGE;
  if (input.failOn === 'none') return EXIT_OK;
  const threshold = SEVERITY_ORDER.indexOf(input.failOn);
  const failing = input.result.findings.some((f) => SEVERITY_ORDER.indexOf(f.severity) <= threshold);
  return failing ? EXIT_FINDINGS : EXIT_OK;
}
