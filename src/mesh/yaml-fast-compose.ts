import { Document, isScalar, type CST, type ScalarTag, type Schema } from 'yaml';
import { divergentCount, KUBERNETES_YAML } from './yaml-dialect.js';

/**
 * A document composed straight from `yaml`'s CST tokens into plain values: what
 * `Composer` + `Document#toJS` give, for the documents this composer accepts.
 */
export interface FastDocument {
  readonly value: unknown;
  /** `doc.contents.range[0]`: offset of the root node. */
  readonly offset: number;
  /** `doc.range[0]`. */
  readonly start: number;
  /** `doc.range[2]`, moved past a `...` line when one follows. */
  end: number;
}

/**
 * Thrown when a token leaves the subset `FastComposer` reproduces exactly; the caller then reads
 * the whole file again with `yaml`'s Composer. A plain object: no stack trace to build.
 */
export const UNSUPPORTED: { readonly unsupported: true } = Object.freeze({ unsupported: true });

function unsupported(): never {
  throw UNSUPPORTED;
}

type Token = CST.Token;
type SourceToken = CST.SourceToken;

/** What `yaml`'s resolveProps finds in the tokens before a node (the subset kept here). */
interface Props {
  readonly found: SourceToken | null;
  readonly anchor: string | null;
  readonly comment: boolean;
  readonly hasNewline: boolean;
  readonly newlineAfterAnchor: boolean;
  /** End of the last token, or the offset given when there is none. */
  readonly end: number;
  /** Where the node's properties start (the anchor), else `end`. */
  readonly start: number;
}

interface Anchor {
  value: unknown;
  done: boolean;
  /** `yaml`'s alias count: 1 for the anchor, plus one per alias resolved to it. */
  count: number;
}

/**
 * `yaml`'s resolveProps for block context, refusing everything that would make `yaml` report an
 * error or warning (or that this composer does not model): tabs, tags, anchors where not
 * allowed, misplaced comments or indicators.
 */
function props(tokens: readonly SourceToken[], indicator: string, offset: number, startOnNewline: boolean, anchorAllowed: boolean): Props {
  let hasSpace = startOnNewline;
  let reqSpace = false;
  let found: SourceToken | null = null;
  let anchor: string | null = null;
  let anchorOffset = 0;
  let comment = false;
  let hasNewline = false;
  let newlineAfterAnchor = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (reqSpace) {
      if (t.type !== 'space' && t.type !== 'newline') unsupported();
      reqSpace = false;
    }
    switch (t.type) {
      case 'space':
        if (t.source.includes('\t')) unsupported();
        hasSpace = true;
        break;
      case 'comment':
        if (!hasSpace) unsupported();
        comment = true;
        break;
      case 'newline':
        hasNewline = true;
        hasSpace = true;
        if (anchor !== null) newlineAfterAnchor = true;
        break;
      case 'anchor':
        if (!anchorAllowed || anchor !== null || t.source.length < 2 || t.source.endsWith(':')) unsupported();
        anchor = t.source.substring(1);
        anchorOffset = t.offset;
        hasSpace = false;
        reqSpace = true;
        break;
      default:
        if (t.type !== indicator || found !== null || anchor !== null) unsupported();
        found = t;
        hasSpace = false;
    }
  }
  if (reqSpace) unsupported();
  const last = tokens[tokens.length - 1];
  const end = last ? last.offset + last.source.length : offset;
  return { found, anchor, comment, hasNewline, newlineAfterAnchor, end, start: anchor !== null ? anchorOffset : end };
}

/** `yaml`'s resolveEnd: the offset after the tokens that end a node; anything but space, comment and newline is refused. */
function resolveEnd(tokens: readonly SourceToken[] | undefined, offset: number, strict: boolean): number {
  if (!tokens) return offset;
  let hasSpace = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    switch (t.type) {
      case 'space':
      case 'newline':
        hasSpace = true;
        break;
      case 'comment':
        if (strict && !hasSpace) unsupported();
        break;
      default:
        unsupported();
    }
    offset += t.source.length;
  }
  return offset;
}

/** `yaml`'s emptyScalarPosition: where an empty node sits, after the last token that is not space, comment or newline. */
function emptyScalarPosition(offset: number, before: readonly SourceToken[]): number {
  for (let i = before.length - 1; i >= 0; --i) {
    const st = before[i]!;
    if (st.type === 'space' || st.type === 'comment' || st.type === 'newline') {
      offset -= st.source.length;
      continue;
    }
    for (let j = i + 1; before[j]?.type === 'space'; j++) offset += before[j]!.source.length;
    break;
  }
  return offset;
}

/** Plain scalars `yaml` refuses to start (BAD_SCALAR_START). */
const BAD_PLAIN_START = new Set(['\t', ',', '%', '|', '>', '@', '`']);

/**
 * Composes the common shape of Kubernetes manifests straight from CST tokens to plain values,
 * with exactly the values, key order, shared alias targets, ranges and Kubernetes YAML 1.1
 * resolution that `yaml`'s Composer followed by `toJS` gives (the same schema tags resolve every
 * plain scalar), but without building a node tree per document.
 *
 * It covers block mappings and sequences, plain scalars on one line, quoted scalars on one line
 * without escapes, empty `{}` / `[]`, and anchors with aliases outside the anchored node. Anything
 * else, and anything `yaml` would report (errors, warnings, duplicate keys, a value YAML 1.2 reads
 * differently, an alias count near the limit), throws `UNSUPPORTED`: the caller reads the file
 * again with `yaml`'s Composer, which then reports it in full.
 */
export class FastComposer {
  /** Documents in order, with `end` set once the following token is known. */
  readonly docs: FastDocument[] = [];
  private readonly valueTags: ScalarTag[];
  private readonly keyTags: ScalarTag[];
  private readonly stringTag: ScalarTag;
  private readonly options: Document['options'];
  private readonly anchors = new Map<string, Anchor>();
  /** Anchored collections being composed: an alias inside one is left to `yaml`. */
  private openAnchors = 0;
  /** `range[2]` of the node composed last. */
  private rangeEnd = 0;

  constructor(private readonly maxAliasCount: number) {
    // The schema and options a Composer gives each document of a stream without directives.
    const doc = new Document(undefined, KUBERNETES_YAML);
    const schema: Schema = doc.schema;
    const tags = schema.tags as ScalarTag[];
    this.valueTags = tags.filter((t) => t.default === true && t.test !== undefined);
    this.keyTags = tags.filter((t) => (t.default === true || t.default === 'key') && t.test !== undefined);
    this.stringTag = (schema as unknown as Record<symbol, ScalarTag>)[Symbol.for('yaml.scalar')]!;
    this.options = doc.options;
  }

  /** Takes one top-level CST token (`yaml`'s Composer#next); throws `UNSUPPORTED` to give up. */
  next(token: Token): void {
    switch (token.type) {
      case 'document':
        this.docs.push(this.document(token));
        break;
      case 'doc-end': {
        const doc = this.docs[this.docs.length - 1];
        if (!doc) unsupported();
        doc.end = resolveEnd(token.end, token.offset + token.source.length, true);
        break;
      }
      case 'space':
      case 'comment':
      case 'newline':
      case 'byte-order-mark':
        break;
      default:
        unsupported();
    }
  }

  private document(doc: CST.Document): FastDocument {
    this.anchors.clear();
    this.openAnchors = 0;
    const divergentBefore = divergentCount();
    const p = props(doc.start, 'doc-start', doc.offset, true, false);
    const root = doc.value;
    if (p.found && root && (root.type === 'block-map' || root.type === 'block-seq') && !p.hasNewline) unsupported();
    let value: unknown;
    let offset: number;
    if (root) {
      value = this.node(root, p);
      offset = root.offset;
    } else {
      value = this.empty(p, doc.start);
      offset = emptyScalarPosition(p.end, doc.start);
    }
    // A value Kubernetes (YAML 1.1) and YAML 1.2 read differently: `yaml`'s path words the warning.
    if (divergentCount() !== divergentBefore) unsupported();
    return { value, offset, start: doc.offset, end: resolveEnd(doc.end, this.rangeEnd, false) };
  }

  private node(token: Token, p: Props): unknown {
    const anchor = p.anchor;
    switch (token.type) {
      case 'scalar':
      case 'single-quoted-scalar':
      case 'double-quoted-scalar': {
        const value = this.scalar(token, false);
        if (anchor !== null) this.anchors.set(anchor, { value, done: true, count: 1 });
        return value;
      }
      case 'alias':
        if (anchor !== null) unsupported();
        return this.alias(token);
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        if (token.type === 'block-seq' && anchor !== null && !p.newlineAfterAnchor) unsupported();
        let entry: Anchor | undefined;
        if (anchor !== null) {
          entry = { value: undefined, done: false, count: 1 };
          this.anchors.set(anchor, entry);
          this.openAnchors++;
        }
        const value = token.type === 'block-map' ? this.blockMap(token) : token.type === 'block-seq' ? this.blockSeq(token) : this.emptyFlow(token);
        if (entry) {
          entry.value = value;
          entry.done = true;
          this.openAnchors--;
        }
        return value;
      }
      default:
        return unsupported();
    }
  }

  private blockMap(bm: CST.BlockMap): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    let offset = bm.offset;
    let commentEnd: number | null = null;
    for (const item of bm.items) {
      if (item.explicitKey) unsupported();
      const { start, key, sep, value } = item;
      const kp = props(start, 'explicit-key-ind', offset, true, false);
      if (kp.found) unsupported();
      if (!sep) {
        // Only comments and blank lines.
        if (key) unsupported();
        commentEnd = kp.end;
        continue;
      }
      if (!key || (key.type !== 'scalar' && key.type !== 'single-quoted-scalar' && key.type !== 'double-quoted-scalar') || key.indent !== bm.indent) unsupported();
      if (key.end) for (const t of key.end) if (t.type !== 'space' || t.source.includes('\t')) unsupported();
      const k = this.scalar(key, true);
      const stringKey = k === null ? '' : String(k);
      // A key already there: a duplicate, `1` next to "1", or one `in` finds on Object.prototype
      // (`__proto__`, `constructor`): left to `yaml`, which tells them apart.
      if (stringKey in map) unsupported();
      const vp = props(sep, 'map-value-ind', this.rangeEnd, false, true);
      offset = vp.end;
      if (!vp.found) unsupported();
      if (value?.type === 'block-map' && !vp.hasNewline) unsupported();
      if (kp.start < vp.found.offset - 1024) unsupported();
      let v: unknown;
      if (value) {
        v = this.node(value, vp);
      } else {
        if (vp.anchor !== null) unsupported();
        v = this.empty(vp, sep);
      }
      offset = this.rangeEnd;
      map[stringKey] = v;
    }
    if (commentEnd && commentEnd < offset) unsupported();
    this.rangeEnd = commentEnd ?? offset;
    return map;
  }

  private blockSeq(bs: CST.BlockSequence): unknown[] {
    const seq: unknown[] = [];
    let offset = bs.offset;
    let commentEnd: number | null = null;
    for (const { start, value } of bs.items) {
      const p = props(start, 'seq-item-ind', offset, true, true);
      if (!p.found) {
        if (p.anchor !== null || value) unsupported();
        commentEnd = p.end;
        continue;
      }
      let v: unknown;
      if (value) {
        v = this.node(value, p);
      } else {
        if (p.anchor !== null) unsupported();
        v = this.empty(p, start);
      }
      offset = this.rangeEnd;
      seq.push(v);
    }
    this.rangeEnd = commentEnd ?? offset;
    return seq;
  }

  /** `{}` and `[]`; flow collections with items are left to `yaml`. */
  private emptyFlow(fc: CST.FlowCollection): Record<string, unknown> | unknown[] {
    if (fc.items.length > 0) unsupported();
    const isMap = fc.start.source === '{';
    const [close, ...rest] = fc.end;
    if (!close || close.source !== (isMap ? '}' : ']')) unsupported();
    const closeEnd = close.offset + close.source.length;
    this.rangeEnd = rest.length > 0 ? resolveEnd(rest, closeEnd, true) : closeEnd;
    return isMap ? {} : [];
  }

  /** An absent value (`key:` or `-` with nothing after): an empty plain scalar. */
  private empty(p: Props, before: readonly SourceToken[]): unknown {
    const at = emptyScalarPosition(p.end, before);
    this.rangeEnd = p.comment ? p.end : at;
    return this.resolvePlain('', false);
  }

  private alias(token: CST.FlowScalar): unknown {
    const name = token.source.substring(1);
    if (name === '' || name.endsWith(':') || this.openAnchors > 0) unsupported();
    const anchor = this.anchors.get(name);
    if (!anchor || !anchor.done) unsupported();
    // `yaml` refuses count × (aliases nested in the target) > maxAliasCount; targets here hold none.
    if (++anchor.count > this.maxAliasCount) unsupported();
    this.rangeEnd = resolveEnd(token.end, token.offset + token.source.length, true);
    return anchor.value;
  }

  private scalar(token: CST.FlowScalar, atKey: boolean): unknown {
    const source = token.source;
    let value: unknown;
    if (token.type === 'scalar') {
      if (BAD_PLAIN_START.has(source[0]!) || source.includes('\n') || source.includes('\r')) unsupported();
      value = this.resolvePlain(source, atKey);
    } else {
      const quote = token.type === 'single-quoted-scalar' ? "'" : '"';
      if (source.length < 2 || source[source.length - 1] !== quote || source.includes('\n') || source.includes('\r')) unsupported();
      if (quote === '"' && source.includes('\\')) unsupported();
      const inner = source.slice(1, -1);
      value = this.resolveWith(this.stringTag, quote === "'" ? inner.replace(/''/g, "'") : inner);
    }
    this.rangeEnd = resolveEnd(token.end, token.offset + source.length, true);
    return value;
  }

  /** `yaml`'s findScalarTagByTest and resolve, with the Kubernetes tags. */
  private resolvePlain(source: string, atKey: boolean): unknown {
    const tags = atKey ? this.keyTags : this.valueTags;
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[i]!;
      if (tag.test!.test(source)) return this.resolveWith(tag, source);
    }
    return this.resolveWith(this.stringTag, source);
  }

  private resolveWith(tag: ScalarTag, source: string): unknown {
    let failed = false;
    let res: unknown;
    try {
      res = tag.resolve(source, () => (failed = true), this.options);
    } catch {
      unsupported();
    }
    if (failed) unsupported();
    const value = isScalar(res) ? res.value : res;
    if (value !== null && typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') unsupported();
    return value;
  }
}
