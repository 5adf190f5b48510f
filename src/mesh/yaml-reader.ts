import { CST, Composer, isAlias, isCollection, isPair, isScalar, Lexer, Parser, visit, type Document, type Node as YamlNode } from 'yaml';
import type { FieldPath } from './types.js';
import { HeapGuard } from './heap-guard.js';
import type { LineIndex } from './lines.js';
import { locateInYamlNode } from './locate.js';
import { problem, type InputProblem } from './problems.js';
import { dialectDifferences, divergentCount, KUBERNETES_YAML, type DialectDifference } from './yaml-dialect.js';
import { FastComposer, UNSUPPORTED } from './yaml-fast-compose.js';
import { unclosedFlowAt, type UnclosedFlow } from './yaml-unclosed-flow.js';
import { cheapQuotes, flattenStrings, newLocatorCache, type Locator, type LocatorCache } from './yaml-memory.js';

/** One YAML document after composition: its value, and where to find it again. */
export interface YamlDocument {
  /** 0-based index of the document in the file. */
  readonly index: number;
  readonly value: unknown;
  /** Offset of the document's root node (or of the document when it is empty). */
  readonly offset: number;
  /** Offset of the closest existing node along `path`, found by composing this document again. */
  readonly locate: (path: FieldPath) => number;
}

export interface ReadYamlOptions {
  /** Alias expansions allowed per document (`yaml`'s maxAliasCount). */
  readonly maxAliasCount: number;
  /** Documents this file may still hold; reading stops after this many. */
  readonly maxDocuments: number;
  /** YAML nodes this file may still hold (see `countsAsNode`); reading stops past it. @default Infinity */
  readonly maxNodes?: number;
  /** Nesting levels of collections allowed (go-yaml v3 stops at 10,000). @default Infinity */
  readonly maxDepth?: number;
  /** Characters a scalar may hold, as written. @default Infinity */
  readonly maxScalarLength?: number;
  /**
   * Reading stops with `input/too-large` once the V8 heap in use passes this share of its limit
   * after a garbage collection (`HeapGuard`, sampled every 4,096 tokens), so that an input the heap
   * cannot hold is refused with a message instead of a V8 "heap out of memory" abort. @default 0.6
   */
  readonly maxHeapShare?: number;
  /** Where the documents' locators are kept, shared by the files of one load. @default a cache for this file alone */
  readonly locators?: LocatorCache;
}

/** Why reading stopped before the end of the file, at `offset`. */
export interface ReadStop {
  readonly code: 'input/too-many-nodes' | 'input/too-deep' | 'input/scalar-too-long' | 'input/too-large';
  readonly offset: number;
  /** Document being read when reading stopped (0-based). */
  readonly document: number;
  /** The node count (too-many-nodes), depth (too-deep), length (scalar-too-long) or heap bytes in use (too-large) reached. */
  readonly reached: number;
}

export interface ReadYamlResult {
  /** Documents without errors, in order. */
  readonly docs: YamlDocument[];
  readonly problems: InputProblem[];
  /** Documents read, including empty and broken ones. */
  readonly documents: number;
  /** Reading stopped at `maxDocuments`. */
  readonly truncated: boolean;
  /** Offset of the first document not read when `truncated`. */
  readonly truncatedAt: number | null;
  /** YAML nodes read (see `countsAsNode`). */
  readonly nodes: number;
  /** Reading stopped at a node, depth or scalar-length limit; the document being read is dropped. */
  readonly stopped: ReadStop | null;
}

const MAX_ERRORS_PER_DOCUMENT = 5;
const MAX_DIALECT_WARNINGS_PER_DOCUMENT = 20;

/**
 * Reads a YAML stream the way Kubernetes does (see yaml-dialect.ts) with `yaml`'s Parser, one
 * document at a time: memory holds one composed document, never the whole stream, and reading
 * stops after `maxDocuments` (a file of 12 million `---` lines costs nothing).
 *
 * Documents are composed by `FastComposer` when the whole file stays within its subset (the
 * common shape of manifests, and no limit reached), else by `yaml`'s Composer, which reports
 * every problem; both give the same values and positions.
 * Positions are not kept: `locate` composes the document's slice of the text again when a finding
 * needs a line, which few do.
 */
export function readYamlDocuments(lines: LineIndex, opts: ReadYamlOptions): ReadYamlResult {
  const hasDirectives = /(?:^|\n)%/.test(lines.text);
  return (hasDirectives ? null : readFast(lines, opts)) ?? readComposed(lines, opts, hasDirectives);
}

/**
 * The file read with `FastComposer`, or null when it leaves its subset or passes the document
 * limit. A node, depth, scalar-length or heap limit reached ends the read here, with the documents
 * before it: they are what `yaml`'s Composer would give (FastComposer accepted each one whole), and
 * reading the file a second time only to stop at the same token doubled the time of such inputs.
 */
export function readFast(lines: LineIndex, opts: ReadYamlOptions): ReadYamlResult | null {
  const text = lines.text;
  const fast = new FastComposer(opts.maxAliasCount);
  const locators = opts.locators ?? newLocatorCache();
  let scanned: Scan;
  try {
    scanned = scanTokens(text, opts, () => fast.docs.length, (token) => {
      fast.next(token);
      return true;
    });
  } catch (e) {
    if (e === UNSUPPORTED) return null;
    throw e;
  }
  if (fast.docs.length > opts.maxDocuments) return null;
  const docs = fast.docs.map((d, index): YamlDocument => {
    const self: YamlDocument = {
      index,
      value: d.value,
      offset: d.offset,
      locate: (path) => {
        const locator = locators.get(self, d.end - d.start, () => composeAgain(text, d.start, d.end, false));
        return locator ? locator(path) : d.start;
      },
    };
    return self;
  });
  return { docs, problems: [], documents: docs.length, truncated: false, truncatedAt: null, nodes: scanned.nodes, stopped: scanned.stopped };
}

/** The file read with `yaml`'s Composer alone: every error, warning and limit reported (the reference `FastComposer` is tested against). */
export function readComposed(lines: LineIndex, opts: ReadYamlOptions, hasDirectives: boolean): ReadYamlResult {
  const text = lines.text;
  const problems: InputProblem[] = [];
  const docs: YamlDocument[] = [];
  const locators = opts.locators ?? newLocatorCache();
  // `yaml`'s Composer yields a document once the next one is composed, so a document's 1.1/1.2
  // differences are counted by the time the one before it is handled, or by its own handling.
  const divergentAt = [divergentCount(), divergentCount()];
  let documents = 0;
  let truncated = false;

  const handle = (doc: Document.Parsed): void => {
    const index = documents++;
    const divergentTwoBack = divergentAt.shift()!;
    divergentAt.push(divergentCount());
    const dupes = doc.errors.length === 0 ? duplicateKeys(doc.contents as YamlNode | null) : [];
    if (dupes.length > 0) {
      for (const d of dupes.slice(0, MAX_ERRORS_PER_DOCUMENT)) problems.push(duplicateKeyProblem(d, lines));
      const more = dupes.length - MAX_ERRORS_PER_DOCUMENT;
      if (more > 0) problems.push(problem('input/syntax', `malformed YAML: ${more} more errors in document ${index} not shown`, lines.at(dupes[MAX_ERRORS_PER_DOCUMENT]!.offset)));
      return;
    }
    if (doc.errors.length > 0) {
      // `yaml` may report a second error where one already is (a key without its colon: "Nested mappings are
      // not allowed in compact mappings", then "Implicit keys need to be on a single line" at the same
      // offset), a consequence of the first: one line per position, the first error, which is the cause.
      const errors = doc.errors.filter((e, i, all) => all.findIndex((o) => o.pos[0] === e.pos[0]) === i);
      // A "[" closed by "}" (`{k: [1, 2}`) leaves the "{" around it unclosed too: that one is a consequence.
      const strayClosers: number[] = [];
      for (const err of errors.slice(0, MAX_ERRORS_PER_DOCUMENT)) {
        const code = err.code === 'DUPLICATE_KEY' ? 'input/duplicate-key' : 'input/syntax';
        const what = code === 'input/duplicate-key' ? 'duplicate key' : 'malformed YAML';
        const unclosed = code === 'input/syntax' ? unclosedFlowAt(text, doc.range[0], doc.range[2], err.pos[0], err.message) : null;
        if (unclosed && strayClosers.some((c) => c > unclosed.offset && text[c] === unclosed.close)) continue;
        if (unclosed?.wrongClose !== undefined) strayClosers.push(unclosed.wrongClose);
        if (unclosed) problems.push(unclosedFlowProblem(unclosed, err.pos[0], lines));
        else problems.push(problem(code, `${what}: ${firstLine(err.message)}`, lines.at(err.pos[0])));
      }
      const more = errors.length - MAX_ERRORS_PER_DOCUMENT;
      if (more > 0) problems.push(problem('input/syntax', `malformed YAML: ${more} more errors in document ${index} not shown`, lines.at(errors[MAX_ERRORS_PER_DOCUMENT]!.pos[0])));
      return;
    }
    for (const w of doc.warnings) problems.push(problem('input/syntax', `YAML warning: ${firstLine(w.message)}`, lines.at(w.pos[0]), 'warning'));
    const root = doc.contents as YamlNode | null;
    if (divergentCount() !== divergentTwoBack) {
      const differences = dialectDifferences(root);
      for (const d of differences.slice(0, MAX_DIALECT_WARNINGS_PER_DOCUMENT)) problems.push(dialectProblem(d, lines));
      const more = differences.length - MAX_DIALECT_WARNINGS_PER_DOCUMENT;
      if (more > 0) problems.push(problem('input/yaml-1.1', `${more} more plain values in document ${index} are read differently by Kubernetes (YAML 1.1) and YAML 1.2 tools; not shown`, lines.at(differences[MAX_DIALECT_WARNINGS_PER_DOCUMENT]!.offset), 'warning'));
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: opts.maxAliasCount });
    } catch (e) {
      if (!(e instanceof ReferenceError)) throw e;
      problems.push(aliasProblem(doc, e, lines, opts.maxAliasCount));
      return;
    }
    flattenStrings(value);
    const start = doc.range[0];
    const end = doc.range[2];
    const self: YamlDocument = {
      index,
      value,
      offset: root?.range?.[0] ?? start,
      locate: (path) => {
        const locator = locators.get(self, end - start, () => composeAgain(text, start, end, hasDirectives));
        return locator ? locator(path) : start;
      },
    };
    docs.push(self);
  };

  const composer = new Composer(KUBERNETES_YAML);
  let truncatedAt: number | null = null;
  const take = (doc: Document.Parsed): boolean => {
    if (documents >= opts.maxDocuments) {
      truncated = true;
      truncatedAt = doc.range[0];
      return false;
    }
    handle(doc);
    return true;
  };
  // The Composer hands a document over only once the next one starts, so the document being read
  // when a limit stops the scan is the count of whole document tokens seen, not of documents handled.
  let documentTokens = 0;
  const scanned = scanTokens(text, opts, () => documentTokens, (token) => {
    if (token.type === 'document') {
      documentTokens++;
      cheapQuotes(token);
    }
    for (const doc of composer.next(token)) if (!take(doc)) return false;
    return true;
  });
  if (!truncated && !scanned.stopped) {
    for (const doc of composer.end(false, text.length)) if (!take(doc)) break;
  }
  return { docs, problems, documents, truncated, truncatedAt, nodes: scanned.nodes, stopped: scanned.stopped };
}

/**
 * Share of V8's heap limit live at which reading stops. Composing a document after its tokens are
 * read can take about as much again as its tokens (`yaml`'s node tree), so this leaves room.
 */
const DEFAULT_HEAP_SHARE = 0.6;
const HEAP_CHECK_EVERY = 4096;

interface Scan {
  /** YAML nodes read (see `countsAsNode`). */
  readonly nodes: number;
  readonly stopped: ReadStop | null;
}

/**
 * Lexes and parses `text`, handing each top-level CST token to `sink` until it returns false.
 * The lexer's tokens are watched before the parser sees them, so that the limits hold before
 * anything grows: the parser's stack is the nesting depth (nothing recursive has run yet), and
 * nodes and scalar lengths are counted token by token. `documents` says which document a stop
 * falls in.
 */
function scanTokens(text: string, opts: ReadYamlOptions, documents: () => number, sink: (token: CST.Token) => boolean): Scan {
  const maxNodes = opts.maxNodes ?? Infinity;
  const maxDepth = opts.maxDepth ?? Infinity;
  const maxScalar = opts.maxScalarLength ?? Infinity;
  const heap = new HeapGuard(opts.maxHeapShare ?? DEFAULT_HEAP_SHARE);
  let untilHeapCheck = HEAP_CHECK_EVERY;
  const scalarMark = CST.SCALAR;
  const parser = new Parser();
  let nodes = 0;
  let stopped: ReadStop | null = null;
  let atScalar = false;
  const stop = (code: ReadStop['code'], reached: number) => (stopped = { code, offset: parser.offset, document: documents(), reached });
  for (const lexeme of new Lexer().lex(text, false)) {
    const scalarText = atScalar || lexeme[0] === '"' || lexeme[0] === "'";
    atScalar = lexeme === scalarMark;
    if (scalarText && lexeme.length > maxScalar) {
      stop('input/scalar-too-long', lexeme.length);
      break;
    }
    if (countsAsNode(lexeme, scalarText) && ++nodes > maxNodes) {
      stop('input/too-many-nodes', nodes);
      break;
    }
    if (--untilHeapCheck === 0) {
      untilHeapCheck = HEAP_CHECK_EVERY;
      const used = heap.check();
      if (used !== null) {
        stop("input/too-large", used);
        break;
      }
    }
    for (const token of parser.next(lexeme)) if (!sink(token)) return { nodes, stopped };
    // The document, then one entry per open collection, pair or scalar.
    if (parser.stack.length - 1 > maxDepth) {
      stop('input/too-deep', parser.stack.length - 1);
      break;
    }
  }
  if (!stopped) for (const token of parser.end()) if (!sink(token)) break;
  return { nodes, stopped };
}

/**
 * What the node budget counts: scalars (plain, quoted, block), aliases, flow collections and
 * block sequence items. Mapping keys and values are scalars or collections, so counted too.
 */
function countsAsNode(lexeme: string, scalarText: boolean): boolean {
  if (scalarText) return true;
  const c = lexeme[0];
  return lexeme.length === 1 ? c === '[' || c === '{' || c === '-' : c === '*';
}

/** A key written twice in one mapping: where the repeat is, where the key came first, and the mapping's path. */
interface DuplicateKey {
  readonly offset: number;
  readonly firstOffset: number;
  readonly key: string;
  readonly path: FieldPath;
}

/**
 * Duplicate keys in every mapping under `root`, in file order, checked with one Map per mapping
 * (`yaml`'s own `uniqueKeys` compares each key with every earlier one: 50,000 keys took 22 s).
 * Keys are equal as `yaml` defines it: the same scalar value (`1` and `"1"` differ), or the same
 * node; `<<` merge keys may repeat. Iterative: depth is bounded before this runs, but no stack is
 * needed anyway.
 */
function duplicateKeys(root: YamlNode | null): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const stack: { node: unknown; path: FieldPath }[] = [{ node: root, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (!isCollection(node)) continue;
    const seen = new Map<unknown, number>();
    node.items.forEach((item, i) => {
      if (isPair(item)) {
        const key = item.key;
        const id = isScalar(key) ? key.value : key;
        const at = (key as YamlNode | null)?.range?.[0] ?? 0;
        // `<<` merge keys (a Symbol value) may repeat, as with `yaml`'s own check.
        if (typeof id !== 'symbol') {
          const first = seen.get(id);
          if (first !== undefined) found.push({ offset: at, firstOffset: first, key: isScalar(key) ? String(key.value) : String(key), path });
          else seen.set(id, at);
        }
        stack.push({ node: item.value, path: [...path, isScalar(key) ? String(key.value) : String(key)] }, { node: key, path });
      } else stack.push({ node: item, path: [...path, i] });
    });
  }
  return found.sort((a, b) => a.offset - b.offset);
}

/** `duplicate key "app" in metadata.labels (first at line 7): …` */
function duplicateKeyProblem(d: DuplicateKey, lines: LineIndex): InputProblem {
  const where = d.path.length === 0 ? 'at the top level' : `in ${formatPath(d.path)}`;
  return problem('input/duplicate-key', `duplicate key ${JSON.stringify(d.key)} ${where} (first at line ${lines.at(d.firstOffset).line}): Map keys must be unique, and tools disagree on which value wins; keep one`, lines.at(d.offset));
}

/**
 * An unclosed `[` or `{`, reported where it opens (`yaml` reports it where the items stop, often the
 * next line, which is not where a user looks for the missing bracket).
 */
function unclosedFlowProblem(u: UnclosedFlow, noticedAt: number, lines: LineIndex): InputProblem {
  const name = u.open === '[' ? 'flow sequence' : 'flow map';
  const opened = lines.at(u.offset);
  const noticed = noticedAt >= lines.text.length ? 'at the end of the file' : `at line ${lines.at(noticedAt).line}`;
  const after = noticedAt >= lines.text.length || lines.at(noticedAt).line !== opened.line ? ` (the YAML parser noticed ${noticed})` : '';
  if (u.wrongClose !== undefined) {
    const wrong = lines.at(u.wrongClose);
    return problem('input/syntax', `malformed YAML: mismatched brackets: the ${name} opened by "${u.open}" at line ${opened.line}, column ${opened.column} is closed by "${lines.text[u.wrongClose]}" at line ${wrong.line}, column ${wrong.column}. Write "${u.close}" there`, opened);
  }
  return problem('input/syntax', `malformed YAML: unclosed ${name}: the "${u.open}" at line ${opened.line}, column ${opened.column} has no matching "${u.close}"${after}. Add the "${u.close}" after its last item, or, if its items go on over the next lines, indent them more than the line it opens on`, opened);
}

/**
 * Composes the document at [start, end) again and returns a locator over it in file offsets. A
 * document is read from its own slice, except in files with directives (`%YAML`, `%TAG`), where
 * the prefix is read too so that the directives apply.
 */
function composeAgain(text: string, start: number, end: number, hasDirectives: boolean): Locator | null {
  const from = hasDirectives ? 0 : start;
  const all = [...new Composer(KUBERNETES_YAML).compose(withCheapQuotes(new Parser().parse(text.slice(from, end))))];
  const doc = hasDirectives ? all.find((d) => d.range[0] === start) : all[0];
  const root = (doc?.contents as YamlNode | null | undefined) ?? null;
  return root ? (path) => locateInYamlNode(root, path) + from : null;
}

function* withCheapQuotes(tokens: Iterable<CST.Token>): Generator<CST.Token> {
  for (const token of tokens) {
    if (token.type === 'document') cheapQuotes(token);
    yield token;
  }
}

function dialectProblem(d: DialectDifference, lines: LineIndex): InputProblem {
  const where = d.path.length === 0 ? 'the top level' : formatPath(d.path);
  const what = d.isKey ? `the key ${d.source} in ${where}` : `${where}: ${d.source}`;
  const quoted = `"${d.source}"`;
  const fix = typeof d.kubernetes === 'boolean'
    ? `write ${d.kubernetes} if you mean the boolean, or quote it (${quoted}) if you mean the string`
    : `write ${String(d.kubernetes)} if you mean that number, or quote it (${quoted}) if you mean the string`;
  return problem(
    'input/yaml-1.1',
    `${what} is ${describe(d.kubernetes)} to Kubernetes, which reads YAML 1.1, but ${describe(d.yaml12)} to YAML 1.2 tools; ${fix}`,
    lines.at(d.offset),
    'warning',
  );
}

function describe(v: unknown): string {
  if (typeof v === 'boolean') return `the boolean ${v}`;
  if (typeof v === 'number') return `the number ${v}`;
  return `the string ${JSON.stringify(v)}`;
}

function aliasProblem(doc: Document.Parsed, e: ReferenceError, lines: LineIndex, maxAliasCount: number): InputProblem {
  const unresolved = /^Unresolved alias[^:]*: (.*)$/.exec(e.message);
  if (unresolved) {
    const name = unresolved[1]!;
    const at = firstAlias(doc, name) ?? doc.contents?.range?.[0] ?? 0;
    return problem(
      'input/undefined-alias',
      `alias *${name} refers to no anchor: no &${name} comes before it in this document (anchors do not carry over between documents); define &${name} before the alias, or write the value out`,
      lines.at(at),
    );
  }
  const at = firstAlias(doc) ?? doc.contents?.range?.[0] ?? 0;
  return problem(
    'input/alias-limit',
    `YAML aliases expand beyond the limit of ${maxAliasCount} (a "billion laughs" document?); refusing it. Raise --max-aliases (or limits.maxAliases in meshproof.config.yaml) if this is intended`,
    lines.at(at),
  );
}

function firstAlias(doc: Document, name?: string): number | undefined {
  let at: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (isAlias(node) && node.range && (name === undefined || node.source === name)) at = Math.min(at ?? Infinity, node.range[0]);
    },
  });
  return at;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** `spec.http[0].route[1].weight` */
export function formatPath(path: FieldPath): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s || '(root)';
}
