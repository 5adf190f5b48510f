import type { PosNode } from './locate.js';

/** A JSON syntax error or duplicate key at `offset`. */
export class JsonProblem {
  constructor(
    readonly kind: 'syntax' | 'duplicate-key',
    readonly message: string,
    readonly offset: number,
  ) {}
}

export interface JsonResult {
  readonly value: unknown;
  /** Offset of the top-level value's first character. */
  readonly offset: number;
  /** Duplicate keys found (the value keeps the last, as JSON.parse does). */
  readonly duplicates: JsonProblem[];
  /** Positions, when requested. */
  readonly pos?: PosNode;
}

/**
 * Parses one JSON text (RFC 8259), reporting duplicate keys, which `JSON.parse` silently merges,
 * and optionally recording positions. Throws `JsonProblem` on a syntax error.
 * `__proto__` keys become own data properties, never prototypes.
 */
export function parseJson(text: string, withPos = false): JsonResult {
  const r = new JsonReader(text, withPos);
  let p = r.ws(0);
  const offset = p;
  const value = r.value(p);
  const pos = r.pos;
  p = r.ws(r.at);
  if (p < text.length) throw new JsonProblem('syntax', `unexpected ${describe(text, p)} after the JSON value`, p);
  return withPos ? { value, offset, duplicates: r.duplicates, pos: pos! } : { value, offset, duplicates: r.duplicates };
}

function describe(text: string, p: number): string {
  if (p >= text.length) return 'end of input';
  return `character ${JSON.stringify(text[p])}`;
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/y;

class JsonReader {
  at = 0;
  pos: PosNode | undefined;
  readonly duplicates: JsonProblem[] = [];
  private depth = 0;

  constructor(private readonly s: string, private readonly withPos: boolean) {}

  ws(p: number): number {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === 32 || c === 10 || c === 13 || c === 9) p++;
      else return p;
    }
  }

  private fail(p: number, expected: string): never {
    throw new JsonProblem('syntax', `expected ${expected}, found ${describe(this.s, p)}`, p);
  }

  value(p: number): unknown {
    const s = this.s;
    const c = s.charCodeAt(p);
    const here = p;
    if (c === 123 /* { */) return this.object(p);
    if (c === 91 /* [ */) return this.array(p);
    let v: unknown;
    if (c === 34 /* " */) v = this.string(p);
    else if (s.startsWith('true', p)) (v = true), (this.at = p + 4);
    else if (s.startsWith('false', p)) (v = false), (this.at = p + 5);
    else if (s.startsWith('null', p)) (v = null), (this.at = p + 4);
    else {
      NUMBER.lastIndex = p;
      const m = NUMBER.exec(s);
      if (!m || m[0].length === 0) this.fail(p, 'a JSON value');
      v = Number(m[0]);
      this.at = p + m[0].length;
    }
    this.pos = this.withPos ? { o: here } : undefined;
    return v;
  }

  private enter(p: number): void {
    if (++this.depth > 1000) throw new JsonProblem('syntax', 'nesting deeper than 1000 levels', p);
  }

  private object(start: number): Record<string, unknown> {
    this.enter(start);
    const s = this.s;
    const obj: Record<string, unknown> = {};
    const kids = this.withPos ? new Map<string, PosNode>() : undefined;
    let p = this.ws(start + 1);
    if (s.charCodeAt(p) === 125) {
      this.at = p + 1;
    } else {
      for (;;) {
        if (s.charCodeAt(p) !== 34) this.fail(p, 'a string key');
        const keyAt = p;
        const key = this.string(p);
        p = this.ws(this.at);
        if (s.charCodeAt(p) !== 58) this.fail(p, "':'");
        p = this.ws(p + 1);
        const v = this.value(p);
        if (Object.hasOwn(obj, key)) {
          this.duplicates.push(new JsonProblem('duplicate-key', `duplicate key ${JSON.stringify(key)}`, keyAt));
        }
        if (key === '__proto__') Object.defineProperty(obj, key, { value: v, writable: true, enumerable: true, configurable: true });
        else obj[key] = v;
        kids?.set(key, { ...this.pos!, k: keyAt });
        p = this.ws(this.at);
        const c = s.charCodeAt(p);
        if (c === 44) p = this.ws(p + 1);
        else if (c === 125) break;
        else this.fail(p, "',' or '}'");
      }
      this.at = p + 1;
    }
    this.depth--;
    this.pos = kids ? { o: start, c: kids } : undefined;
    return obj;
  }

  private array(start: number): unknown[] {
    this.enter(start);
    const s = this.s;
    const arr: unknown[] = [];
    const kids: PosNode[] | undefined = this.withPos ? [] : undefined;
    let p = this.ws(start + 1);
    if (s.charCodeAt(p) === 93) {
      this.at = p + 1;
    } else {
      for (;;) {
        arr.push(this.value(p));
        kids?.push(this.pos!);
        p = this.ws(this.at);
        const c = s.charCodeAt(p);
        if (c === 44) p = this.ws(p + 1);
        else if (c === 93) break;
        else this.fail(p, "',' or ']'");
      }
      this.at = p + 1;
    }
    this.depth--;
    this.pos = kids ? { o: start, c: kids } : undefined;
    return arr;
  }

  private string(p: number): string {
    const s = this.s;
    let e = p + 1;
    let escaped = false;
    for (;;) {
      const q = s.indexOf('"', e);
      if (q < 0) throw new JsonProblem('syntax', 'unterminated string', p);
      let b = q - 1;
      while (s.charCodeAt(b) === 92) b--;
      if ((q - 1 - b) % 2 === 0) {
        e = q;
        break;
      }
      escaped = true;
      e = q + 1;
    }
    this.at = e + 1;
    const raw = s.slice(p + 1, e);
    if (!escaped && !raw.includes('\\')) {
      if (/[\u0000-\u001f]/.test(raw)) throw new JsonProblem('syntax', 'control character in string', p);
      return raw;
    }
    try {
      return JSON.parse(s.slice(p, e + 1)) as string;
    } catch {
      throw new JsonProblem('syntax', 'invalid escape or control character in string', p);
    }
  }
}
