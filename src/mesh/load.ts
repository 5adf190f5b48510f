import { oldSpaceLimit } from './heap-guard.js';
import { parseManifests, type ManifestObject, type ParsedFile, type ParseProgress } from './parse.js';
import { problem, type InputProblem } from './problems.js';
import { decodeText, expandPaths, readBytes, type ByteBudget } from './read.js';
import { SourceMapResolver } from './source-map.js';
import { newLocatorCache } from './yaml-memory.js';

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
  /**
   * YAML nodes read in total, across every file and stdin: scalars, aliases, flow collections and
   * block sequence items (a `key: value` line is 2). Bounds memory (a document's parse tree takes ~1 KB a node). @default 1,000,000 (an 8 MB file of VirtualServices is ~760,000)
   */
  readonly maxNodes: number;
  /**
   * Collection nesting levels allowed in a document. go-yaml v3 refuses 10,000; no Kubernetes
   * object comes near 100. @default 100
   */
  readonly maxDepth: number;
  /**
   * Characters a scalar may hold as written (quotes and escapes included). The API server refuses
   * objects over 1.5 MiB (etcd's request limit), so no scalar it accepts is longer. @default 2 Mi (2,097,152)
   */
  readonly maxScalarLength: number;
}

export const DEFAULT_LIMITS: InputLimits = {
  maxInputBytes: 64 * 1024 * 1024,
  maxDocuments: 200_000,
  maxAliasCount: 100,
  maxNodes: 1_000_000,
  maxDepth: 100,
  maxScalarLength: 2 * 1024 * 1024,
};

export interface LoadOptions extends Partial<InputLimits> {
  /** Content for the path `-`: a string, or a stream read incrementally within the byte limit (e.g. `process.stdin`). */
  readonly stdin?: string | AsyncIterable<Buffer | string> | Iterable<Buffer | string>;
  /** Globs of paths to leave out (relative to `cwd`; a glob without `/` matches a name anywhere). */
  readonly exclude?: readonly string[];
  /**
   * Another name (relative to `cwd`, forward slashes) each path is also judged by against `exclude`;
   * `diff` gives a base file the path the same file has in the head tree, so one glob leaves it out
   * of both sides.
   */
  readonly excludeAlsoAs?: (relative: string) => string | undefined;
  /** Explicit `.meshproof/sourcemap.json`; by default searched upward from each manifest. */
  readonly sourceMap?: string;
  /** Base for relative paths. @default process.cwd() */
  readonly cwd?: string;
}

export interface LoadResult {
  /** Files parsed, in input order (directories expanded in sorted order), including files with problems found while parsing. */
  readonly files: ParsedFile[];
  /**
   * Files opened, parsed or not: `files` plus those refused before parsing (binary or not UTF-8,
   * unreadable, a dangling symlink, over the byte limit). The count a summary reports as "in N files".
   */
  readonly filesRead: number;
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
    maxNodes: opts.maxNodes ?? DEFAULT_LIMITS.maxNodes,
    maxDepth: opts.maxDepth ?? DEFAULT_LIMITS.maxDepth,
    maxScalarLength: opts.maxScalarLength ?? DEFAULT_LIMITS.maxScalarLength,
  };
  const expanded = await expandPaths(paths, opts.cwd ?? process.cwd(), opts.exclude, opts.excludeAlsoAs);
  const problems = [...expanded.problems];
  const files: ParsedFile[] = [];
  const sources = new SourceMapResolver(opts.sourceMap);
  const budget: ByteBudget = { limit: limits.maxInputBytes, used: 0 };
  const locators = newLocatorCache();
  let documents = 0;
  let nodes = 0;
  let filesRead = expanded.refused;
  for (const input of expanded.files) {
    filesRead++;
    const read = await readBytes(input, budget, opts.stdin, limits.maxDocuments - documents);
    if (!Buffer.isBuffer(read) && !('cutAt' in read)) {
      problems.push(read);
      if (read.code === 'input/too-large') break;
      continue;
    }
    const bytes = Buffer.isBuffer(read) ? read : read.bytes;
    const cut = Buffer.isBuffer(read) ? null : read.cutAt;
    const text = decodeText(input.file, bytes);
    if (typeof text !== 'string') {
      problems.push(text);
      continue;
    }
    const format = input.absolutePath?.toLowerCase().endsWith('.json') ? 'json' : 'yaml';
    const parsed = parseManifests(text, input.file, input.absolutePath, {
      format,
      maxAliasCount: limits.maxAliasCount,
      maxDocuments: limits.maxDocuments - documents,
      maxNodes: limits.maxNodes - nodes,
      maxDepth: limits.maxDepth,
      maxScalarLength: limits.maxScalarLength,
      locators,
    });
    documents += parsed.file.documents;
    nodes += parsed.nodes;
    for (const p of parsed.problems) problems.push(p);
    files.push(input.absolutePath ? await attachSources(parsed.file, input.absolutePath, sources) : parsed.file);
    if (parsed.stopped) {
      problems.push(stopProblem(input.file, parsed.stopped, limits));
      if (parsed.stopped.code === 'input/too-many-nodes' || parsed.stopped.code === 'input/too-large') break;
      continue;
    }
    if (parsed.truncated || cut !== null) {
      // The stream was cut while read when it held more `---` than the limit allows.
      const where = parsed.truncatedAt ?? { file: input.file, line: lineOf(bytes, bytes.length), column: 1 };
      problems.push(problem('input/too-many-documents', `${input.file} takes the input past the limit of ${limits.maxDocuments.toLocaleString('en-US')} YAML documents (${documents.toLocaleString('en-US')} read, up to line ${where.line}); the documents after it and the rest of the input are not checked. Raise --max-documents (or limits.maxDocuments in meshproof.config.yaml), or check fewer files at once`, where));
      break;
    }
  }
  problems.push(...sources.problems);
  return { files, filesRead, problems, bytes: budget.used, documents };
}

function stopProblem(file: string, stop: NonNullable<ParseProgress['stopped']>, limits: InputLimits): InputProblem {
  const n = (v: number) => v.toLocaleString('en-US');
  const doc = `document ${stop.document}`;
  switch (stop.code) {
    case 'input/too-many-nodes':
      return problem(stop.code, `${file} ${doc} takes the input past the limit of ${n(limits.maxNodes)} YAML nodes (scalars, aliases, collections and sequence items, across all files); it and the rest of the input are not checked. Raise --max-nodes (or limits.maxNodes in meshproof.config.yaml), or check fewer files at once`, stop.location);
    case 'input/too-deep':
      return problem(stop.code, `${file} ${doc} nests collections more than ${n(limits.maxDepth)} levels deep (no Kubernetes object needs that many); the rest of the file is not checked. Flatten the structure, or raise --max-depth (or limits.maxDepth in meshproof.config.yaml)`, stop.location);
    case 'input/too-large': {
      const limit = oldSpaceLimit();
      return problem(stop.code, `${file} ${doc} takes more memory than this Node process may use: ${n(Math.round(stop.reached / 1024 / 1024))} MiB of its ${n(Math.round(limit / 1024 / 1024))} MiB heap (old space) were in use when reading stopped; it and the rest of the input are not checked. Give Node a larger heap (NODE_OPTIONS=--max-old-space-size=${Math.ceil((limit * 2) / 1024 / 1024)}), check fewer files at once, or lower --max-input-size (limits.maxInputBytes) so the input is refused before it is read`, stop.location);
    }
    case 'input/scalar-too-long':
      return problem(stop.code, `${file} ${doc} has a scalar of ${n(stop.reached)} characters, over the limit of ${n(limits.maxScalarLength)} (the API server refuses objects over 1.5 MiB); the rest of the file is not checked. Move the data out of the manifest, or raise --max-scalar-length (or limits.maxScalarLength in meshproof.config.yaml)`, stop.location);
  }
}

function lineOf(bytes: Buffer, end: number): number {
  let line = 1;
  for (let i = bytes.indexOf(10); i !== -1 && i < end; i = bytes.indexOf(10, i + 1)) line++;
  return line;
}

async function attachSources(file: ParsedFile, absolutePath: string, sources: SourceMapResolver): Promise<ParsedFile> {
  const objects: ManifestObject[] = [];
  for (const o of file.objects) {
    const meta = o.body.metadata as { name: string; namespace?: unknown };
    // Kind and namespace too: an entry written for another object at this document index (a
    // hand-written document inserted before it) is not this object's.
    const identity = { kind: String(o.body.kind), ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}) };
    const source = await sources.originOf(absolutePath, o.docIndex, meta.name, identity);
    objects.push(source ? { ...o, source } : o);
  }
  return { ...file, objects };
}
