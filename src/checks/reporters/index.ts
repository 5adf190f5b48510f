import type { CheckResult } from '../types.js';
import { jsonReporter } from './json.js';
import { sarifReporter } from './sarif.js';
import { textReporter } from './text.js';

export type Format = 'text' | 'json' | 'sarif' | 'github';
export const FORMATS: readonly Format[] = ['text', 'json', 'sarif', 'github'];

export interface ReportOptions {
  /** ANSI colour in text output. @default false */
  readonly color?: boolean;
  /** meshproof's version, for SARIF `tool.driver.version`. */
  readonly version: string;
  /** Directory that relative artifact paths (SARIF, GitHub) are resolved against. */
  readonly cwd: string;
}

/** Renders a result to one string, written to stdout or `--output`. */
export interface RenderingReporter {
  readonly format: Exclude<Format, 'github'>;
  render(result: CheckResult, opts: ReportOptions): string;
}

/** Reports through side effects (GitHub workflow commands and the job summary). */
export interface EmittingReporter {
  readonly format: 'github';
  emit(result: CheckResult, opts: ReportOptions): Promise<void>;
}

export type Reporter = RenderingReporter | EmittingReporter;

/**
 * The GitHub reporter loads @actions/core (and its HTTP client) only when `--format github` runs:
 * every other run would pay ~0.1 s of start-up for it.
 */
const lazyGithubReporter: EmittingReporter = {
  format: 'github',
  emit: async (result, opts) => (await import('./github.js')).githubReporter.emit(result, opts),
};

export const REPORTERS: Readonly<Record<Format, Reporter>> = {
  text: textReporter,
  json: jsonReporter,
  sarif: sarifReporter,
  github: lazyGithubReporter,
};

export { sortFindings } from './_shared.js';
