/** A key written twice in one JSON object: `path` of the object member (`workloads`, `workloads[0].address`), UTF-16 offsets of both. */
export interface JsonDuplicateKey {
  readonly path: string;
  readonly key: string;
  readonly offset: number;
  readonly firstOffset: number;
}

interface Frame {
  /** The frame holding this value, and the key or index it has there (the path is built only for a duplicate). */
  readonly parent: Frame | undefined;
  readonly at: string | number;
  /** An object's keys (first offset of each); null for an array. */
  readonly keys: Map<string, number> | null;
  expectKey: boolean;
  key: string;
  index: number;
}

/**
 * The first key repeated in one object of `text`, which must be valid JSON (JSON.parse it first):
 * JSON.parse keeps the last value silently. One pass, one Map per object, so it costs about what
 * JSON.parse does (`yaml`'s `uniqueKeys` took 55 s and 1 GB for 12 MB).
 * Keys are compared decoded (`"a"` and `"\u0061"` are the same key).
 */
export function firstDuplicateKey(text: string): JsonDuplicateKey | undefined {
  let top: Frame | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      let escaped = false;
      for (let d = text.charCodeAt(j); d !== 0x22; d = text.charCodeAt(j)) {
        if (d === 0x5c) {
          escaped = true;
          j += 2;
        } else j++;
      }
      if (top?.keys && top.expectKey) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        top.key = key;
        top.expectKey = false;
        const first = top.keys.get(key);
        if (first !== undefined) return { path: pathOf(top, key), key, offset: i, firstOffset: first };
        top.keys.set(key, i);
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      top = { parent: top, at: top ? (top.keys ? top.key : top.index) : '', keys: c === 0x7b ? new Map() : null, expectKey: true, key: '', index: 0 };
    } else if (c === 0x7d || c === 0x5d) {
      top = top?.parent;
    } else if (c === 0x2c && top) {
      if (top.keys) top.expectKey = true;
      else top.index++;
    }
  }
  return undefined;
}

/** `workloads[0].labels.app`: the member `key` of the object `frame`. */
function pathOf(frame: Frame, key: string): string {
  const parts: (string | number)[] = [key];
  for (let f: Frame = frame; f.parent; f = f.parent) parts.unshift(f.at);
  return parts.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** 1-based line and column of a UTF-16 offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}
