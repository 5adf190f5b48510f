/**
 * "Did you mean …?" for mistyped names (CLI flags, config keys, rule ids, workload file keys), for
 * every stage (checks, xDS, verify, CLI), so it lives outside them. Hand-written rather than
 * a dependency: the candidate lists are a few dozen short names, and the whole of it is one
 * Levenshtein row.
 */

/** Levenshtein distance: insertions, deletions and substitutions of one character each cost 1. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/**
 * The candidate nearest to `value` by edit distance (the first one on a tie), or undefined when even
 * the nearest is too far off to teach anything: more than max(3, a third of `value`'s length) edits
 * away, or more than max(2, half of the part that differs) once the prefix and suffix they share are
 * left out, so a long shared tail does not pass for a typo (`cart.shop.svc.cluster.local` is not
 * `api.shop.svc.cluster.local`: all of `cart` would have to change).
 */
export function closest(value: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(value, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  if (best === undefined || bestDistance > Math.max(3, value.length / 3)) return undefined;
  return bestDistance <= Math.max(2, differingLength(value, best) / 2) ? best : undefined;
}

/** The length of the longer of `a` and `b` once the prefix and suffix they share are left out. */
function differingLength(a: string, b: string): number {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  return Math.max(a.length, b.length) - start - end;
}
