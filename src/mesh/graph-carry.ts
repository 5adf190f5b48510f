/**
 * What a graph built on its predecessor (`GraphOptions.previous`, as `xds serve` reloads) keeps of
 * it: the objects whose source did not change (the same `MeshObject`, so everything keyed on the
 * object stays valid), and, when the only objects that changed are VirtualServices, the
 * predecessor's indexes and the view's per-graph caches that no VirtualService feeds. istiod does
 * the same on a push: a config change rebuilds only the PushContext indexes of its kind
 * (`PushContext.updateContext`: `virtualServiceIndex` for a VirtualService; services,
 * DestinationRules, Sidecars and policies copied from the old context), and the SidecarScope
 * keeps what the changed configs do not reach.
 *
 * An object counts as unchanged when it comes from the same file, document and List item, starts
 * at the same line and column, has the same source text (`MeshObject.span`: equal text and start
 * give equal positions for every field, so equal origins) and the same TypeScript origin. Objects
 * without a span (built in code, not read from text) never count as unchanged.
 */
import type { MeshObject } from './object.js';

/** The objects of a new graph with its predecessor's unchanged ones in their place, and what changed. */
export interface KeptObjects {
  /** The new graph's objects, input order: the predecessor's object wherever it is unchanged. */
  readonly objects: readonly MeshObject[];
  /** Objects of either graph that are not in both: new or edited ones, and removed or replaced ones of the predecessor. */
  readonly changed: readonly MeshObject[];
  /** How many of `objects` are the predecessor's. */
  readonly kept: number;
}

/** Whether `a` (of the predecessor) can stand for `b` (of the new input): see the module comment. */
export function sameSource(a: MeshObject, b: MeshObject): boolean {
  return a.span !== undefined && a.span === b.span && a.file === b.file && a.docIndex === b.docIndex && a.itemIndex === b.itemIndex
    && a.location.line === b.location.line && a.location.column === b.location.column && a.location.file === b.location.file
    && a.kind === b.kind && a.apiVersion === b.apiVersion && a.key === b.key && a.known === b.known && sameOrigin(a.source, b.source);
}

function sameOrigin(a: MeshObject['source'], b: MeshObject['source']): boolean {
  if (a === null || b === null) return a === b;
  return a.constructPath === b.constructPath && a.file === b.file && a.line === b.line;
}

/**
 * `objects` with every object that has an unchanged predecessor (same `kind/namespace/name`, see
 * {@link sameSource}) replaced by it. Each predecessor stands in at most once (a duplicate key
 * keeps its own object).
 */
export function keepUnchanged(objects: readonly MeshObject[], previous: readonly MeshObject[]): KeptObjects {
  const byKey = new Map<string, MeshObject[]>();
  for (const o of previous) {
    const list = byKey.get(o.key);
    if (list) list.push(o);
    else byKey.set(o.key, [o]);
  }
  const used = new Set<MeshObject>();
  const changed: MeshObject[] = [];
  const out = objects.map((o) => {
    const candidates = byKey.get(o.key);
    const p = candidates?.find((c) => !used.has(c) && sameSource(c, o));
    if (p === undefined) {
      changed.push(o);
      return o;
    }
    used.add(p);
    return p;
  });
  for (const p of previous) if (!used.has(p)) changed.push(p);
  return { objects: out, changed, kept: used.size };
}

/** Whether two lists hold the same objects in the same order. */
export function sameObjects(a: readonly MeshObject[], b: readonly MeshObject[]): boolean {
  return a.length === b.length && a.every((o, i) => o === b[i]);
}
