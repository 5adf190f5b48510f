/**
 * What the view of a graph built on its predecessor takes from the predecessor's view when only
 * VirtualServices and DestinationRules changed between them (`MeshGraph.viewBase`): the two graphs
 * then share their service, workload and policy indexes (and the objects in them), so
 * - a cache that neither kind feeds (a namespace's mTLS mode) is shared as it is
 *   ({@link sharedPerGraph});
 * - a cache of what DestinationRules alone feed (cluster views, the DestinationRule outsiders use)
 *   is shared as it is when no DestinationRule changed, else copied without the hosts a changed
 *   one names ({@link inheritedPerGraph});
 * - a host's routes computed for the predecessor are valid unless a changed VirtualService or
 *   DestinationRule (either version) names one of the hosts they read, or delegation is involved
 *   ({@link routesUnchanged}).
 * A changed object "names" a host when one of its hosts (resolved in its namespace) is the host, or
 * a wildcard covers it or is covered by it. `view-carry-diff.test.ts` holds every proxy's
 * translation on such a graph byte-equal to a from-scratch one over chains of such edits.
 */
import { isWildcard, resolveHost } from '../hosts.js';
import type { MeshGraph } from '../graph.js';
import type { MeshObject } from '../object.js';
import { stringList } from '../object.js';
import { routeTraits } from './route-traits.js';

/**
 * `store`'s value for `graph`, made on first use, or the predecessor's own value (the same object,
 * shared from then on) when `graph` has a `viewBase`. Only for values neither a VirtualService nor
 * a DestinationRule feeds.
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

/**
 * `store`'s value for `graph`, made on first use; with a `viewBase`, the predecessor's value
 * itself when no DestinationRule changed, else `copy(previous, keep)` where `keep(host)` says
 * whether no changed DestinationRule names `host`. For values only DestinationRules (and the
 * indexes a view base shares) feed, per host.
 */
export function inheritedPerGraph<T extends object>(store: WeakMap<MeshGraph, T>, graph: MeshGraph, make: () => T, copy: (previous: T, keep: (host: string) => boolean) => T): T {
  let value = store.get(graph);
  if (value === undefined) {
    const base = graph.viewBase();
    const previous = base && store.get(base.graph);
    const rules = base && touchedOf(graph).rules;
    value = previous === undefined || rules === undefined ? make() : rules === NONE ? previous : rules === null ? make() : copy(previous, (h) => !names(rules, h));
    store.set(graph, value);
  }
  return value;
}

/** Hosts named by changed objects: exact FQDNs and wildcard suffixes (`.example.com` for `*.example.com`). */
interface Hosts { readonly exact: ReadonlySet<string>; readonly suffixes: readonly string[] }

/** No object of the kind changed. */
const NONE: Hosts = { exact: new Set(), suffixes: [] };

/** Per graph: the hosts its changed VirtualServices and DestinationRules name (`routes`), and its changed DestinationRules alone (`rules`); null where a change may reach every host. */
const TOUCHED = new WeakMap<MeshGraph, { readonly routes: Hosts | null; readonly rules: Hosts | null }>();

function touchedOf(graph: MeshGraph): { readonly routes: Hosts | null; readonly rules: Hosts | null } {
  let t = TOUCHED.get(graph);
  if (t === undefined) {
    const base = graph.viewBase();
    TOUCHED.set(graph, (t = base ? touchedHosts(graph, base.graph, base.changed) : { routes: null, rules: null }));
  }
  return t;
}

function touchedHosts(graph: MeshGraph, base: MeshGraph, changed: readonly MeshObject[]): { readonly routes: Hosts | null; readonly rules: Hosts | null } {
  const rules = changed.filter((o) => o.kind === 'DestinationRule');
  const ruleHosts = rules.length === 0 ? NONE : hostsOf(graph, rules.map((o) => [o, typeof o.spec.host === 'string' ? [o.spec.host] : []]));
  // Delegation reaches a root's routes through a VirtualService without hosts: a changed delegate,
  // root, or VirtualService some root names, and every host's routes are recomputed.
  const named = new Set<string>();
  for (const g of [graph, base]) for (const vs of g.ofKind('VirtualService')) for (const d of routeTraits(vs).delegates) named.add(d);
  const services = changed.filter((o) => o.kind === 'VirtualService');
  const delegation = services.some((vs) => routeTraits(vs).delegates.length > 0 || named.has(`${vs.namespace}/${vs.name}`));
  const routeHosts = delegation ? null : hostsOf(graph, [...rules, ...services].map((o) => [o, o.kind === 'DestinationRule' ? (typeof o.spec.host === 'string' ? [o.spec.host] : []) : (stringList(o.spec.hosts) ?? [])]));
  return { routes: routeHosts, rules: ruleHosts };
}

/** The hosts the objects name, each as written and resolved in the object's namespace; null when one names none or every host. */
function hostsOf(graph: MeshGraph, objects: readonly (readonly [MeshObject, readonly string[]])[]): Hosts | null {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const [o, hosts] of objects) {
    if (hosts.length === 0) return null;
    for (const h of hosts) {
      for (const fqdn of new Set([h, resolveHost(h, o.namespace, graph.clusterDomain).fqdn])) {
        if (fqdn === '*' || fqdn === '' || (fqdn.includes('*') && !fqdn.startsWith('*.'))) return null;
        if (isWildcard(fqdn)) suffixes.push(fqdn.replace(/^\*/, ''));
        else exact.add(fqdn);
      }
    }
  }
  return { exact, suffixes };
}

/** Whether `host` (an FQDN or a wildcard) is named by one of `hosts`, exactly or by a wildcard either way. */
function names(hosts: Hosts, host: string): boolean {
  if (hosts.exact.has(host)) return true;
  const suffix = isWildcard(host) ? host.replace(/^\*/, '') : null;
  for (const w of hosts.suffixes) {
    if (host.endsWith(w)) return true;
    if (suffix !== null && (suffix.endsWith(w) || w.endsWith(suffix))) return true;
  }
  if (suffix !== null) for (const e of hosts.exact) if (e.endsWith(suffix)) return true;
  return false;
}

/**
 * Whether routes the predecessor (`graph.viewBase()`) computed from `hosts` (every host they read:
 * the service's own, its destinations') are what `graph` computes: no changed VirtualService or
 * DestinationRule names one of them, and no changed VirtualService is a delegate, names one, or is
 * named as one. False without a view base.
 */
export function routesUnchanged(graph: MeshGraph, hosts: readonly string[]): boolean {
  if (!graph.viewBase()) return false;
  const touched = touchedOf(graph).routes;
  return touched !== null && !hosts.some((h) => names(touched, h));
}
