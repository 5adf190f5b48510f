import type { LineIndex } from './lines.js';
import type { PosNode } from './locate.js';

/**
 * A fast reader for the block-style YAML that manifest generators write (cdk8s, Helm, kubectl):
 * block mappings and sequences, plain / quoted / literal / folded scalars, one-line flow
 * collections. It is ~20x faster than `yaml`'s full composer, which matters for 50 MB inputs.
 *
 * It gives up (returns null) on anything outside that subset: anchors, aliases, tags,
 * directives, complex keys, multi-line plain or quoted scalars, multi-line flow collections,
 * tabs in indentation, duplicate keys, `__proto__` keys, keys that are not strings, and every
 * syntax error. The caller then parses the file with `yaml`, which reports errors precisely.
 * So this reader only ever has to be right on valid input, and it is checked against `yaml`
 * on the same inputs in test/checks/input/fast-yaml.test.ts.
 */

export interface FastYamlDoc {
  /** First and one-past-last line (0-based) of the document's content, markers excluded. */
  readonly startLine: number;
  readonly endLine: number;
  /** Offset of the document's first content character (or of its `---` marker when empty). */
  readonly offset: number;
  /** The document's value; `null` for an empty document. */
  readonly value: unknown;
}

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported('outside the fast YAML subset');

/** Parses every document of a file, or returns null when the file needs the full parser. */
export function fastParseYaml(index: LineIndex): FastYamlDoc[] | null {
  const reader = new FastYamlReader(index, false);
  try {
    return reader.readStream();
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
}

/** Re-reads one document recording positions, for `locate`. Only called on fast-parsed documents. */
export function fastYamlPositions(index: LineIndex, doc: FastYamlDoc): PosNode {
  const reader = new FastYamlReader(index, true);
  reader.readDocument(doc.startLine, doc.endLine, doc.offset);
  return reader.pos ?? { o: doc.offset };
}

const INDICATORS = new Set(['-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);
const FLOW_STOP = new Set([',', '[', ']', '{', '}']);

class FastYamlReader {
  private readonly lines: string[];
  private readonly starts: number[];
  /** Index of the next unconsumed line after a parse call. */
  private next = 0;
  private end = 0;
  /** Position of the value returned by the last parse call (when recording positions). */
  pos: PosNode | undefined;

  constructor(private readonly index: LineIndex, private readonly withPos: boolean) {
    this.lines = index.rows;
    this.starts = index.starts;
  }

  readStream(): FastYamlDoc[] {
    const docs: FastYamlDoc[] = [];
    const n = this.lines.length;
    let open: { start: number; offset: number } | null = null;
    const close = (endLine: number) => {
      if (!open) return;
      const value = this.readDocument(open.start, endLine, open.offset);
      docs.push({ startLine: open.start, endLine, offset: open.offset, value });
      open = null;
    };
    for (let i = 0; i < n; i++) {
      const s = this.lines[i]!;
      const c = s.charCodeAt(0);
      if (c === 45 /* - */ && isMarker(s, '---')) {
        close(i);
        open = { start: i + 1, offset: this.starts[i]! };
      } else if (c === 46 /* . */ && isMarker(s, '...')) {
        close(i);
      } else if (c === 37 /* % */) {
        throw UNSUPPORTED;
      } else if (!open && this.contentAt(s) >= 0) {
        open = { start: i, offset: this.starts[i]! };
      }
    }
    close(n);
    return docs;
  }

  readDocument(start: number, end: number, offset: number): unknown {
    this.end = end;
    const first = this.nextContent(start);
    if (first >= end) {
      this.pos = this.withPos ? { o: offset } : undefined;
      return null;
    }
    const ind = this.contentAt(this.lines[first]!);
    const value = this.block(first, ind, -1);
    if (this.nextContent(this.next) < end) throw UNSUPPORTED;
    return value;
  }

  /** Column of the first non-space character, or -1 for a blank or comment-only line. */
  private contentAt(s: string): number {
    let j = 0;
    while (s.charCodeAt(j) === 32) j++;
    if (j === s.length) return -1;
    const c = s[j];
    if (c === '#') return -1;
    if (c === '\t') {
      if (s.trim() === '' || s.trimStart().startsWith('#')) return -1;
      throw UNSUPPORTED;
    }
    return j;
  }

  private nextContent(i: number): number {
    while (i < this.end && this.contentAt(this.lines[i]!) < 0) i++;
    return i;
  }

  private offset(line: number, col: number): number {
    return this.starts[line]! + col;
  }

  /** A block node whose first character is at (line, col), inside a parent indented `parent`. */
  private block(line: number, col: number, parent: number): unknown {
    const s = this.lines[line]!;
    if (isDash(s, col)) return this.sequence(line, col);
    const key = this.key(s, col);
    if (key) return this.mapping(line, col, key);
    return this.inline(line, col, parent);
  }

  private mapping(line: number, col: number, firstKey: Key): unknown {
    const obj: Record<string, unknown> = {};
    const kids = this.withPos ? new Map<string, PosNode>() : undefined;
    const here = this.offset(line, col);
    let key: Key | null = firstKey;
    for (;;) {
      if (key.name === '__proto__' || Object.hasOwn(obj, key.name)) throw UNSUPPORTED;
      obj[key.name] = this.value(line, key.after, col, true);
      if (kids) kids.set(key.name, { ...this.pos!, k: this.offset(line, key.start) });
      const n = this.nextContent(this.next);
      if (n >= this.end) break;
      const ind = this.contentAt(this.lines[n]!);
      if (ind < col) break;
      if (ind > col) throw UNSUPPORTED;
      key = this.key(this.lines[n]!, col);
      if (!key) throw UNSUPPORTED;
      line = n;
    }
    this.pos = kids ? { o: here, c: kids } : undefined;
    return obj;
  }

  private sequence(line: number, col: number): unknown[] {
    const arr: unknown[] = [];
    const kids: PosNode[] | undefined = this.withPos ? [] : undefined;
    const here = this.offset(line, col);
    for (;;) {
      const s = this.lines[line]!;
      let p = col + 1;
      while (s.charCodeAt(p) === 32) p++;
      if (p >= s.length || s[p] === '#') {
        const n = this.nextContent(line + 1);
        const ind = n < this.end ? this.contentAt(this.lines[n]!) : -1;
        if (ind > col) {
          arr.push(this.block(n, ind, col));
        } else {
          arr.push(null);
          this.pos = this.withPos ? { o: this.offset(line, col) } : undefined;
          this.next = line + 1;
        }
      } else {
        arr.push(this.block(line, p, col));
      }
      kids?.push(this.pos!);
      const n = this.nextContent(this.next);
      if (n >= this.end) break;
      const ind = this.contentAt(this.lines[n]!);
      if (ind < col) break;
      if (ind > col) throw UNSUPPORTED;
      if (!isDash(this.lines[n]!, col)) break;
      line = n;
    }
    this.pos = kids ? { o: here, c: kids } : undefined;
    return arr;
  }

  /** The value after `key:` (from column `from`), in a mapping indented `parent`. */
  private value(line: number, from: number, parent: number, inMapping: boolean): unknown {
    const s = this.lines[line]!;
    let j = from;
    while (s.charCodeAt(j) === 32) j++;
    if (j < s.length && s[j] !== '#') return this.inline(line, j, parent);
    const n = this.nextContent(line + 1);
    const ind = n < this.end ? this.contentAt(this.lines[n]!) : -1;
    if (ind > parent) return this.block(n, ind, parent);
    if (inMapping && ind === parent && isDash(this.lines[n]!, ind)) return this.sequence(n, ind);
    this.pos = this.withPos ? { o: this.offset(line, from) } : undefined;
    this.next = line + 1;
    return null;
  }

  /** A scalar or flow collection starting at (line, j) and ending on the same line, or a block scalar. */
  private inline(line: number, j: number, parent: number): unknown {
    const s = this.lines[line]!;
    const c = s[j]!;
    this.next = line + 1;
    let value: unknown;
    let end: number;
    if (c === '"' || c === "'") {
      [value, end] = quoted(s, j);
      if (this.withPos) this.pos = { o: this.offset(line, j) };
    } else if (c === '[' || c === '{') {
      const flow = new FlowReader(s, this.withPos ? this.offset(line, 0) : -1);
      value = flow.value(j);
      end = flow.at;
      this.pos = flow.pos;
    } else if (c === '|' || c === '>') {
      if (this.withPos) this.pos = { o: this.offset(line, j) };
      return this.blockScalar(line, j, parent);
    } else if (INDICATORS.has(c) && !(c === '-' && j + 1 < s.length && s[j + 1] !== ' ')) {
      throw UNSUPPORTED;
    } else {
      const hash = s.indexOf(' #', j);
      const raw = (hash < 0 ? s.slice(j) : s.slice(j, hash)).trimEnd();
      if (raw.includes(': ') || raw.endsWith(':') || raw.includes('\t')) throw UNSUPPORTED;
      if (this.withPos) this.pos = { o: this.offset(line, j) };
      return resolvePlain(raw);
    }
    if (!restIsComment(s, end)) throw UNSUPPORTED;
    return value;
  }

  private blockScalar(line: number, j: number, parent: number): string {
    const s = this.lines[line]!;
    const folded = s[j] === '>';
    let k = j + 1;
    let chomp: '' | '-' | '+' = '';
    if (s[k] === '-' || s[k] === '+') chomp = s[k++] as '-' | '+';
    if (!restIsComment(s, k)) throw UNSUPPORTED; // explicit indentation indicators included
    const body: string[] = [];
    let indent = -1;
    let i = line + 1;
    for (; i < this.end; i++) {
      const t = this.lines[i]!;
      let w = 0;
      while (t.charCodeAt(w) === 32) w++;
      if (w === t.length) {
        if (indent >= 0 && w > indent) throw UNSUPPORTED;
        body.push('');
        continue;
      }
      if (indent < 0) {
        if (w <= parent) break;
        indent = w;
      } else if (w < indent) break;
      if (folded && w > indent) throw UNSUPPORTED;
      if (t.charCodeAt(w) === 9) throw UNSUPPORTED;
      body.push(t.slice(indent));
    }
    if (indent < 0) throw UNSUPPORTED; // empty block scalars: leave the edge cases to `yaml`
    let last = body.length;
    while (last > 0 && body[last - 1] === '') last--;
    const trailing = body.length - last;
    // Trailing blank lines belong to the scalar only up to the next content line; give back the
    // lines after the scalar so the caller's nextContent sees them.
    this.next = i;
    const content = body.slice(0, last);
    let text = folded ? fold(content) : content.join('\n');
    if (chomp === '+') text += '\n'.repeat(trailing + 1);
    else if (chomp === '') text += '\n';
    return text;
  }

  private key(s: string, col: number): Key | null {
    const c = s[col]!;
    if (c === '"' || c === "'") {
      let [name, e] = quoted(s, col, true);
      if (name === undefined) return null;
      while (s.charCodeAt(e) === 32) e++;
      if (s[e] === ':' && (e + 1 === s.length || s[e + 1] === ' ')) return { name: name as string, start: col, after: e + 1 };
      return null;
    }
    if (INDICATORS.has(c)) return null;
    let ci = s.indexOf(':', col);
    while (ci !== -1 && ci + 1 < s.length && s[ci + 1] !== ' ') ci = s.indexOf(':', ci + 1);
    if (ci === -1) return null;
    const hash = s.indexOf(' #', col);
    if (hash !== -1 && hash < ci) return null;
    const name = s.slice(col, ci).trimEnd();
    if (name.includes('\t') || typeof resolvePlain(name) !== 'string') throw UNSUPPORTED;
    return { name, start: col, after: ci + 1 };
  }
}

interface Key {
  readonly name: string;
  readonly start: number;
  readonly after: number;
}

function isMarker(s: string, marker: string): boolean {
  if (!s.startsWith(marker)) return false;
  if (s.length === 3) return true;
  if (s[3] !== ' ' && s[3] !== '\t') return false;
  if (!restIsComment(s, 3)) throw UNSUPPORTED; // `--- value` / `--- !tag`
  return true;
}

function isDash(s: string, col: number): boolean {
  return s.charCodeAt(col) === 45 && (col + 1 === s.length || s.charCodeAt(col + 1) === 32);
}

function restIsComment(s: string, from: number): boolean {
  let k = from;
  while (s.charCodeAt(k) === 32) k++;
  return k === s.length || (s[k] === '#' && k > from);
}

/** Folds `>` content lines (none more indented): single breaks become spaces, blank lines breaks. */
function fold(lines: string[]): string {
  let out = '';
  let pendingBlank = 0;
  let started = false;
  for (const l of lines) {
    if (l === '') {
      pendingBlank++;
      continue;
    }
    if (started) out += pendingBlank > 0 ? '\n'.repeat(pendingBlank) : ' ';
    else if (pendingBlank > 0) out += '\n'.repeat(pendingBlank);
    out += l;
    pendingBlank = 0;
    started = true;
  }
  return out;
}

const ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', e: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
  N: '\u0085', _: '\u00a0', L: '\u2028', P: '\u2029', ' ': ' ', '"': '"', '/': '/', '\\': '\\', '\t': '\t',
};
const HEX_LEN: Record<string, number> = { x: 2, u: 4, U: 8 };

/**
 * A quoted scalar starting at `j` and closed on the same line: [value, index after the quote].
 * With `soft`, an unclosed scalar returns [undefined, j] instead of giving up.
 */
function quoted(s: string, j: number, soft = false): [string | undefined, number] {
  const q = s[j];
  let out = '';
  let k = j + 1;
  if (q === "'") {
    for (;;) {
      const e = s.indexOf("'", k);
      if (e < 0) break;
      out += s.slice(k, e);
      if (s[e + 1] === "'") {
        out += "'";
        k = e + 2;
        continue;
      }
      return [out, e + 1];
    }
  } else {
    while (k < s.length) {
      const ch = s[k]!;
      if (ch === '"') return [out, k + 1];
      if (ch === '\\') {
        const esc = s[k + 1];
        if (esc === undefined) break;
        const hex = HEX_LEN[esc];
        if (hex) {
          const digits = s.slice(k + 2, k + 2 + hex);
          if (digits.length !== hex || !/^[0-9a-fA-F]+$/.test(digits)) throw UNSUPPORTED;
          out += String.fromCodePoint(parseInt(digits, 16));
          k += 2 + hex;
          continue;
        }
        const rep = ESCAPES[esc];
        if (rep === undefined) throw UNSUPPORTED;
        out += rep;
        k += 2;
        continue;
      }
      out += ch;
      k++;
    }
  }
  if (soft) return [undefined, j];
  throw UNSUPPORTED;
}

/** A flow collection confined to one line. */
class FlowReader {
  at = 0;
  pos: PosNode | undefined;

  constructor(private readonly s: string, private readonly base: number) {}

  value(p: number): unknown {
    const s = this.s;
    p = this.skip(p);
    const c = s[p];
    const here = this.base >= 0 ? { o: this.base + p } : undefined;
    if (c === '[') {
      const arr: unknown[] = [];
      const kids: PosNode[] = [];
      p = this.skip(p + 1);
      while (s[p] !== ']') {
        arr.push(this.value(p));
        if (here) kids.push(this.pos!);
        p = this.skip(this.at);
        if (s[p] === ',') p = this.skip(p + 1);
        else if (s[p] !== ']') throw UNSUPPORTED;
      }
      this.at = p + 1;
      this.pos = here ? { ...here, c: kids } : undefined;
      return arr;
    }
    if (c === '{') {
      const obj: Record<string, unknown> = {};
      const kids = new Map<string, PosNode>();
      p = this.skip(p + 1);
      while (s[p] !== '}') {
        const keyAt = p;
        let name: unknown;
        if (s[p] === '"' || s[p] === "'") {
          [name, p] = quoted(s, p);
        } else {
          name = this.plain(p);
          p = this.at;
          if (s[p] === ':' && s[p + 1] !== ' ') throw UNSUPPORTED;
        }
        if (typeof name !== 'string' || name === '__proto__' || Object.hasOwn(obj, name)) throw UNSUPPORTED;
        p = this.skip(p);
        if (s[p] !== ':') throw UNSUPPORTED;
        p = this.skip(p + 1);
        if (s[p] === ',' || s[p] === '}') {
          obj[name] = null;
          this.pos = here ? { o: this.base + p } : undefined;
        } else {
          obj[name] = this.value(p);
          p = this.at;
        }
        if (here) kids.set(name, { ...this.pos!, k: this.base + keyAt });
        p = this.skip(p);
        if (s[p] === ',') p = this.skip(p + 1);
        else if (s[p] !== '}') throw UNSUPPORTED;
      }
      this.at = p + 1;
      this.pos = here ? { ...here, c: kids } : undefined;
      return obj;
    }
    if (c === '"' || c === "'") {
      const [v, e] = quoted(s, p);
      this.at = e;
      this.pos = here;
      return v;
    }
    const v = this.plain(p);
    this.pos = here;
    return v;
  }

  private plain(p: number): unknown {
    const s = this.s;
    const c = s[p];
    if (c === undefined || INDICATORS.has(c)) throw UNSUPPORTED;
    let e = p;
    while (e < s.length && !FLOW_STOP.has(s[e]!) && s[e] !== ':' && s[e] !== '#') e++;
    if (s[e] === '#') throw UNSUPPORTED;
    const raw = s.slice(p, e).trimEnd();
    if (raw === '' || raw.includes('\t')) throw UNSUPPORTED;
    this.at = p + raw.length;
    return resolvePlain(raw);
  }

  private skip(p: number): number {
    while (this.s.charCodeAt(p) === 32) p++;
    if (p >= this.s.length) throw UNSUPPORTED; // the collection continues on the next line
    return p;
  }
}

/** Resolves a plain scalar by the YAML 1.2 core schema, exactly as `yaml` does. */
export function resolvePlain(raw: string): unknown {
  const c = raw.charCodeAt(0);
  // Fast exit: most manifest scalars start with a letter that no core-schema tag can start with.
  if ((c >= 97 && c <= 122 && c !== 110 && c !== 116 && c !== 102) || (c >= 65 && c <= 90 && c !== 78 && c !== 84 && c !== 70)) return raw;
  if (/^(?:~|[Nn]ull|NULL)?$/.test(raw)) return null;
  if (/^(?:[Tt]rue|TRUE)$/.test(raw)) return true;
  if (/^(?:[Ff]alse|FALSE)$/.test(raw)) return false;
  if (/^0o[0-7]+$/.test(raw)) return parseInt(raw.slice(2), 8);
  if (/^[-+]?[0-9]+$/.test(raw)) return parseInt(raw, 10);
  if (/^0x[0-9a-fA-F]+$/.test(raw)) return parseInt(raw.slice(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(raw)) {
    if (raw.slice(-3).toLowerCase() === 'nan') return NaN;
    return raw[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(raw)) return parseFloat(raw);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(raw)) return parseFloat(raw);
  return raw;
}
