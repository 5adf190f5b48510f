import type { FileLocation } from './types.js';

/** Maps character offsets in one text to 1-based line/column, by binary search over line starts. */
export class LineIndex {
  /** Offset of the first character of each line. */
  readonly starts: number[];

  constructor(readonly file: string, readonly text: string) {
    const starts = [0];
    let i = text.indexOf('\n');
    while (i !== -1) {
      starts.push(i + 1);
      i = text.indexOf('\n', i + 1);
    }
    this.starts = starts;
  }

  private rowsCache: string[] | undefined;

  /** Every line without its line break, split once and shared by all readers of this text. */
  get rows(): string[] {
    if (!this.rowsCache) {
      let rows = this.text.split('\n');
      if (this.text.includes('\r')) rows = rows.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
      this.rowsCache = rows;
    }
    return this.rowsCache;
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** The location of `offset` (clamped into the text). */
  at(offset: number): FileLocation {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, column: o - this.starts[lo]! + 1 };
  }

  /** The text of 0-based line `i` without its line break (`\r\n` or `\n`). */
  line(i: number): string {
    const start = this.starts[i]!;
    let end = i + 1 < this.starts.length ? this.starts[i + 1]! - 1 : this.text.length;
    if (end > start && this.text.charCodeAt(end - 1) === 13) end--;
    return this.text.slice(start, end);
  }
}
