import { parseManifests, type ManifestObject, type ParsedFile } from './parse.js';
import type { InputProblem } from './problems.js';
import { decodeText, expandPaths, readBytes } from './read.js';
import { SourceMapResolver } from './source-map.js';

export type { ManifestObject, ParsedFile } from './parse.js';
export type { InputProblem, InputProblemCode } from './problems.js';

/** Default for `LoadOptions.maxFileBytes`: 64 MiB. */
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface LoadOptions {
  /** Content for the path `-`: a string, or a stream read to its end (e.g. `process.stdin`). */
  readonly stdin?: string | NodeJS.ReadableStream;
  /** Files (and stdin) larger than this are refused before reading. @default 64 MiB */
  readonly maxFileBytes?: number;
  /** YAML alias expansions allowed per document. @default 100 */
  readonly maxAliasCount?: number;
  /** Explicit `.meshproof/sourcemap.json`; by default searched upward from each manifest. */
  readonly sourceMap?: string;
  /** Base for relative paths. @default process.cwd() */
  readonly cwd?: string;
}

export interface LoadResult {
  /** Files in input order (directories expanded in sorted order), including files with problems. */
  readonly files: ParsedFile[];
  readonly problems: InputProblem[];
}

/**
 * Reads and parses manifests from files, directories and stdin (`-`), attaching cdk8s source
 * origins. Never throws for bad input: everything wrong is an `InputProblem`.
 */
export async function loadInputs(paths: readonly string[], opts: LoadOptions = {}): Promise<LoadResult> {
  const maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const expanded = await expandPaths(paths, opts.cwd ?? process.cwd());
  const problems = [...expanded.problems];
  const files: ParsedFile[] = [];
  const sources = new SourceMapResolver(opts.sourceMap);
  for (const input of expanded.files) {
    const bytes = await readBytes(input, maxBytes, opts.stdin);
    if (!Buffer.isBuffer(bytes)) {
      problems.push(bytes);
      continue;
    }
    const text = decodeText(input.file, bytes);
    if (typeof text !== 'string') {
      problems.push(text);
      continue;
    }
    const format = input.absolutePath?.toLowerCase().endsWith('.json') ? 'json' : 'auto';
    const parsed = parseManifests(text, input.file, input.absolutePath, { format, maxAliasCount: opts.maxAliasCount });
    problems.push(...parsed.problems);
    files.push(input.absolutePath ? await attachSources(parsed.file, input.absolutePath, sources) : parsed.file);
  }
  problems.push(...sources.problems);
  return { files, problems };
}

async function attachSources(file: ParsedFile, absolutePath: string, sources: SourceMapResolver): Promise<ParsedFile> {
  const objects: ManifestObject[] = [];
  for (const o of file.objects) {
    const name = (o.body.metadata as { name: string }).name;
    const source = await sources.originOf(absolutePath, o.docIndex, name);
    objects.push(source ? { ...o, source } : o);
  }
  return { ...file, objects };
}
