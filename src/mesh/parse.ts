import { isAlias, parseAllDocuments, visit, type Document, type Node as YamlNode } from 'yaml';
import type { FieldPath, FileLocation, SourceOrigin } from './types.js';
import { fastParseYaml, fastYamlPositions, type FastYamlDoc } from './fast-yaml.js';
import { JsonProblem, parseJson } from './json.js';
import { kindInfo } from './kinds.js';
import { LineIndex } from './lines.js';
import { locateInPosTree, locateInYamlNode, type OffsetLocator, type PosNode } from './locate.js';
import { problem, type InputProblem } from './problems.js';

/** A Kubernetes object as read from a file, before it is typed into the graph. */
export interface ManifestObject {
  readonly body: Record<string, unknown>;
  /** The file as given on the command line (or `-`). */
  readonly file: string;
  /** 0-based index of the YAML document in the file (0 for JSON). */
  readonly docIndex: number;
  /** Index in the `items` of a `kind: List` document, else null. */
  readonly itemIndex: number | null;
  /** Where the object starts. */
  readonly location: FileLocation;
  /** The closest existing node along `path` (relative to the object). */
  readonly locate: (path: FieldPath) => FileLocation;
  /** TypeScript origin from a cdk8s source map, attached by the loader. */
  readonly source: SourceOrigin | null;
}

/** One input file after parsing. */
export interface ParsedFile {
  /** As given on the command line, or joined from the directory given (`-` for stdin). */
  readonly file: string;
  /** Absolute path on disk; null for stdin. */
  readonly absolutePath: string | null;
  readonly format: 'yaml' | 'json';
  readonly bytes: number;
  readonly documents: number;
  readonly objects: readonly ManifestObject[];
}

export interface ParseOptions {
  /** YAML alias expansions allowed per document before it is refused (billion laughs). @default 100 */
  readonly maxAliasCount?: number;
  /** `json`, `yaml`, or sniff: JSON when the text starts with `{` or `[` and parses as JSON. @default 'auto' */
  readonly format?: 'json' | 'yaml' | 'auto';
}

interface RawDocument {
  readonly index: number;
  readonly value: unknown;
  readonly offset: number;
  /** Offset locator relative to the document root; built lazily. */
  readonly locate: OffsetLocator;
}

/**
 * Parses one file's text into manifest objects. Pure: never throws on bad input; every problem
 * is returned with file, line and column.
 */
export function parseManifests(
  text: string,
  file: string,
  absolutePath: string | null,
  opts: ParseOptions = {},
): { file: ParsedFile; problems: InputProblem[] } {
  const lines = new LineIndex(file, text);
  const problems: InputProblem[] = [];
  const format = opts.format ?? 'auto';
  let docs: RawDocument[];
  let actual: 'yaml' | 'json' = 'yaml';
  try {
    const asJson = format === 'json' || (format === 'auto' && /^\s*[[{]/.test(text.slice(0, 256)));
    const json = asJson ? readJson(text, lines, problems, format === 'json') : null;
    if (json) actual = 'json';
    docs = json ?? readYaml(text, lines, problems, opts.maxAliasCount ?? 100);
  } catch (e) {
    // Only pathological input gets here (e.g. nesting deep enough to exhaust the stack).
    problems.push(problem('input/syntax', `cannot parse: ${(e as Error).message}`, lines.at(0)));
    docs = [];
  }
  const objects: ManifestObject[] = [];
  for (const doc of docs) extractObjects(doc, lines, objects, problems);
  return {
    file: { file, absolutePath, format: actual, bytes: Buffer.byteLength(text), documents: docs.length, objects },
    problems,
  };
}

function readJson(text: string, lines: LineIndex, problems: InputProblem[], strict: boolean): RawDocument[] | null {
  try {
    const r = parseJson(text);
    for (const d of r.duplicates) problems.push(problem('input/duplicate-key', `${d.message}: JSON keeps only the last value, so the object is ambiguous`, lines.at(d.offset)));
    if (r.duplicates.length > 0) return [];
    let pos: PosNode | undefined;
    const locate: OffsetLocator = (path) => locateInPosTree((pos ??= parseJson(text, true).pos!), path);
    return [{ index: 0, value: r.value, offset: r.offset, locate }];
  } catch (e) {
    if (!(e instanceof JsonProblem)) throw e;
    if (!strict) return null;
    problems.push(problem('input/syntax', `malformed JSON: ${e.message}`, lines.at(e.offset)));
    return [];
  }
}

function readYaml(text: string, lines: LineIndex, problems: InputProblem[], maxAliasCount: number): RawDocument[] {
  let fast: FastYamlDoc[] | null = null;
  try {
    fast = fastParseYaml(lines);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
  }
  if (fast) {
    return fast.map((d, index) => {
      let pos: PosNode | undefined;
      return {
        index,
        value: d.value,
        offset: contentOffset(lines, d),
        locate: (path) => locateInPosTree((pos ??= fastYamlPositions(lines, d)), path),
      };
    });
  }
  const deep = deepFlowNesting(text);
  if (deep >= 0) {
    problems.push(problem('input/syntax', `malformed YAML: flow collections nested deeper than ${MAX_FLOW_DEPTH} levels; refusing to parse`, lines.at(deep)));
    return [];
  }
  return readYamlFully(text, lines, problems, maxAliasCount);
}

const MAX_FLOW_DEPTH = 512;
const MAX_ERRORS_PER_DOCUMENT = 5;

/**
 * Offset where `[`/`{` nesting first exceeds MAX_FLOW_DEPTH, or -1. `yaml` exhausts the heap on
 * very deep flow nesting (a crash, not an exception), so such input is refused before it gets there.
 * Quoted scalars and comments are skipped; this is a bound, not a parser.
 */
function deepFlowNesting(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) {
      if (++depth > MAX_FLOW_DEPTH) return i;
    } else if (c === 93 || c === 125) {
      if (depth > 0) depth--;
    } else if (c === 34 || c === 39) {
      for (i++; i < text.length && text.charCodeAt(i) !== c; i++) if (c === 34 && text.charCodeAt(i) === 92) i++;
    } else if (c === 35 && (i === 0 || text.charCodeAt(i - 1) <= 32)) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    }
  }
  return -1;
}

function contentOffset(lines: LineIndex, d: FastYamlDoc): number {
  for (let i = d.startLine; i < d.endLine; i++) {
    const s = lines.line(i);
    const t = s.trimStart();
    if (t !== '' && !t.startsWith('#')) return lines.starts[i]! + (s.length - t.length);
  }
  return d.offset;
}

function readYamlFully(text: string, lines: LineIndex, problems: InputProblem[], maxAliasCount: number): RawDocument[] {
  const parsed = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
  const all: Document[] = Array.isArray(parsed) ? parsed : [];
  const out: RawDocument[] = [];
  all.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const err of doc.errors.slice(0, MAX_ERRORS_PER_DOCUMENT)) {
        const code = err.code === 'DUPLICATE_KEY' ? 'input/duplicate-key' : 'input/syntax';
        const what = code === 'input/duplicate-key' ? 'duplicate key' : 'malformed YAML';
        problems.push(problem(code, `${what}: ${firstLine(err.message)}`, lines.at(err.pos[0])));
      }
      const more = doc.errors.length - MAX_ERRORS_PER_DOCUMENT;
      if (more > 0) problems.push(problem('input/syntax', `malformed YAML: ${more} more errors in document ${index} not shown`, lines.at(doc.errors[MAX_ERRORS_PER_DOCUMENT]!.pos[0])));
      return;
    }
    for (const w of doc.warnings) problems.push(problem('input/syntax', `YAML warning: ${firstLine(w.message)}`, lines.at(w.pos[0]), 'warning'));
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount });
    } catch (e) {
      if (!(e instanceof ReferenceError)) throw e;
      const at = firstAlias(doc) ?? doc.contents?.range?.[0] ?? 0;
      problems.push(problem('input/alias-limit', `YAML aliases expand beyond the limit of ${maxAliasCount} (a "billion laughs" document?); refusing it. Raise --max-alias-count if this is intended`, lines.at(at)));
      return;
    }
    const root = doc.contents as YamlNode | null;
    out.push({
      index,
      value,
      offset: root?.range?.[0] ?? doc.range?.[0] ?? 0,
      locate: (path) => (root ? locateInYamlNode(root, path) : (doc.range?.[0] ?? 0)),
    });
  });
  return out;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function firstAlias(doc: Document): number | undefined {
  let at: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (isAlias(node) && node.range) at = Math.min(at ?? Infinity, node.range[0]);
    },
  });
  return at;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeValue(v: unknown): string {
  if (Array.isArray(v)) return 'a sequence';
  if (v === null) return 'null';
  return `a ${typeof v} (${JSON.stringify(v)?.slice(0, 40)})`;
}

/** Turns one document into objects, expanding `kind: List`, validating the object header. */
function extractObjects(doc: RawDocument, lines: LineIndex, out: ManifestObject[], problems: InputProblem[]): void {
  if (doc.value === null || doc.value === undefined) return;
  const at = (path: FieldPath) => lines.at(doc.locate(path));
  if (!isRecord(doc.value)) {
    problems.push(problem('input/not-an-object', `document ${doc.index} is ${describeValue(doc.value)}, not a Kubernetes object (a mapping with apiVersion, kind and metadata)`, lines.at(doc.offset)));
    return;
  }
  const body = doc.value;
  if (typeof body.kind === 'string' && body.kind.endsWith('List') && Array.isArray(body.items)) {
    body.items.forEach((item, i) => {
      const prefix: FieldPath = ['items', i];
      if (!isRecord(item)) {
        problems.push(problem('input/not-an-object', `${body.kind} item ${i} is ${describeValue(item)}, not a Kubernetes object`, at(prefix)));
        return;
      }
      addObject(item, doc, i, prefix, lines, out, problems);
    });
    return;
  }
  addObject(body, doc, null, [], lines, out, problems);
}

function addObject(
  body: Record<string, unknown>,
  doc: RawDocument,
  itemIndex: number | null,
  prefix: FieldPath,
  lines: LineIndex,
  out: ManifestObject[],
  problems: InputProblem[],
): void {
  const locate = (path: FieldPath) => lines.at(doc.locate([...prefix, ...path]));
  const location = prefix.length === 0 ? lines.at(doc.offset) : locate([]);
  const what = itemIndex === null ? `document ${doc.index}` : `document ${doc.index} item ${itemIndex}`;

  const bad = findKeys(body, FORBIDDEN);
  for (const path of bad) {
    const name = path[path.length - 1];
    if (name === '__proto__') {
      problems.push(problem('input/forbidden-key', `key "__proto__" at ${formatPath(path)} is not allowed (prototype pollution); the object is rejected`, locate(path)));
    } else {
      problems.push(problem('input/suspicious-key', `key "${String(name)}" at ${formatPath(path)} is unusual; kept as plain data`, locate(path), 'warning'));
    }
  }
  if (bad.some((p) => p[p.length - 1] === '__proto__')) return;

  const metadata = body.metadata;
  const missing: string[] = [];
  if (typeof body.apiVersion !== 'string' || body.apiVersion === '') missing.push('apiVersion');
  if (typeof body.kind !== 'string' || body.kind === '') missing.push('kind');
  if (!isRecord(metadata) || typeof metadata.name !== 'string' || metadata.name === '') missing.push('metadata.name');
  if (missing.length > 0) {
    const path = missing[0] === 'metadata.name' ? ['metadata', 'name'] : [missing[0]!];
    problems.push(problem('input/missing-field', `${what} has no ${missing.join(', ')}: every Kubernetes object needs apiVersion, kind and metadata.name (a non-empty string)`, locate(path)));
    return;
  }
  const kind = body.kind as string;
  const apiVersion = body.apiVersion as string;
  if (!kindInfo(kind, apiVersion)) {
    problems.push(problem('input/unknown-kind', `${kind} (${apiVersion}) "${(metadata as Record<string, unknown>).name as string}" is not a kind meshproof models; rules ignore it`, location, 'info', false));
  }
  out.push({ body, file: lines.file, docIndex: doc.index, itemIndex, location, locate, source: null });
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Paths of every own key in `names`, anywhere in `value`. */
function findKeys(value: unknown, names: ReadonlySet<string>): FieldPath[] {
  const found: FieldPath[] = [];
  const path: (string | number)[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item = v[i];
        if (typeof item !== 'object' || item === null) continue;
        path.push(i);
        walk(item);
        path.pop();
      }
    } else if (typeof v === 'object' && v !== null) {
      for (const k of Object.keys(v)) {
        if (names.has(k)) found.push([...path, k]);
        const child = (v as Record<string, unknown>)[k];
        if (typeof child !== 'object' || child === null) continue;
        path.push(k);
        walk(child);
        path.pop();
      }
    }
  };
  walk(value);
  return found;
}

/** `spec.http[0].route[1].weight` */
export function formatPath(path: FieldPath): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s || '(root)';
}
