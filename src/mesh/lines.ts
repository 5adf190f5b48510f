import type { FileLocation } from './types.js';

/**
 * Maps character offsets in one text to 1-based line/column. The index of line starts is built on
 * the first lookup (most files never need one) and kept in a Uint32Array: a 48 MB file of `---`
 * lines costs 48 MB, not the 200 MB a JavaScript array of numbers would.
 */
export class LineIndex {
  private startsCache: Uint32Array | undefined;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  /** Offset of the first character of each line. */
  get starts(): Uint32Array {
    if (this.startsCache) return this.startsCache;
    const text = this.text;
    let count = 1;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
    const starts = new Uint32Array(count);
    let n = 1;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts[n++] = i + 1;
    return (this.startsCache = starts);
  }

  /** The location of `offset` (clamped into the text). */
  at(offset: number): FileLocation {
    const starts = this.starts;
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, column: o - starts[lo]! + 1 };
  }
}

/** `file:line`, or the bare path for a location without a line (line 0: a folder as a whole). */
export function fileLine(location: FileLocation): string {
  return location.line >= 1 ? `${location.file}:${location.line}` : location.file;
}

/** `file:line:column`, or the bare path for a location without a line (line 0: a folder as a whole). */
export function fileLineColumn(location: FileLocation): string {
  return location.line >= 1 ? `${location.file}:${location.line}:${location.column}` : location.file;
}
