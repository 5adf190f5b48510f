/**
 * The semantic diff of two synthesized meshes (`meshproof diff`, and the gate's job summary): which
 * objects were added, removed or changed, which fields changed from what to what, and for
 * VirtualServices how each route's traffic split moved. Objects are matched by identity
 * (API group, kind, namespace, name), never by file or position, so moving an object between
 * files or reordering documents is not a change; key order inside an object is not a change either.
 */
import diff from 'microdiff';
import type { MeshObject } from '../mesh/object.js';
import { sourceAt, type FieldPath, type FileLocation, type ResourceRef, type SourceOrigin } from '../mesh/types.js';
import { routeSplits, splitChanges, type SplitChange } from './route-splits.js';
import { pairSections, routeChanges, routePath, withoutRoutes, type RouteChange, type SectionPairing } from './route-order.js';

/** One object as the diff names it. */
export interface DiffObject {
  readonly ref: ResourceRef;
  /** API group, `''` for the core group. */
  readonly group: string;
  /** Where the object is in its tree (head for added and changed, base for removed). */
  readonly location: FileLocation;
  /** The TypeScript construct that produced it, when a source map was found. */
  readonly source: SourceOrigin | null;
}

/** One changed field: `before` absent means added, `after` absent means removed. */
export interface FieldChange {
  readonly path: FieldPath;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface ChangedObject extends DiffObject {
  /**
   * Every changed leaf (or added/removed subtree), in document order of the head object. A
   * VirtualService's routes are compared route by route as `route-order.ts` pairs them (by name,
   * content, match), with head paths: an inserted route is one `+ spec.http[i]`, not an edit of
   * every route after it.
   */
  readonly fields: readonly FieldChange[];
  /** Traffic split changes of a VirtualService's routes (empty for other kinds). */
  readonly splits: readonly SplitChange[];
  /** Routes of a VirtualService added, removed or moved in first-match order (empty for other kinds). */
  readonly routes: readonly RouteChange[];
}

/** The diff of two meshes. Lists are sorted by kind, namespace, name. */
export interface MeshDiff {
  readonly added: readonly DiffObject[];
  readonly removed: readonly DiffObject[];
  readonly changed: readonly ChangedObject[];
}

/** True when the two meshes are the same objects with the same content. */
export function isEmptyDiff(d: MeshDiff): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}

function identity(o: MeshObject): string {
  return `${o.group}\u0000${o.kind}\u0000${o.namespace}\u0000${o.name}`;
}

function describe(o: MeshObject): DiffObject {
  return { ref: o.ref, group: o.group, location: o.location, source: sourceAt(o.source) };
}

function byRef(a: DiffObject, b: DiffObject): number {
  return a.ref.kind.localeCompare(b.ref.kind) || a.ref.namespace.localeCompare(b.ref.namespace) || a.ref.name.localeCompare(b.ref.name) || a.group.localeCompare(b.group);
}

/**
 * Compares two meshes object by object. When an identity occurs twice in one tree (a mistake the
 * check suite reports), the last occurrence wins, as `kubectl apply` of the whole tree would leave it.
 */
export function diffMeshes(base: readonly MeshObject[], head: readonly MeshObject[]): MeshDiff {
  const before = new Map(base.map((o) => [identity(o), o]));
  const after = new Map(head.map((o) => [identity(o), o]));
  const added: DiffObject[] = [];
  const removed: DiffObject[] = [];
  const changed: ChangedObject[] = [];
  for (const [id, o] of after) {
    const old = before.get(id);
    if (old === undefined) {
      added.push(describe(o));
      continue;
    }
    const virtualService = o.kind === 'VirtualService' && o.group === 'networking.istio.io';
    const sections = virtualService ? pairSections(old.body, o.body) : null;
    const fields = sections ? virtualServiceChanges(old.body, o.body, sections) : fieldChanges(old.body, o.body);
    // Routes that only moved change no field but what each route receives.
    const routes = sections ? routeChanges(sections) : [];
    if (fields.length === 0 && routes.length === 0) continue;
    const splits = o.kind === 'VirtualService' ? splitChanges(sections ? pairedSplits(old, sections) : routeSplits(old), routeSplits(o)) : [];
    changed.push({ ...describe(o), fields, splits, routes });
  }
  for (const [id, o] of before) if (!after.has(id)) removed.push(describe(o));
  return { added: added.sort(byRef), removed: removed.sort(byRef), changed: changed.sort(byRef) };
}

/** Field-level changes between two object bodies (arrays compared by position, as Kubernetes merges them). */
export function fieldChanges(before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>): FieldChange[] {
  return diff(before as Record<string, unknown>, after as Record<string, unknown>).map((d) => {
    if (d.type === 'CREATE') return { path: d.path, after: d.value };
    if (d.type === 'REMOVE') return { path: d.path, before: d.oldValue };
    return { path: d.path, before: d.oldValue, after: d.value };
  });
}

/**
 * The base's route splits keyed as the head's routes they pair with (`route-order.ts`): an unnamed
 * route is keyed by its index (`http[0]`), so a route inserted before it would otherwise compare
 * it with whatever route took its index. A base route with no pair keeps a key of its own.
 */
function pairedSplits(before: MeshObject, sections: readonly SectionPairing[]): ReturnType<typeof routeSplits> {
  const splits = routeSplits(before);
  const out: ReturnType<typeof routeSplits> = new Map();
  const moves = new Map<string, string>();
  for (const { section, pairs, removed } of sections) {
    for (const [i, j] of pairs) moves.set(`${section}[${i}]`, `${section}[${j}]`);
    for (const i of removed) moves.set(`${section}[${i}]`, `removed ${section}[${i}]`);
  }
  for (const [key, split] of splits) out.set(moves.get(key) ?? key, split);
  return out;
}

/**
 * A VirtualService's field changes: everything but its route lists as {@link fieldChanges} gives
 * them, then each route list route by route (`route-order.ts` pairs them): a removed route, an added
 * one, and the field changes inside a paired one, at its head index.
 */
function virtualServiceChanges(before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>, sections: readonly SectionPairing[]): FieldChange[] {
  const out = fieldChanges(withoutRoutes(before), withoutRoutes(after));
  for (const { section, before: a, after: b, pairs, removed, added } of sections) {
    for (const i of removed) out.push({ path: routePath(section, i), before: a[i] });
    const inHead: FieldChange[] = [];
    for (const j of added) inHead.push({ path: routePath(section, j), after: b[j] });
    for (const [i, j] of pairs) {
      const x = a[i];
      const y = b[j];
      if (x !== null && typeof x === 'object' && !Array.isArray(x) && y !== null && typeof y === 'object' && !Array.isArray(y)) {
        for (const f of fieldChanges(x as Record<string, unknown>, y as Record<string, unknown>)) inHead.push({ ...f, path: [...routePath(section, j), ...f.path] });
      } else if (JSON.stringify(x) !== JSON.stringify(y)) {
        inHead.push({ path: routePath(section, j), before: x, after: y });
      }
    }
    out.push(...inHead.sort((p, q) => (p.path[2] as number) - (q.path[2] as number)));
  }
  return out;
}

/** `spec.http[0].route[1].weight`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][\w-]*$/.test(p) ? (out === '' ? p : `.${p}`) : `[${JSON.stringify(p)}]`;
  return out;
}
