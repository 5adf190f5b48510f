import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../cli/main.js';
import type { CliIO } from '../cli/io.js';

/**
 * The GitHub Action (action.yml): `meshproof check` over the caller's repository, run from the
 * action's own checkout. Inputs arrive as `INPUT_*` variables (action.yml maps `inputs.*` onto
 * them): `INPUT_PATHS` (space-separated, default `dist`), `INPUT_FAIL_ON` (default `error`),
 * `INPUT_CONFIG` (optional), `INPUT_SARIF_FILE` (default `meshproof.sarif`).
 *
 * Writes the SARIF file (for the upload step), annotations and the job summary (the `github`
 * format), and the step outputs `sarif-file`, `errors`, `warnings` and `notes` to `GITHUB_OUTPUT`.
 * Returns the exit code of the annotated check run (0 pass, 1 findings at `fail-on`, 2 unusable).
 */
export async function runAction(io: CliIO): Promise<number> {
  const env = io.env;
  const paths = (env['INPUT_PATHS'] ?? '').split(/\s+/).filter(Boolean);
  const failOn = env['INPUT_FAIL_ON'] || 'error';
  const sarif = env['INPUT_SARIF_FILE'] || 'meshproof.sarif';
  const common = [...(paths.length > 0 ? paths : ['dist']), ...(env['INPUT_CONFIG'] ? ['--config', env['INPUT_CONFIG']] : [])];

  const sarifRun = await main(['check', ...common, '--format', 'sarif', '--output', sarif, '--fail-on', 'none'], io);
  if (sarifRun !== 0) return sarifRun;
  const code = await main(['check', ...common, '--format', 'github', '--fail-on', failOn], io);

  const counts = countLevels(path.resolve(io.cwd, sarif));
  const outputs = { 'sarif-file': sarif, errors: counts.error, warnings: counts.warning, notes: counts.note };
  const outputFile = env['GITHUB_OUTPUT'];
  if (outputFile) {
    try {
      fs.appendFileSync(outputFile, Object.entries(outputs).map(([k, v]) => `${k}=${v}\n`).join(''));
    } catch (e) {
      io.stdout.write(`::warning title=meshproof::cannot write step outputs to GITHUB_OUTPUT (${outputFile}): ${(e as Error).message}\n`);
    }
  }
  return code;
}

/** Result counts per SARIF level (`error`, `warning`, `note`), suppressed results excluded. */
function countLevels(sarifFile: string): Record<'error' | 'warning' | 'note', number> {
  const counts = { error: 0, warning: 0, note: 0 };
  const log = JSON.parse(fs.readFileSync(sarifFile, 'utf8')) as { runs?: { results?: { level?: string; suppressions?: unknown[] }[] }[] };
  for (const run of log.runs ?? []) {
    for (const r of run.results ?? []) {
      if (r.suppressions && r.suppressions.length > 0) continue;
      const level = (r.level ?? 'warning') as keyof typeof counts;
      if (level in counts) counts[level]++;
    }
  }
  return counts;
}
