/**
 * The semantic diff of two synthesized meshes (`meshproof diff`, and the gate's job summary): which
 * objects were added, removed or changed, which fields changed from what to what, and for
 * VirtualServices how each route's traffic split moved. Objects are matched by identity
 * (API group, kind, namespace, name), never by file or position, so moving an object between
 * files or reordering documents is not a change; key order inside an object is not a change either.
 */
import diff from 'microdiff';
import type { MeshObject } from '../mesh/object.js';
import type { FieldPath, FileLocation, ResourceRef, SourceOrigin } from '../mesh/types.js';
import { routeSplits, splitChanges, type SplitChange } from './route-splits.js';

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
  /** Every changed leaf (or added/removed subtree), in document order of the head object. */
  readonly fields: readonly FieldChange[];
  /** Traffic split changes of a VirtualService's routes (empty for other kinds). */
  readonly splits: readonly SplitChange[];
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
  return { ref: o.ref, group: o.group, location: o.location, source: o.source };
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
    const fields = fieldChanges(old.body, o.body);
    if (fields.length === 0) continue;
    const splits = o.kind === 'VirtualService' ? splitChanges(routeSplits(old), routeSplits(o)) : [];
    changed.push({ ...describe(o), fields, splits });
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

/** `spec.http[0].route[1].weight`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][\w-]*$/.test(p) ? (out === '' ? p : `.${p}`) : `[${JSON.stringify(p)}]`;
  return out;
}
