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

/** True when `name` is used as a variable (not as a field after `.`), e.g. `oldSelf`. */
export function usesVariable(source: string, name: string): boolean {
  for (const [start, end] of identifiers(source)) {
    if (source.slice(start, end) === name && !/\.\s*$/.test(source.slice(0, start))) return true;
  }
  return false;
}
