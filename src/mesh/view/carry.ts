/**
 * What the view of a graph built on its predecessor takes from the predecessor's view when only
 * VirtualServices, DestinationRules, Services, ServiceEntries, workloads, Namespaces, Sidecars,
 * PeerAuthentications and AuthorizationPolicies changed between them (`MeshGraph.viewBase`): the
 * two graphs then share their service index's unchanged services (the objects in them), and their
 * policy index when no policy changed, so
 * - a cache of what DestinationRules, services, the services' workloads and the namespaces' mTLS
 *   modes feed (cluster views, the DestinationRule outsiders use) is shared as it is when none
 *   changed, else copied without the hosts a changed rule names, the hosts of changed Services and
 *   ServiceEntries, whose service selects a changed workload, or whose service's namespace has
 *   another PeerAuthentication mode now ({@link inheritedPerGraph});
 * - a per-service value (its data plane, its `ServiceView` with its service accounts, its ports'
 *   cluster policies) is the predecessor's unless the service selects a changed workload, with
 *   its labels before or after the change, its host is one of a changed Service or ServiceEntry,
 *   or its namespace's mTLS mode changed ({@link perServiceOf}; a changed service is a new
 *   `ServiceInfo` anyway);
 * - a host's routes computed for the predecessor are valid unless a changed VirtualService or
 *   DestinationRule (either version) names one of the hosts they read, one of those hosts' services
 *   changed, selects a changed workload or moved, or delegation is involved ({@link routesUnchanged}).
 * A changed Namespace (its labels: injection, revision, ambient) may change the data plane of
 * every workload in it: the services selecting them get new cluster policies and service views
 * (not new routes). Sidecars and AuthorizationPolicies reach nothing shared here: a proxy a
 * Sidecar's egress applies to computes its own routes, and inbound views (authorization, mTLS)
 * are per graph. A
 * PeerAuthentication reaches shared values only through its namespace's mode, which auto mTLS reads
 * (istiod's `BestEffortInferServiceMTLSMode`), so the modes of both graphs are compared, namespace
 * by namespace, and the hosts of the namespaces whose mode differs are touched.
 * Objects that only moved (same content elsewhere, `graph-carry.ts`) count as changed when they are
 * VirtualServices or DestinationRules; a moved Service or ServiceEntry has a new `ServiceInfo` (so
 * its per-service values are made again, with its new origin) and touches its hosts as an edited
 * one does; other moved kinds reach nothing shared here.
 * A changed object "names" a host when one of its hosts (resolved in its namespace) is the host, or
 * a wildcard covers it or is covered by it. `view-carry-diff.test.ts` holds every proxy's
 * translation on such a graph byte-equal to a from-scratch one over chains of such edits.
 */
import { isWildcard, resolveHost } from '../hosts.js';
import type { MeshGraph } from '../graph.js';
import type { MeshObject } from '../object.js';
import { stringList } from '../object.js';
import { routeTraits } from './route-traits.js';
import { selects, type ServiceInfo } from '../services.js';
import type { Workload } from '../workloads.js';

/**
 * `store`'s value for `graph`, made on first use; with a `viewBase`, the predecessor's value
 * itself when no DestinationRule, workload, service or namespace mTLS mode changed, else
 * `copy(previous, keep)` where `keep(host)` says whether no changed DestinationRule names `host`,
 * no service of `host` selects a changed workload or changed, and its namespace's mTLS mode is the
 * same. For values only DestinationRules, the services, their workloads and namespace mTLS modes
 * (and the indexes a view base shares) feed, per host.
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

/** Every host (a changed ServiceEntry host `*`): the empty suffix ends every host. */
const EVERY: Hosts = { exact: new Set(), suffixes: [''] };

/**
 * What a graph's changes reach: the hosts its changed VirtualServices, DestinationRules and the
 * services of its changed workloads name (`routes`), those of its changed DestinationRules and
 * workloads' services alone (`rules`), null where a change may reach every host; and the changed
 * pod workloads themselves (`workloads`: a service selecting one loses its per-service values).
 */
interface Touched {
  readonly routes: Hosts | null;
  readonly rules: Hosts | null;
  /** The hosts of changed and moved Services and ServiceEntries (either version), of services in a namespace whose mTLS mode changed, and of services selecting a workload of a changed Namespace: no per-service value of a service of such a host is shared. */
  readonly services: Hosts;
  /** The changed workloads (both versions), and the workloads of changed Namespaces. */
  readonly workloads: readonly Workload[];
}

const TOUCHED = new WeakMap<MeshGraph, Touched>();

function touchedOf(graph: MeshGraph): Touched {
  let t = TOUCHED.get(graph);
  if (t === undefined) {
    const base = graph.viewBase();
    TOUCHED.set(graph, (t = base ? touchedHosts(graph, base.graph, base.changed, serviceHostsOf(graph, base.graph, base.changed, base.moved), mtlsHostsOf(graph, base.graph)) : { routes: null, rules: null, services: NONE, workloads: [] }));
  }
  return t;
}

/**
 * The changed workloads (pod workloads and WorkloadEntries), with their labels in either graph
 * (`graph`'s version, then `base`'s), and the workloads of changed Namespaces (`members`: their
 * labels are the same, their membership, so data plane, may differ). A WorkloadEntry is also an
 * endpoint of the ServiceEntries whose `workloadSelector` selects it: those are among the services
 * that select it.
 */
function changedWorkloads(graph: MeshGraph, base: MeshGraph, changed: readonly MeshObject[]): { readonly edited: Workload[]; readonly members: Workload[] } {
  const edited: Workload[] = [];
  const members: Workload[] = [];
  const namespaces = new Set<string>();
  for (const o of changed) {
    if (o.kind === 'Namespace') namespaces.add(o.name);
    for (const w of [graph.workloads.of(o), base.workloads.of(o)]) if (w) edited.push(w);
  }
  // A changed Namespace (its labels: injection, revision, ambient) may change the data plane of
  // every workload in it.
  if (namespaces.size > 0) for (const g of [graph, base]) for (const w of g.workloads.all) if (namespaces.has(w.namespace)) members.push(w);
  return { edited, members };
}

/**
 * Whether `s` selects one of `workloads` (its namespace, its selector): then its data plane and
 * service accounts (`ServiceView`), the auto-mTLS of its clusters and the routes to it may differ.
 * Asked of the service itself, not of its identity: a service the view derives from registry ones
 * (ports merged from ServiceEntries of the same host, `host-services.ts`) is another object.
 */
function selectsAny(s: ServiceInfo, workloads: readonly Workload[]): boolean {
  return s.selector !== null && workloads.some((w) => s.namespace === w.namespace && selects(s.selector!, w.labels));
}

/**
 * The hosts of the services of changed and moved Services and ServiceEntries (`MeshGraph.viewBase()`:
 * `changed` holds both versions of an edited one, `moved` the ones whose content is unchanged), in
 * either graph. An edited one may have other ports, selector, exportTo, addresses, resolution or
 * endpoints; a moved one has its origins (service view, default routes, ServiceEntry endpoints) at
 * new lines. Either way what read those hosts is made again, and the other services' values stay
 * shared (istiod's `updateContext` rebuilds the service index, and the SidecarScope keeps what the
 * changed services do not reach).
 */
function serviceHostsOf(graph: MeshGraph, base: MeshGraph, changed: readonly MeshObject[], moved: readonly { readonly next: MeshObject }[]): string[] {
  const objects = new Set<MeshObject>();
  for (const m of moved) if (m.next.kind === 'Service' || m.next.kind === 'ServiceEntry') objects.add(m.next);
  for (const o of changed) if (o.kind === 'Service' || o.kind === 'ServiceEntry') objects.add(o);
  if (objects.size === 0) return [];
  const hosts = new Set<string>();
  for (const g of [graph, base]) for (const s of g.services.all) if (objects.has(s.object)) hosts.add(s.host);
  return [...hosts];
}

/**
 * The hosts of the services (in either graph) whose namespace's PeerAuthentication mode, as auto
 * mTLS reads it (`MeshGraph.namespaceMtls`), differs between the graphs: a namespace or mesh policy
 * added, removed, edited, or another one first. Their cluster policies (client TLS) may differ.
 */
function mtlsHostsOf(graph: MeshGraph, base: MeshGraph): string[] {
  const modes = new Map<string, boolean>();
  const hosts = new Set<string>();
  for (const g of [graph, base]) {
    for (const s of g.services.all) {
      let differs = modes.get(s.namespace);
      if (differs === undefined) modes.set(s.namespace, (differs = graph.namespaceMtls(s.namespace) !== base.namespaceMtls(s.namespace)));
      if (differs) hosts.add(s.host);
    }
  }
  return [...hosts];
}

function touchedHosts(graph: MeshGraph, base: MeshGraph, changed: readonly MeshObject[], serviceHosts: readonly string[], mtlsHosts: readonly string[]): Touched {
  const { edited, members } = changedWorkloads(graph, base, changed);
  const hostsSelecting = (ws: readonly Workload[]): string[] => (ws.length === 0 ? [] : graph.services.all.filter((s) => selectsAny(s, ws)).map((s) => s.host));
  const selected = [...hostsSelecting(edited), ...serviceHosts];
  const rules = changed.filter((o) => o.kind === 'DestinationRule');
  // A namespace's mTLS mode, and its workloads' data plane, feed cluster policies (client TLS) and
  // service views only, not routes.
  const memberHosts = hostsSelecting(members);
  const forRules = [...selected, ...mtlsHosts, ...memberHosts];
  const workloads = [...edited, ...members];
  const ruleHosts = rules.length === 0 && forRules.length === 0 ? NONE : withHosts(hostsOf(graph, rules.map((o) => [o, typeof o.spec.host === 'string' ? [o.spec.host] : []])), forRules);
  // Delegation reaches a root's routes through a VirtualService without hosts: a changed delegate,
  // root, or VirtualService some root names, and every host's routes are recomputed.
  const named = new Set<string>();
  for (const g of [graph, base]) for (const vs of g.ofKind('VirtualService')) for (const d of routeTraits(vs).delegates) named.add(d);
  const virtualServices = changed.filter((o) => o.kind === 'VirtualService');
  const delegation = virtualServices.some((vs) => routeTraits(vs).delegates.length > 0 || named.has(`${vs.namespace}/${vs.name}`));
  const routeHosts = delegation ? null : withHosts(hostsOf(graph, [...rules, ...virtualServices].map((o) => [o, o.kind === 'DestinationRule' ? (typeof o.spec.host === 'string' ? [o.spec.host] : []) : (stringList(o.spec.hosts) ?? [])])), selected);
  return { routes: routeHosts, rules: ruleHosts, services: withHosts(NONE, [...serviceHosts, ...mtlsHosts, ...memberHosts]) ?? EVERY, workloads };
}

/** `hosts` and the service hosts `more` (FQDNs, or `*.` wildcards of ServiceEntries); null stays null. */
function withHosts(hosts: Hosts | null, more: readonly string[]): Hosts | null {
  if (hosts === null || more.length === 0) return hosts;
  const exact = new Set(hosts.exact);
  const suffixes = [...hosts.suffixes];
  for (const h of more) {
    if (h === '*' || (h.includes('*') && !h.startsWith('*.'))) return null;
    if (isWildcard(h)) suffixes.push(h.slice(1));
    else exact.add(h);
  }
  return { exact, suffixes };
}

/**
 * `make()` for service `s` in `graph`, kept per graph: with a `viewBase` the predecessor's value
 * when it has one and no changed workload is selected by `s` (the graphs then share `s`, and what
 * is derived from it and its workloads is equal). For per-service values of the view that read
 * the service, its workloads (data plane, service accounts) and the indexes a view base shares.
 */
export function perServiceOf<T>(store: WeakMap<MeshGraph, WeakMap<ServiceInfo, T>>, graph: MeshGraph, s: ServiceInfo, make: () => T): T {
  let own = store.get(graph);
  if (own === undefined) store.set(graph, (own = new WeakMap()));
  let value = own.get(s);
  if (value === undefined) {
    const base = serviceBase(graph, s);
    if (base) value = store.get(base)?.get(s);
    if (value === undefined) value = make();
    own.set(s, value);
  }
  return value;
}

/**
 * The predecessor whose per-service values hold for `s` in `graph` (`graph.viewBase()`, when `s`
 * selects no changed pod workload), else undefined. For caches that look a miss up there
 * themselves instead of sharing the predecessor's value ({@link perServiceOf}).
 */
export function serviceBase(graph: MeshGraph, s: ServiceInfo): MeshGraph | undefined {
  const base = graph.viewBase();
  if (!base) return undefined;
  const touched = touchedOf(graph);
  return !selectsAny(s, touched.workloads) && !names(touched.services, s.host) ? base.graph : undefined;
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
 * DestinationRule names one of them, none is the host of a service selecting a changed workload,
 * and no changed VirtualService is a delegate, names one, or is named as one. False without a view base.
 */
export function routesUnchanged(graph: MeshGraph, hosts: readonly string[]): boolean {
  if (!graph.viewBase()) return false;
  const touched = touchedOf(graph).routes;
  return touched !== null && !hosts.some((h) => names(touched, h));
}
