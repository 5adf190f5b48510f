import type { FieldPath, FileLocation, SourceOrigin } from './types.js';
import { isModelledKind } from './kinds.js';
import { unservedReason } from './served-versions.js';
import { LineIndex } from './lines.js';
import { describeValue, expandLists, isRecord } from './lists.js';
import { problem, type InputProblem } from './problems.js';
import type { LocatorCache } from './yaml-memory.js';
import { formatPath, readYamlDocuments, type ReadStop, type YamlDocument } from './yaml-reader.js';

export { formatPath } from './yaml-reader.js';

/** A Kubernetes object as read from a file, before it is typed into the graph. */
export interface ManifestObject {
  readonly body: Record<string, unknown>;
  /** The file as given on the command line (or `-`). */
  readonly file: string;
  /** 0-based index of the YAML document in the file (0 for JSON). */
  readonly docIndex: number;
  /** Index among the objects a List document expands to (nested Lists flattened in order), else null. */
  readonly itemIndex: number | null;
  /** Where the object starts. */
  readonly location: FileLocation;
  /** The closest existing node along `path` (relative to the object). */
  readonly locate: (path: FieldPath) => FileLocation;
  /** TypeScript origin from a cdk8s source map, attached by the loader. */
  readonly source: SourceOrigin | null;
  /**
   * The file's text from this object's document to the next document (to the end of the file for
   * the last). Two objects of one file, document and item with equal spans and locations have equal
   * positions for every field path, so a graph may keep the earlier one in place of the later
   * (`GraphOptions.previous`). Absent for objects not read from text (then never kept).
   */
  readonly span?: string;
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
  /** `json` also checks the text is strict JSON (RFC 8259); both are read by the same YAML reader. @default 'yaml' */
  readonly format?: 'json' | 'yaml';
  /** Documents this file may hold before reading stops with `input/too-many-documents`. @default unlimited */
  readonly maxDocuments?: number;
  /** YAML nodes (scalars, aliases, collections, sequence items) this file may hold. @default unlimited */
  readonly maxNodes?: number;
  /** Collection nesting levels allowed. @default unlimited */
  readonly maxDepth?: number;
  /** Characters a scalar may hold, as written. @default unlimited */
  readonly maxScalarLength?: number;
  /** Where located documents' `yaml` node trees are kept (bounded), shared by the files of one load. @default one for this file */
  readonly locators?: LocatorCache;
}

/** How far a file was read, for the input-wide limits. */
export interface ParseProgress {
  /** Reading stopped at `maxDocuments`; the first document not read starts here. */
  readonly truncatedAt: FileLocation | null;
  /** YAML nodes read. */
  readonly nodes: number;
  /** Reading stopped at the node, depth or scalar-length limit (the caller words the problem). */
  readonly stopped: (Omit<ReadStop, 'offset'> & { readonly location: FileLocation }) | null;
}

/**
 * Parses one file's text into manifest objects with the Kubernetes YAML reader (JSON is read by
 * the same reader, after a strict-JSON check for `.json` files). Pure: never throws on bad input;
 * every problem is returned with file, line and column. `truncated` says the document limit was hit.
 */
export function parseManifests(
  text: string,
  file: string,
  absolutePath: string | null,
  opts: ParseOptions = {},
): { file: ParsedFile; problems: InputProblem[]; truncated: boolean } & ParseProgress {
  const lines = new LineIndex(file, text);
  const problems: InputProblem[] = [];
  const format = opts.format ?? 'yaml';
  const empty = (documents = 0) => ({ file: { file, absolutePath, format, bytes: Buffer.byteLength(text), documents, objects: [] }, problems, truncated: false, truncatedAt: null, nodes: 0, stopped: null });

  const bom = text.indexOf('\ufeff');
  if (bom >= 0) {
    problems.push(problem('input/bom', `a byte-order mark (U+FEFF, bytes EF BB BF) inside the stream: YAML allows one only at the very start of a file, and here it becomes part of the text that follows (e.g. a key "\\ufeffapiVersion"). It usually comes from concatenating files; remove it`, lines.at(bom)));
    return empty();
  }
  if (format === 'json') {
    const error = jsonSyntaxError(text);
    if (error) {
      problems.push(problem('input/syntax', `malformed JSON: ${error.message}`, lines.at(error.offset)));
      return empty();
    }
  }
  let read;
  try {
    read = readYamlDocuments(lines, {
      maxAliasCount: opts.maxAliasCount ?? 100,
      maxDocuments: opts.maxDocuments ?? Infinity,
      maxNodes: opts.maxNodes ?? Infinity,
      maxDepth: opts.maxDepth ?? Infinity,
      maxScalarLength: opts.maxScalarLength ?? Infinity,
      ...(opts.locators ? { locators: opts.locators } : {}),
    });
  } catch (e) {
    // Only pathological input gets here (e.g. nesting deep enough to exhaust the stack).
    problems.push(problem('input/syntax', `cannot parse: ${(e as Error).message}`, lines.at(0)));
    return empty();
  }
  for (const p of read.problems) problems.push(p);
  const progress: ParseProgress = {
    truncatedAt: read.truncatedAt === null ? null : lines.at(read.truncatedAt),
    nodes: read.nodes,
    stopped: read.stopped && { code: read.stopped.code, document: read.stopped.document, reached: read.stopped.reached, location: lines.at(read.stopped.offset) },
  };
  const nonManifest = notAManifest(read.docs);
  if (nonManifest) {
    problems.push(problem('input/not-a-manifest', `${file} holds no Kubernetes objects (${nonManifest}); skipped. Exclude it (exclude in meshproof.config.yaml, or --exclude) to silence this notice`, lines.at(0), 'info', false));
    return { ...empty(read.documents), truncated: read.truncated, ...progress };
  }
  const objects: ManifestObject[] = [];
  read.docs.forEach((doc, i) => extractObjects(doc, text.slice(doc.offset, read.docs[i + 1]?.offset ?? text.length), lines, objects, problems));
  return {
    file: { file, absolutePath, format, bytes: Buffer.byteLength(text), documents: read.documents, objects },
    problems,
    truncated: read.truncated,
    ...progress,
  };
}

/** JSON.parse as the strictness check for `.json` files; the position comes from V8's message. */
function jsonSyntaxError(text: string): { message: string; offset: number } | null {
  try {
    JSON.parse(text);
    return null;
  } catch (e) {
    const message = (e as Error).message;
    const at = /at position (\d+)/.exec(message);
    const offset = at ? Number(at[1]) : /end of JSON input/.test(message) ? text.length : 0;
    return { message: message.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected end of JSON input$/, 'unexpected end of input'), offset };
  }
}

const KUBERNETES_KEYS = ['apiVersion', 'kind', 'metadata', 'items'];
/** API groups of configuration files that look like objects but are never applied to a cluster. */
const CONFIG_GROUPS = /^(?:kustomize\.config\.k8s\.io|config\.kubernetes\.io|skaffold\/|kind\.x-k8s\.io)/;

/**
 * Why a file is not a manifest file, or null: every document is a mapping without any of
 * apiVersion, kind, metadata or items (Helm values, other tools' configuration), or a
 * kustomize/kind/skaffold configuration object.
 */
function notAManifest(docs: readonly YamlDocument[]): string | null {
  const values = docs.map((d) => d.value).filter((v) => v !== null && v !== undefined);
  if (values.length === 0 || !values.every(isRecord)) return null;
  const records = values as Record<string, unknown>[];
  if (records.every((r) => !KUBERNETES_KEYS.some((k) => Object.hasOwn(r, k)))) return 'no document has apiVersion, kind or metadata';
  const config = records.find((r) => typeof r.apiVersion === 'string' && CONFIG_GROUPS.test(r.apiVersion));
  if (config && records.every((r) => typeof r.apiVersion === 'string' && CONFIG_GROUPS.test(r.apiVersion))) return `${String(config.kind)} (${String(config.apiVersion)}) is tool configuration, not an object for the cluster`;
  return null;
}

/** Turns one document into objects, expanding Lists, validating the object header. */
function extractObjects(doc: YamlDocument, span: string, lines: LineIndex, out: ManifestObject[], problems: InputProblem[]): void {
  if (doc.value === null || doc.value === undefined) return;
  if (!isRecord(doc.value)) {
    problems.push(problem('input/not-an-object', `document ${doc.index} is ${describeValue(doc.value)}, not a Kubernetes object (a mapping with apiVersion, kind and metadata)`, lines.at(doc.offset)));
    return;
  }
  const what = `document ${doc.index}`;
  const expanded = expandLists(doc.value, what);
  for (const p of expanded.problems) problems.push(problem(p.code, p.message, lines.at(doc.locate(p.path))));
  const inList = expanded.objects.length !== 1 || expanded.objects[0]!.path.length > 0;
  expanded.objects.forEach((o, i) => addObject(o.body, doc, span, inList ? i : null, o.path, lines, out, problems));
}

function addObject(
  body: Record<string, unknown>,
  doc: YamlDocument,
  span: string,
  itemIndex: number | null,
  prefix: FieldPath,
  lines: LineIndex,
  out: ManifestObject[],
  problems: InputProblem[],
): void {
  const locate = (path: FieldPath) => lines.at(doc.locate([...prefix, ...path]));
  const location = prefix.length === 0 ? lines.at(doc.offset) : locate([]);
  const what = prefix.length === 0 ? `document ${doc.index}` : `document ${doc.index} ${formatPath(prefix)}`;

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
  const fields: [string, FieldPath, unknown][] = [
    ['apiVersion', ['apiVersion'], body.apiVersion],
    ['kind', ['kind'], body.kind],
    ['metadata.name', ['metadata', 'name'], isRecord(metadata) ? metadata.name : undefined],
  ];
  const wrong = fields.filter(([, , v]) => typeof v !== 'string' || v === '');
  if (wrong.length > 0) {
    const missing = wrong.filter(([, , v]) => v === undefined || v === null).map(([f]) => f);
    const typed = wrong.filter(([, , v]) => v !== undefined && v !== null).map(([f, , v]) => notAString(f, v));
    const kind = typeof body.kind === 'string' && body.kind !== '' ? ` (${body.kind})` : '';
    const said = [...(missing.length > 0 ? [`has no ${missing.join(', ')}`] : []), ...typed].join('; ');
    problems.push(problem('input/missing-field', `${what}${kind}: ${said}. Every Kubernetes object needs apiVersion, kind and metadata.name as non-empty strings`, locate(wrong[0]![1])));
    return;
  }
  const kind = body.kind as string;
  const apiVersion = body.apiVersion as string;
  const unserved = unservedReason(kind, apiVersion);
  if (unserved !== undefined) {
    // Not unusable (the rest of the input is checked) but an error: the object is refused, never modelled.
    problems.push(problem('input/unserved-kind', `${kind} (${apiVersion}) "${(metadata as Record<string, unknown>).name as string}": ${unserved}`, locate(unserved.startsWith('kind') ? ['kind'] : ['apiVersion']), 'error', false));
    return;
  }
  if (!isModelledKind(kind, apiVersion)) {
    problems.push(problem('input/unknown-kind', `${kind} (${apiVersion}) "${(metadata as Record<string, unknown>).name as string}" is not a kind meshproof models; rules ignore it`, location, 'info', false));
  }
  out.push({ body, file: lines.file, docIndex: doc.index, itemIndex, location, locate, source: null, span });
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Paths of every own key in `names`, anywhere in `value` (shared subtrees from aliases are walked once). */
function findKeys(value: unknown, names: ReadonlySet<string>): FieldPath[] {
  const found: FieldPath[] = [];
  const path: (string | number)[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item = v[i];
        if (typeof item !== 'object' || item === null) continue;
        path.push(i);
        walk(item);
        path.pop();
      }
    } else {
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

/**
 * `metadata.name is the number 5, not a string (…): quote it as written, e.g. name: "5"`: a field that is
 * there with another type than string, or empty. An unquoted number or YAML 1.1 boolean is the
 * usual cause (`name: 5`, `name: 0100`, `name: no`), so the fix is quotes.
 */
function notAString(field: string, value: unknown): string {
  if (value === '') return `${field} is empty; give it a value`;
  const key = field.split('.').pop()!;
  if (typeof value === 'number' || typeof value === 'boolean') {
    const read = typeof value === 'number' ? 'an unquoted number' : 'an unquoted yes, no, on, off, true or false';
    return `${field} is the ${typeof value} ${String(value)}, not a string (YAML reads ${read} so): quote it as written, e.g. ${key}: "${String(value)}"`;
  }
  const shown = Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : typeof value;
  return `${field} is ${shown}, not a string: write one value, e.g. ${key}: ${key === 'name' ? 'web' : key === 'kind' ? 'Service' : 'v1'}`;
}
