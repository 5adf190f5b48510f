/**
 * What a reload changed in the input, object by object, for its log line:
 * `+2 added (Service shop/api, VirtualService shop/api), -1 removed (DestinationRule shop/web), 3 changed`.
 * An object is identified by API group, kind, namespace and name; one whose content is the same
 * (positions aside: moved in its file, or to another file) is unchanged.
 */
import type { MeshObject } from '../mesh/object.js';
import { sameContent, sameValue } from '../mesh/graph-carry.js';

/** Objects as `Kind namespace/name` (`Kind name` when cluster-scoped), each list sorted. */
export interface ObjectChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

function label(o: MeshObject): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

/** Same content, positions aside; objects not read from text (no span) by their parsed body. */
function same(a: MeshObject, b: MeshObject): boolean {
  if (a === b) return true;
  if (a.span !== undefined && b.span !== undefined) return sameContent(a, b);
  return a.apiVersion === b.apiVersion && sameValue(a.body, b.body);
}

/**
 * The objects `next` adds to `previous`, removes from it, and changes. A key given several times
 * (a duplicate the checks report) is paired up: unchanged copies first, then changed ones; what is
 * left over is added or removed.
 */
export function objectChanges(previous: readonly MeshObject[], next: readonly MeshObject[]): ObjectChanges {
  const group = (list: readonly MeshObject[]) => {
    const m = new Map<string, MeshObject[]>();
    for (const o of list) {
      const k = `${o.group}|${o.kind}|${o.namespace}|${o.name}`;
      const l = m.get(k);
      if (l) l.push(o);
      else m.set(k, [o]);
    }
    return m;
  };
  const before = group(previous);
  const after = group(next);
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [k, now] of after) {
    const was = [...(before.get(k) ?? [])];
    const left = now.filter((o) => {
      const i = was.findIndex((p) => same(p, o));
      if (i < 0) return true;
      was.splice(i, 1);
      return false;
    });
    const pairs = Math.min(left.length, was.length);
    for (let i = 0; i < left.length; i++) (i < pairs ? changed : added).push(label(left[i]!));
    for (let i = pairs; i < was.length; i++) removed.push(label(was[i]!));
  }
  for (const [k, was] of before) if (!after.has(k)) for (const p of was) removed.push(label(p));
  const sort = (l: string[]) => l.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { added: sort(added), removed: sort(removed), changed: sort(changed) };
}

/**
 * `+2 added (A, B), -1 removed (C), 3 changed (D, E, F)`: each count, with the objects named when
 * there are at most `few` of that count; `no object added, removed or changed` when none.
 */
export function changesText(c: ObjectChanges, few = 3): string {
  const part = (sign: string, what: string, l: readonly string[]) => `${sign}${l.length} ${what}${l.length <= few ? ` (${l.join(', ')})` : ''}`;
  const parts = [
    ...(c.added.length > 0 ? [part('+', 'added', c.added)] : []),
    ...(c.removed.length > 0 ? [part('-', 'removed', c.removed)] : []),
    ...(c.changed.length > 0 ? [part('', 'changed', c.changed)] : []),
  ];
  return parts.length > 0 ? parts.join(', ') : 'no object added, removed or changed';
}
