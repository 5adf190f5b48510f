/**
 * Bounded lists for finding messages: a rule comparing one object with many rivals names a few
 * and counts the rest, so the output stays linear in the number of findings
 * (`a, b, c and 3,997 more`).
 */

/** How many rivals a message names before it counts the rest. @default 3 */
export const SHOWN = 3;

/**
 * Joins at most `max` items, then says how many more there are. `total` is the full count when
 * `items` holds only a sample of it (the first `max` or more).
 */
export function listSome(items: readonly string[], max = SHOWN, total = items.length): string {
  const shown = items.slice(0, max).join(', ');
  const rest = total - Math.min(max, items.length);
  return rest > 0 ? `${shown} and ${thousands(rest)} more` : shown;
}

/** The first `max` items of `list` other than `self`, without walking the rest of the list. */
export function firstOthers<T>(list: readonly T[], self: T, max = SHOWN): T[] {
  const out: T[] = [];
  for (const x of list) {
    if (out.length === max) break;
    if (x !== self) out.push(x);
  }
  return out;
}

/** `3997` → `3,997` (toLocaleString costs microseconds per call; this runs once per finding). */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
