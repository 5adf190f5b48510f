/**
 * What the view of a graph built on its predecessor takes from the predecessor's view when only
 * VirtualServices changed between them (`MeshGraph.viewBase`): the two graphs then share their
 * service, workload, DestinationRule and policy indexes (and the objects in them), so
 * - a cache that no VirtualService feeds (cluster views, the DestinationRule outsiders use, a
 *   namespace's mTLS mode) is shared as it is ({@link sharedPerGraph});
 * - a host's routes computed for the predecessor are valid unless a changed VirtualService
 *   (either version) names one of the hosts they read, or delegation is involved
 *   ({@link routesUnchanged}).
 * `carry-over-diff.test.ts` holds every proxy's translation on such a graph byte-equal to a
 * from-scratch one, over chains of VirtualService and other edits.
 */
import { isWildcard, resolveHost } from '../hosts.js';
import type { MeshGraph } from '../graph.js';
import type { MeshObject } from '../object.js';
import { stringList } from '../object.js';
import { routeTraits } from './route-traits.js';

/**
 * `store`'s value for `graph`, made on first use, or the predecessor's own value (the same object,
 * shared from then on) when `graph` has a `viewBase`. Only for values no VirtualService feeds.
 */
export function sharedPerGraph<T extends object>(store: WeakMap<MeshGraph, T>, graph: MeshGraph, make: () => T): T {
  let value = store.get(graph);
  if (value === undefined) {
    const base = graph.viewBase()?.graph;
    value = (base && store.get(base)) || make();
    store.set(graph, value);
  }
  return value;
}

/** Per graph: the hosts its changed VirtualServices name (resolved), or null when any change may reach every host. */
const TOUCHED = new WeakMap<MeshGraph, { readonly exact: ReadonlySet<string>; readonly wildcards: readonly string[] } | null>();

function touchedHosts(graph: MeshGraph, base: MeshGraph, changed: readonly MeshObject[]): { readonly exact: ReadonlySet<string>; readonly wildcards: readonly string[] } | null {
  // Delegation reaches a root's routes through a VirtualService without hosts: a changed delegate,
  // root, or VirtualService some root names, and every host is recomputed.
  const named = new Set<string>();
  for (const g of [graph, base]) for (const vs of g.ofKind('VirtualService')) for (const d of routeTraits(vs).delegates) named.add(d);
  const exact = new Set<string>();
  const wildcards: string[] = [];
  for (const vs of changed) {
    const hosts = stringList(vs.spec.hosts) ?? [];
    if (hosts.length === 0 || routeTraits(vs).delegates.length > 0 || named.has(`${vs.namespace}/${vs.name}`)) return null;
    for (const h of hosts) {
      for (const fqdn of new Set([h, resolveHost(h, vs.namespace, graph.clusterDomain).fqdn])) {
        if (fqdn === '*' || fqdn === '') return null;
        if (isWildcard(fqdn)) wildcards.push(fqdn.replace(/^\*/, ''));
        else exact.add(fqdn);
      }
    }
  }
  return { exact, wildcards };
}

/**
 * Whether routes the predecessor (`graph.viewBase()`) computed from `hosts` (every host they read:
 * the service's own, its destinations') are what `graph` computes: no changed VirtualService names
 * one of them, exactly or by a wildcard either way, and none is a delegate, names one, or is named
 * as one. False without a view base.
 */
export function routesUnchanged(graph: MeshGraph, hosts: readonly string[]): boolean {
  const base = graph.viewBase();
  if (!base) return false;
  let touched = TOUCHED.get(graph);
  if (touched === undefined) TOUCHED.set(graph, (touched = touchedHosts(graph, base.graph, base.changedVirtualServices)));
  if (touched === null) return false;
  for (const h of hosts) {
    if (touched.exact.has(h)) return false;
    const suffix = isWildcard(h) ? h.replace(/^\*/, '') : null;
    for (const w of touched.wildcards) {
      if (h.endsWith(w)) return false;
      if (suffix !== null && (suffix.endsWith(w) || w.endsWith(suffix))) return false;
    }
    if (suffix !== null) for (const e of touched.exact) if (e.endsWith(suffix)) return false;
  }
  return true;
}
