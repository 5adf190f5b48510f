import { parseManifests, type ManifestObject, type ParsedFile } from './parse.js';
import { problem, type InputProblem } from './problems.js';
import { decodeText, expandPaths, readBytes, type ByteBudget } from './read.js';
import { SourceMapResolver } from './source-map.js';

export type { ManifestObject, ParsedFile } from './parse.js';
export type { InputProblem, InputProblemCode } from './problems.js';

/** The input limits of one load, with their defaults. */
export interface InputLimits {
  /** Bytes read in total, across every file and stdin. @default 64 MiB */
  readonly maxInputBytes: number;
  /** YAML documents read in total, across every file and stdin. @default 200,000 */
  readonly maxDocuments: number;
  /** YAML alias expansions allowed per document (billion laughs). @default 100 */
  readonly maxAliasCount: number;
}

export const DEFAULT_LIMITS: InputLimits = { maxInputBytes: 64 * 1024 * 1024, maxDocuments: 200_000, maxAliasCount: 100 };

export interface LoadOptions extends Partial<InputLimits> {
  /** Content for the path `-`: a string, or a stream read incrementally within the byte limit (e.g. `process.stdin`). */
  readonly stdin?: string | AsyncIterable<Buffer | string> | Iterable<Buffer | string>;
  /** Globs of paths to leave out (relative to `cwd`; a glob without `/` matches a name anywhere). */
  readonly exclude?: readonly string[];
  /** Explicit `.meshproof/sourcemap.json`; by default searched upward from each manifest. */
  readonly sourceMap?: string;
  /** Base for relative paths. @default process.cwd() */
  readonly cwd?: string;
}

export interface LoadResult {
  /** Files in input order (directories expanded in sorted order), including files with problems. */
  readonly files: ParsedFile[];
  readonly problems: InputProblem[];
  /** Bytes and YAML documents read, counted against the limits. */
  readonly bytes: number;
  readonly documents: number;
}

/**
 * Reads and parses manifests from files, directories and stdin (`-`), attaching cdk8s source
 * origins. Never throws for bad input: everything wrong is an `InputProblem`. The limits hold
 * for the whole input: once one is reached, reading stops with an unusable problem, so memory
 * stays bounded whatever the input (an endless stdin, millions of `---`, gigabytes of files).
 */
export async function loadInputs(paths: readonly string[], opts: LoadOptions = {}): Promise<LoadResult> {
  const limits: InputLimits = {
    maxInputBytes: opts.maxInputBytes ?? DEFAULT_LIMITS.maxInputBytes,
    maxDocuments: opts.maxDocuments ?? DEFAULT_LIMITS.maxDocuments,
    maxAliasCount: opts.maxAliasCount ?? DEFAULT_LIMITS.maxAliasCount,
  };
  const expanded = await expandPaths(paths, opts.cwd ?? process.cwd(), opts.exclude);
  const problems = [...expanded.problems];
  const files: ParsedFile[] = [];
  const sources = new SourceMapResolver(opts.sourceMap);
  const budget: ByteBudget = { limit: limits.maxInputBytes, used: 0 };
  let documents = 0;
  for (const input of expanded.files) {
    const bytes = await readBytes(input, budget, opts.stdin);
    if (!Buffer.isBuffer(bytes)) {
      problems.push(bytes);
      if (bytes.code === 'input/too-large') break;
      continue;
    }
    const text = decodeText(input.file, bytes);
    if (typeof text !== 'string') {
      problems.push(text);
      continue;
    }
    const format = input.absolutePath?.toLowerCase().endsWith('.json') ? 'json' : 'yaml';
    const parsed = parseManifests(text, input.file, input.absolutePath, { format, maxAliasCount: limits.maxAliasCount, maxDocuments: limits.maxDocuments - documents });
    documents += parsed.file.documents;
    problems.push(...parsed.problems);
    files.push(input.absolutePath ? await attachSources(parsed.file, input.absolutePath, sources) : parsed.file);
    if (parsed.truncated) {
      problems.push(problem('input/too-many-documents', `${input.file} takes the input past the limit of ${limits.maxDocuments.toLocaleString('en-US')} YAML documents; the documents after it and the rest of the input are not checked. Raise --max-documents (or limits.maxDocuments in meshproof.config.yaml), or check fewer files at once`, { file: input.file, line: 1, column: 1 }));
      break;
    }
  }
  problems.push(...sources.problems);
  return { files, problems, bytes: budget.used, documents };
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
