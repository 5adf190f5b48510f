import { extname } from 'node:path';

/** Report formats named by an output file's extension. */
const BY_EXTENSION: Readonly<Record<string, string>> = { '.sarif': 'sarif', '.json': 'json', '.md': 'markdown', '.markdown': 'markdown' };

/**
 * The format an output file's extension names (`.sarif` → sarif, `.json` → json, `.md` → markdown),
 * when the command has that format; else undefined. Used only when `--format` is not given, so
 * `check -o report.sarif` writes SARIF rather than the text format into a file named `.sarif`.
 */
export function formatOfOutput<F extends string>(output: string | undefined, formats: readonly F[]): F | undefined {
  if (output === undefined) return undefined;
  const format = BY_EXTENSION[extname(output).toLowerCase()];
  return (formats as readonly string[]).includes(format ?? '') ? (format as F) : undefined;
}
