import { Composer, isAlias, Parser, visit, type Document, type Node as YamlNode } from 'yaml';
import type { FieldPath } from './types.js';
import type { LineIndex } from './lines.js';
import { locateInYamlNode } from './locate.js';
import { problem, type InputProblem } from './problems.js';
import { dialectDifferences, divergentCount, KUBERNETES_YAML, type DialectDifference } from './yaml-dialect.js';

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
}

export interface ReadYamlResult {
  /** Documents without errors, in order. */
  readonly docs: YamlDocument[];
  readonly problems: InputProblem[];
  /** Documents read, including empty and broken ones. */
  readonly documents: number;
  /** Reading stopped at `maxDocuments`. */
  readonly truncated: boolean;
}

const MAX_ERRORS_PER_DOCUMENT = 5;

/**
 * Reads a YAML stream the way Kubernetes does (see yaml-dialect.ts) with `yaml`'s Parser and
 * Composer, one document at a time: memory holds one composed document, never the whole stream,
 * and reading stops after `maxDocuments` (a file of 12 million `---` lines costs nothing).
 * Positions are not kept: `locate` composes the document's slice of the text again when a finding
 * needs a line, which few do.
 */
export function readYamlDocuments(lines: LineIndex, opts: ReadYamlOptions): ReadYamlResult {
  const text = lines.text;
  const problems: InputProblem[] = [];
  const docs: YamlDocument[] = [];
  const hasDirectives = /(?:^|\n)%/.test(text);
  const divergentBefore = divergentCount();
  let documents = 0;
  let truncated = false;

  const handle = (doc: Document.Parsed): void => {
    const index = documents++;
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
    const root = doc.contents as YamlNode | null;
    if (divergentCount() !== divergentBefore) for (const d of dialectDifferences(root)) problems.push(dialectProblem(d, lines));
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: opts.maxAliasCount });
    } catch (e) {
      if (!(e instanceof ReferenceError)) throw e;
      problems.push(aliasProblem(doc, e, lines, opts.maxAliasCount));
      return;
    }
    const start = doc.range[0];
    const end = doc.range[2];
    let locator: ((path: FieldPath) => number) | null | undefined;
    docs.push({
      index,
      value,
      offset: root?.range?.[0] ?? start,
      locate: (path) => {
        if (locator === undefined) locator = composeAgain(text, start, end, hasDirectives);
        return locator ? locator(path) : start;
      },
    });
  };

  const parser = new Parser();
  const composer = new Composer(KUBERNETES_YAML);
  const full = () => documents >= opts.maxDocuments;
  outer: for (const token of parser.parse(text)) {
    for (const doc of composer.next(token)) {
      if (full()) {
        truncated = true;
        break outer;
      }
      handle(doc);
    }
  }
  if (!truncated) {
    for (const doc of composer.end(false, text.length)) {
      if (full()) {
        truncated = true;
        break;
      }
      handle(doc);
    }
  }
  return { docs, problems, documents, truncated };
}

/**
 * Composes the document at [start, end) again and returns a locator over it in file offsets. A
 * document is read from its own slice, except in files with directives (`%YAML`, `%TAG`), where
 * the prefix is read too so that the directives apply.
 */
function composeAgain(text: string, start: number, end: number, hasDirectives: boolean): ((path: FieldPath) => number) | null {
  const from = hasDirectives ? 0 : start;
  const all = [...new Composer(KUBERNETES_YAML).compose(new Parser().parse(text.slice(from, end)))];
  const doc = hasDirectives ? all.find((d) => d.range[0] === start) : all[0];
  const root = (doc?.contents as YamlNode | null | undefined) ?? null;
  return root ? (path) => locateInYamlNode(root, path) + from : null;
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
