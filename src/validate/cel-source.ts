/**
 * Token-level edits of CEL source text. Only identifiers outside string literals are touched,
 * so a rule's regular expressions and messages stay exactly as written.
 */

/** Yields [start, end) of every identifier outside string and bytes literals. */
function* identifiers(source: string): Generator<[number, number]> {
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '"' || c === "'") {
      const raw = i > 0 && /[rR]/.test(source[i - 1]!) && (i < 2 || !/[A-Za-z0-9_]/.test(source[i - 2]!));
      const triple = source.startsWith(c.repeat(3), i);
      const close = triple ? c.repeat(3) : c;
      i += close.length;
      while (i < source.length && !source.startsWith(close, i)) i += !raw && source[i] === '\\' ? 2 : 1;
      i += close.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < source.length && /[A-Za-z0-9_]/.test(source[i]!)) i++;
      yield [start, i];
    } else if (/[0-9]/.test(c)) {
      while (i < source.length && /[0-9A-Za-z_.]/.test(source[i]!)) i++; // 1.5e3, 0xFFu: no identifiers inside
    } else {
      i++;
    }
  }
}

/** Renames calls `name(` (global or receiver style) per `renames`, outside string literals. */
export function renameCalls(source: string, renames: Readonly<Record<string, string>>): string {
  let out = '';
  let last = 0;
  for (const [start, end] of identifiers(source)) {
    const name = source.slice(start, end);
    if (!Object.hasOwn(renames, name) || !/^\s*\(/.test(source.slice(end))) continue;
    out += source.slice(last, start) + renames[name];
    last = end;
  }
  return out + source.slice(last);
}

/**
 * Rewrites the Kubernetes format library's namespaced calls `format.<name>(` (outside string literals) to
 * `<prefix><name>(`: cel-js reads `format.x()` as a method of a variable `format`, and cannot declare a
 * namespaced function.
 */
export function rewriteFormatCalls(source: string, prefix: string): string {
  let out = '';
  let last = 0;
  for (const [start, end] of identifiers(source)) {
    if (start < last || source.slice(start, end) !== 'format' || /\.\s*$/.test(source.slice(0, start))) continue;
    const call = /^\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(source.slice(end));
    if (!call) continue;
    out += source.slice(last, start) + prefix + call[1];
    last = end + call[0].length - 1;
  }
  return out + source.slice(last);
}

/** True when `name` is used as a variable (not as a field after `.`), e.g. `oldSelf`. */
export function usesVariable(source: string, name: string): boolean {
  for (const [start, end] of identifiers(source)) {
    if (source.slice(start, end) === name && !/\.\s*$/.test(source.slice(0, start))) return true;
  }
  return false;
}

/**
 * Rewrites `has(<expr>.<field>)` whose operand is not an identifier chain (`has(self.matches[0].path)`,
 * `has(self[0].matches)`: CEL allows any expression there, cel-js only `a.b.c`) to
 * `<fn>(<expr>, '<field>')`. Calls on identifier chains stay as they are.
 */
export function rewriteHasOfExpressions(source: string, fn: string): string {
  let out = '';
  let last = 0;
  for (const [start, end] of identifiers(source)) {
    if (start < last || source.slice(start, end) !== 'has' || /\.\s*$/.test(source.slice(0, start))) continue;
    const open = source.slice(end).search(/\S/) + end;
    if (source[open] !== '(') continue;
    const close = matchingParen(source, open);
    if (close < 0) continue;
    const inner = source.slice(open + 1, close);
    const select = /^([\s\S]*[^\s?])\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(inner);
    if (!select || /^\s*[A-Za-z_][A-Za-z0-9_]*(\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*\s*$/.test(select[1]!)) continue;
    out += `${source.slice(last, start)}${fn}(${rewriteHasOfExpressions(select[1]!, fn)}, '${select[2]!}')`;
    last = close + 1;
  }
  return out + source.slice(last);
}

/** Index of the `)` closing the `(` at `open`, skipping string literals; -1 when unbalanced. */
function matchingParen(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const c = source[i]!;
    if (c === '"' || c === "'") {
      const triple = source.startsWith(c.repeat(3), i);
      const close = triple ? c.repeat(3) : c;
      i += close.length;
      while (i < source.length && !source.startsWith(close, i)) i += source[i] === '\\' ? 2 : 1;
      i += close.length - 1;
    } else if (c === '(') {
      depth++;
    } else if (c === ')' && --depth === 0) {
      return i;
    }
  }
  return -1;
}
