/**
 * What the view asks of every VirtualService of a graph (whether a route match names its client,
 * which VirtualServices its routes delegate to), read once per object: a graph built on its
 * predecessor keeps unchanged objects (`graph-carry.ts`), so it reads only the changed ones.
 */
import type { MeshObject } from '../object.js';
import { isRecord } from '../object.js';

/** The traits of one VirtualService. */
export interface RouteTraits {
  /** Some `http`/`tcp`/`tls` match has `sourceLabels`. */
  readonly sourceLabels: boolean;
  /** Some match has `sourceLabels` or `sourceNamespace`. */
  readonly namesClient: boolean;
  /** `<namespace>/<name>` of every `http[].delegate` (namespace defaulting to the VirtualService's). */
  readonly delegates: readonly string[];
}

const TRAITS = new WeakMap<MeshObject, RouteTraits>();

/** The traits of `vs` (a VirtualService), memoised per object. */
export function routeTraits(vs: MeshObject): RouteTraits {
  let t = TRAITS.get(vs);
  if (!t) TRAITS.set(vs, (t = computeTraits(vs)));
  return t;
}

function computeTraits(vs: MeshObject): RouteTraits {
  let sourceLabels = false;
  let namesClient = false;
  for (const k of ['http', 'tcp', 'tls']) {
    const routes = vs.spec[k];
    if (!Array.isArray(routes)) continue;
    for (const r of routes) {
      const match = (r as { match?: unknown } | null)?.match;
      if (!Array.isArray(match)) continue;
      for (const m of match) {
        if (typeof m !== 'object' || m === null) continue;
        if ('sourceLabels' in m) sourceLabels = namesClient = true;
        else if ('sourceNamespace' in m) namesClient = true;
      }
    }
  }
  const http = Array.isArray(vs.spec.http) ? vs.spec.http : [];
  const delegates = http.flatMap((r) => (isRecord(r) && isRecord(r.delegate) && typeof r.delegate.name === 'string'
    ? [`${typeof r.delegate.namespace === 'string' && r.delegate.namespace !== '' ? r.delegate.namespace : vs.namespace}/${r.delegate.name}`]
    : []));
  return { sourceLabels, namesClient, delegates };
}
