import { CST, Parser } from 'yaml';

/** An unclosed flow collection: where its opening bracket is, and the bracket that would close it. */
export interface UnclosedFlow {
  /** Offset of the `[` or `{` in the whole text. */
  readonly offset: number;
  readonly open: '[' | '{';
  readonly close: ']' | '}';
  /**
   * Offset of the other kind of closing bracket where this one's belongs (`[1, 2}`), when the user
   * closed it with the wrong one; absent when it is not closed at all.
   */
  readonly wrongClose?: number;
}

/** `yaml`'s messages for a flow collection without its closing bracket ("… must end with a ]"). */
const UNCLOSED = /^Flow (sequence|map) .*end with a ([\]}])/;

/**
 * The opening bracket behind `yaml`'s "Flow sequence … must be sufficiently indented and end with a ]"
 * error, or null for any other error. `yaml` reports the error where the collection's items end,
 * which is the start of the next line for `ports: [80⏎`: one line after the one to fix. The document
 * (`text` from `start` to `end`) is parsed again to its CST, and the innermost collection opened with
 * that bracket before `errorOffset` and never closed is the one the user has to find.
 */
export function unclosedFlowAt(text: string, start: number, end: number, errorOffset: number, message: string): UnclosedFlow | null {
  const m = UNCLOSED.exec(message);
  if (!m) return null;
  const open = m[1] === 'sequence' ? '[' : '{';
  const close = m[2] as ']' | '}';
  const other = close === ']' ? '}' : ']';
  let found: number | null = null;
  let wrongClose: number | undefined;
  for (const token of new Parser().parse(text.slice(start, end))) {
    if (token.type !== 'document') continue;
    CST.visit(token, (item) => {
      const t = item.value ?? item.key;
      if (t?.type !== 'flow-collection' || t.start.source !== open) return;
      const at = start + t.offset;
      if (at < errorOffset && (found === null || at > found) && !t.end.some((e) => e.source === close)) {
        found = at;
        const wrong = t.end.find((e) => e.source === other);
        wrongClose = wrong === undefined ? undefined : start + wrong.offset;
      }
    });
  }
  return found === null ? null : { offset: found, open, close, ...(wrongClose !== undefined ? { wrongClose } : {}) };
}
