/**
 * A VirtualService's routes as the diff compares them. Istio tries `http`, `tcp` and `tls` routes in
 * order and the first that matches wins, so a route is an entry of an ordered list, not a position:
 * inserting a route before another is an addition, not an edit of the other; swapping two routes
 * is a move that changes which requests each gets. Routes of the base and head are paired by
 * `name` (Istio's `HTTPRoute.name`), then by identical content, then by identical `match`, then the
 * rest in order; a pair is `moved` when its relative order among the paired routes changed (the
 * routes outside a longest run kept in order), so an insertion does not mark every later route.
 */
import { isRecord } from '../mesh/object.js';
import type { FieldPath } from '../mesh/types.js';

/** The route lists of a VirtualService, in the order Istio tries them per protocol. */
export const ROUTE_SECTIONS = ['http', 'tcp', 'tls'] as const;
export type RouteSection = (typeof ROUTE_SECTIONS)[number];

/** One route that was added, removed or moved; routes only edited in place show as field changes. */
export interface RouteChange {
  readonly section: RouteSection;
  /** `added`, `removed`, or `moved` (its first-match order relative to the other routes changed). */
  readonly change: 'added' | 'removed' | 'moved';
  /** `HTTPRoute.name` (or the tcp/tls route's), when set. */
  readonly name?: string;
  /** Index in the base's list (null when added). */
  readonly before: number | null;
  /** Index in the head's list (null when removed). */
  readonly after: number | null;
  /**
   * With `moved`: the routes whose order relative to this one flipped (it preceded them and now
   * follows them, or the reverse), each as `http[2] "name"` at its head index, in head order.
   */
  readonly crossed?: readonly { readonly label: string; readonly nowBefore: boolean }[];
}

/** Base index → head index of the paired routes of one section, and the unpaired ones. */
export interface RoutePairing {
  readonly pairs: ReadonlyMap<number, number>;
  readonly removed: readonly number[];
  readonly added: readonly number[];
}

/** The route list `section` of a VirtualService body, or null when it is absent or not a list. */
export function routeList(body: Readonly<Record<string, unknown>>, section: RouteSection): readonly unknown[] | null {
  const spec = body.spec;
  const list = isRecord(spec) ? spec[section] : undefined;
  return Array.isArray(list) ? list : null;
}

const nameOf = (r: unknown): string | undefined => (isRecord(r) && typeof r.name === 'string' && r.name !== '' ? r.name : undefined);
const matchOf = (r: unknown): string => JSON.stringify(isRecord(r) ? (r.match ?? null) : null);

/** Pairs the routes of two lists (see the module comment). */
export function pairRoutes(before: readonly unknown[], after: readonly unknown[]): RoutePairing {
  const pairs = new Map<number, number>();
  const taken = new Set<number>();
  const pair = (i: number, j: number) => { pairs.set(i, j); taken.add(j); };
  const free = (test: (i: number, j: number) => boolean): void => {
    for (let i = 0; i < before.length; i++) {
      if (pairs.has(i)) continue;
      for (let j = 0; j < after.length; j++) {
        if (!taken.has(j) && test(i, j)) { pair(i, j); break; }
      }
    }
  };
  // A named route keeps its name: a route of that name in the head is the same route, wherever it is.
  free((i, j) => nameOf(before[i]) !== undefined && nameOf(before[i]) === nameOf(after[j]));
  const json = (r: unknown) => JSON.stringify(r);
  free((i, j) => nameOf(before[i]) === undefined && nameOf(after[j]) === undefined && json(before[i]) === json(after[j]));
  free((i, j) => nameOf(before[i]) === undefined && nameOf(after[j]) === undefined && matchOf(before[i]) === matchOf(after[j]));
  // The rest in order: an edited unnamed route (its match changed too) stays where it was.
  const leftBefore = before.map((_, i) => i).filter((i) => !pairs.has(i) && nameOf(before[i]) === undefined);
  const leftAfter = after.map((_, j) => j).filter((j) => !taken.has(j) && nameOf(after[j]) === undefined);
  for (let k = 0; k < Math.min(leftBefore.length, leftAfter.length); k++) pair(leftBefore[k]!, leftAfter[k]!);
  return {
    pairs,
    removed: before.map((_, i) => i).filter((i) => !pairs.has(i)),
    added: after.map((_, j) => j).filter((j) => !taken.has(j)),
  };
}

/**
 * The base indexes of paired routes whose order relative to the others changed: those outside a
 * longest subsequence of pairs that kept their order. Of the longest ones, the one keeping most
 * routes at their own index is chosen, so that of two swapped routes the one whose index changed
 * is called moved (an insertion before both shifts neither's order). Quadratic up to 2,000 pairs,
 * beyond that any longest subsequence (patience sorting).
 */
function movedOf(pairs: ReadonlyMap<number, number>): Set<number> {
  const byHead = [...pairs].sort((a, b) => a[1] - b[1]);
  const n = byHead.length;
  if (n > 2000) return movedByPatience(byHead.map(([i]) => i));
  // length[k], stay[k]: the best increasing run of base indexes ending at k (longest, then most
  // routes at an unchanged index), and prev[k] its previous element.
  const length = new Array<number>(n).fill(1);
  const stay: number[] = byHead.map(([i, j]) => (i === j ? 1 : 0));
  const prev = new Array<number>(n).fill(-1);
  for (let k = 0; k < n; k++) {
    const own = byHead[k]![0] === byHead[k]![1] ? 1 : 0;
    for (let m = 0; m < k; m++) {
      if (byHead[m]![0] >= byHead[k]![0]) continue;
      const l = length[m]! + 1;
      const st = stay[m]! + own;
      if (l > length[k]! || (l === length[k]! && st > stay[k]!)) { length[k] = l; stay[k] = st; prev[k] = m; }
    }
  }
  let best = -1;
  // Ties: the run ending at the smaller base index (of two swapped routes, the one that moved up is called moved).
  for (let k = 0; k < n; k++) {
    if (best < 0 || length[k]! > length[best]! || (length[k] === length[best] && (stay[k]! > stay[best]! || (stay[k] === stay[best] && byHead[k]![0] < byHead[best]![0])))) best = k;
  }
  const kept = new Set<number>();
  for (let k = best; k >= 0; k = prev[k]!) kept.add(byHead[k]![0]);
  return new Set(byHead.map(([i]) => i).filter((i) => !kept.has(i)));
}

/** {@link movedOf} for long lists: any longest increasing subsequence of base indexes in head order (patience sorting, O(n log n)). */
function movedByPatience(byHead: readonly number[]): Set<number> {
  const tails: number[] = [];
  const tailAt: number[] = [];
  const prev: number[] = new Array<number>(byHead.length).fill(-1);
  byHead.forEach((v, k) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tails[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    tails[lo] = v;
    tailAt[lo] = k;
    prev[k] = lo > 0 ? tailAt[lo - 1]! : -1;
  });
  const kept = new Set<number>();
  for (let k = tailAt[tails.length - 1] ?? -1; k >= 0; k = prev[k]!) kept.add(byHead[k]!);
  return new Set(byHead.filter((i) => !kept.has(i)));
}

/** One route list of a VirtualService in base and head, and how its routes pair ({@link pairRoutes}). */
export interface SectionPairing extends RoutePairing {
  readonly section: RouteSection;
  readonly before: readonly unknown[];
  readonly after: readonly unknown[];
}

/** The pairing of every route list of two versions of a VirtualService body, in Istio's order; computed once per VirtualService and read by each part of its diff. */
export function pairSections(before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>): SectionPairing[] {
  return ROUTE_SECTIONS.map((section) => {
    const a = routeList(before, section) ?? [];
    const b = routeList(after, section) ?? [];
    return { section, before: a, after: b, ...pairRoutes(a, b) };
  });
}

/** Route additions, removals and moves of a VirtualService, per section in Istio's order, then head order. */
export function routeChanges(sections: readonly SectionPairing[]): RouteChange[] {
  const out: RouteChange[] = [];
  const name = (r: unknown) => { const n = nameOf(r); return n === undefined ? {} : { name: n }; };
  for (const { section, before: a, after: b, pairs, removed, added } of sections) {
    const moved = movedOf(pairs);
    for (const i of removed) out.push({ section, change: 'removed', ...name(a[i]), before: i, after: null });
    for (const j of added) out.push({ section, change: 'added', ...name(b[j]), before: null, after: j });
    const label = (j: number) => { const n = nameOf(b[j]); return `${section}[${j}]${n === undefined ? '' : ` ${JSON.stringify(n)}`}`; };
    for (const [i, j] of pairs) {
      if (!moved.has(i)) continue;
      // The routes whose order with this one flipped, in head order (up to five).
      const crossed = [...pairs].filter(([i2, j2]) => i2 !== i && (i2 < i) !== (j2 < j)).sort((x, y) => x[1] - y[1]).slice(0, 5).map(([, j2]) => ({ label: label(j2), nowBefore: j < j2 }));
      out.push({ section, change: 'moved', ...name(b[j]), before: i, after: j, crossed });
    }
  }
  return out.sort((x, y) => ROUTE_SECTIONS.indexOf(x.section) - ROUTE_SECTIONS.indexOf(y.section) || (x.after ?? x.before!) - (y.after ?? y.before!));
}

/** The VirtualService body with its route lists left out (they are compared apart, route by route). */
export function withoutRoutes(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (!isRecord(body.spec)) return { ...body };
  const spec: Record<string, unknown> = { ...body.spec };
  for (const section of ROUTE_SECTIONS) if (Array.isArray(spec[section])) delete spec[section];
  return { ...body, spec };
}

/** `spec.<section>[index]`. */
export function routePath(section: RouteSection, index: number): FieldPath {
  return ['spec', section, index];
}
