/**
 * Traffic splits of a VirtualService's routes, for the diff: per route, the share of requests each
 * destination (host, subset, port) receives. Istio's `HTTPRouteDestination.weight`: a route with one
 * destination sends it 100 % whatever its weight; with several, each gets `weight` (unset = 0)
 * out of the sum (istiod normalises; validation wants a sum of 100).
 */
import type { MeshObject } from '../mesh/object.js';
import { isRecord } from '../mesh/object.js';
import { routeRulesOf } from '../mesh/route-rules.js';
import type { FieldPath } from '../mesh/types.js';

/** One route's split: destination label (`host/subset:port`) -> weight. */
export interface RouteSplit {
  /** `http[0]`, `tcp[1]`, `tls[0]`, with the route's `name` when it has one: `http[0] "canary"`. */
  readonly route: string;
  /** Path of the route in the object. */
  readonly path: FieldPath;
  readonly weights: ReadonlyMap<string, number>;
}

/** One destination's weight before and after; `null` when absent on that side. */
export interface WeightChange {
  readonly destination: string;
  readonly before: number | null;
  readonly after: number | null;
}

/** A route whose split changed (or which appeared or disappeared with destinations). */
export interface SplitChange {
  readonly route: string;
  readonly path: FieldPath;
  readonly weights: readonly WeightChange[];
}

function destinationLabel(d: Readonly<Record<string, unknown>>): string {
  const host = typeof d.host === 'string' ? d.host : '?';
  const subset = typeof d.subset === 'string' && d.subset !== '' ? `/${d.subset}` : '';
  const port = isRecord(d.port) && typeof d.port.number === 'number' ? `:${d.port.number}` : '';
  return `${host}${subset}${port}`;
}

/** The splits of every route of a VirtualService, keyed by route (name when set, else section and index). */
export function routeSplits(vs: MeshObject): Map<string, RouteSplit> {
  const out = new Map<string, RouteSplit>();
  for (const r of routeRulesOf(vs)) {
    if (!r.hasRoute) continue;
    const weights = new Map<string, number>();
    for (const d of r.destinations) {
      const label = destinationLabel(d.destination);
      weights.set(label, (weights.get(label) ?? 0) + d.effectiveWeight);
    }
    const key = r.name !== null ? `${r.section}:${r.name}` : `${r.section}[${r.index}]`;
    out.set(key, { route: r.name !== null ? `${r.section}[${r.index}] "${r.name}"` : `${r.section}[${r.index}]`, path: r.path, weights });
  }
  return out;
}

/** Routes whose destination weights differ between two VirtualService versions. */
export function splitChanges(before: ReadonlyMap<string, RouteSplit>, after: ReadonlyMap<string, RouteSplit>): SplitChange[] {
  const out: SplitChange[] = [];
  const keys = [...new Set([...after.keys(), ...before.keys()])];
  for (const key of keys) {
    const a = before.get(key);
    const b = after.get(key);
    const destinations = [...new Set([...(a?.weights.keys() ?? []), ...(b?.weights.keys() ?? [])])];
    const weights = destinations.map((destination) => ({ destination, before: a?.weights.get(destination) ?? null, after: b?.weights.get(destination) ?? null }));
    if (weights.every((w) => w.before === w.after)) continue;
    const at = (b ?? a)!;
    out.push({ route: at.route, path: at.path, weights });
  }
  return out;
}
