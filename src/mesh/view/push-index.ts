/**
 * What istiod's PushContext indexes once for every proxy (`pilot/pkg/model/push_context.go`), here:
 * for a host, the namespaces whose sidecars may see it differently from every other namespace.
 *
 * A sidecar in namespace P sees a host through three namespace-dependent lookups: the services of
 * the host exported to P (`exportTo`), the VirtualServices of the host exported to P, and the
 * DestinationRule P uses for it (P's own rules first, then the service's namespace, then the root
 * namespace, each filtered by `exportTo`). Each answer depends on P only when P is
 * - a namespace holding a Service, ServiceEntry, VirtualService or DestinationRule for the host, or a
 *   Gateway API HTTPRoute whose parentRef names it (GAMMA: a consumer route applies in its namespace only)
 *   (`exportTo: "."` exports to that namespace alone; P's own DestinationRules come first),
 * - a namespace named in such an object's `exportTo`,
 * - the root namespace, or the namespace the host's name says it lives in (`<name>.<ns>.svc.…`).
 * Every other namespace gets the same three answers: the host's "outsiders". Their sidecars can
 * share whatever is computed from those answers (routes, cluster views), as istiod's SidecarScope
 * shares the PushContext indexes.
 */
import { isWildcard, resolveHost, routeHostKey, wildcardsCovering } from '../hosts.js';
import type { MergedDestinationRule } from '../destination-rules.js';
import type { MeshGraph } from '../graph.js';
import { stringList, type MeshObject } from '../object.js';
import { defaultExportTo, exportedTo, exportToOf } from '../visibility.js';
import { routesUnchanged } from './carry.js';
import { routeTraits } from './route-traits.js';
import { gammaVirtualServices } from '../gateway-api-mesh-routes.js';
import { gammaL4VirtualServices } from '../gateway-api-mesh-l4-routes.js';

interface HostIndex {
  /** Namespaces that matter for VirtualServices and DestinationRules, by resolved host (exact or wildcard). */
  readonly byHost: Map<string, Set<string>>;
}

/** Per graph and host: the namespaces that see it differently, or null (every namespace does: a wildcard host). */
const SPECIAL = new WeakMap<MeshGraph, Map<string, ReadonlySet<string> | null>>();

/**
 * `store`'s per-host map for `graph`, and the answer for `host` in it, else the answer its view
 * base's map holds when no changed VirtualService or DestinationRule names the host (`carry.ts`),
 * kept in `graph`'s map; undefined when neither has it.
 */
function hostAnswer<T>(store: WeakMap<MeshGraph, Map<string, T>>, graph: MeshGraph, host: string): { readonly map: Map<string, T>; readonly found: boolean; readonly value: T | undefined } {
  let map = store.get(graph);
  if (!map) store.set(graph, (map = new Map()));
  if (map.has(host)) return { map, found: true, value: map.get(host) };
  const base = graph.viewBase();
  const before = base && store.get(base.graph);
  if (before?.has(host) && routesUnchanged(graph, [host])) {
    const value = before.get(host) as T;
    map.set(host, value);
    return { map, found: true, value };
  }
  return { map, found: false, value: undefined };
}

const INDEX = new WeakMap<MeshGraph, HostIndex>();

/** `exportTo` values that name a namespace (not `*`, `.` or `~`). */
function namedNamespaces(values: readonly string[]): string[] {
  return values.filter((v) => v !== '*' && v !== '.' && v !== '~');
}

function note(byHost: Map<string, Set<string>>, host: string, o: MeshObject, exportTo: readonly string[]): void {
  let set = byHost.get(host);
  if (!set) byHost.set(host, (set = new Set()));
  set.add(o.namespace);
  for (const n of namedNamespaces(exportTo)) set.add(n);
}

function indexOf(graph: MeshGraph): HostIndex {
  let index = INDEX.get(graph);
  if (index) return index;
  const byHost = new Map<string, Set<string>>();
  for (const o of graph.destinationRuleObjects()) {
    if (typeof o.spec.host !== 'string' || o.spec.host === '') continue;
    note(byHost, resolveHost(o.spec.host, o.namespace, graph.clusterDomain).fqdn, o, exportToOf(o, graph.meshConfig).values);
  }
  // Every VirtualService, whatever its gateways: a namespace counted too many only shares less.
  for (const o of graph.ofKind('VirtualService')) {
    const exportTo = exportToOf(o, graph.meshConfig).values;
    for (const h of stringList(o.spec.hosts) ?? []) {
      const host = resolveHost(h, o.namespace, graph.clusterDomain).fqdn;
      note(byHost, host, o, exportTo);
      // A sidecar binds HTTP VirtualService hosts to services lower-cased (`sidecar-scope.ts` virtualServicesFor).
      if (routeHostKey(host) !== host) note(byHost, routeHostKey(host), o, exportTo);
    }
  }
  // GAMMA VirtualServices apply to their own namespace's sidecars (consumer routes) and the Service's.
  for (const [host, list] of [...gammaVirtualServices(graph), ...gammaL4VirtualServices(graph)]) {
    let set = byHost.get(host);
    if (!set) byHost.set(host, (set = new Set()));
    for (const vs of list) set.add(vs.namespace);
  }
  INDEX.set(graph, (index = { byHost }));
  return index;
}

/**
 * The namespaces whose sidecars may see `host` (a resolved FQDN, as the view queries it) unlike
 * every other namespace; null when no namespace can be treated as an outsider (a wildcard host).
 * Computed once per graph and host.
 */
export function namespacesSeeingDifferently(graph: MeshGraph, host: string): ReadonlySet<string> | null {
  const known = hostAnswer(SPECIAL, graph, host);
  if (known.found) return known.value!;
  const index = indexOf(graph);
  let out: Set<string> | null = null;
  if (!isWildcard(host)) {
    out = new Set([graph.rootNamespace]);
    const kube = /^[^.]+\.([^.]+)\.svc\./.exec(host);
    if (kube) out.add(kube[1]!);
    const folded = routeHostKey(host);
    for (const h of new Set([host, ...wildcardsCovering(host), folded, ...wildcardsCovering(folded)])) for (const n of index.byHost.get(h) ?? []) out.add(n);
    for (const s of graph.services.forHost(host, null)) {
      out.add(s.namespace);
      for (const n of namedNamespaces(s.exportTo)) out.add(n);
    }
  }
  known.map.set(host, out);
  return out;
}

const OUTSIDER_TESTS = new WeakMap<MeshGraph, Map<string, Map<string, boolean>>>();

/** Whether a sidecar in `namespace` sees `host` as every outsider does (see {@link namespacesSeeingDifferently}); memoised per namespace and host. */
export function seesAsOutsider(graph: MeshGraph, host: string, namespace: string): boolean {
  let byNamespace = OUTSIDER_TESTS.get(graph);
  if (!byNamespace) OUTSIDER_TESTS.set(graph, (byNamespace = new Map()));
  let answers = byNamespace.get(namespace);
  if (!answers) byNamespace.set(namespace, (answers = new Map()));
  let answer = answers.get(host);
  if (answer === undefined) {
    const special = namespacesSeeingDifferently(graph, host);
    answers.set(host, (answer = special !== null && !special.has(namespace)));
  }
  return answer;
}

const CLIENT_MATCHES = new WeakMap<MeshGraph, boolean>();

/**
 * Whether any VirtualService route match names its client (`sourceLabels`, `sourceNamespace`), so
 * that the routes of a host may differ between namespaces that see the host alike.
 */
export function matchesNameTheClient(graph: MeshGraph): boolean {
  let v = CLIENT_MATCHES.get(graph);
  if (v === undefined) {
    v = graph.ofKind('VirtualService').some((o) => routeTraits(o).namesClient);
    CLIENT_MATCHES.set(graph, v);
  }
  return v;
}

/** A namespace no object can name: it sees every host as its outsiders do. */
const OUTSIDER = '\u0000outsider';

const IDS = new WeakMap<object, number>();
let nextId = 1;

function idOf(o: object): number {
  let id = IDS.get(o);
  if (id === undefined) IDS.set(o, (id = nextId++));
  return id;
}

/**
 * What a sidecar in `namespace` sees of `host`, as a string of object identities: the services of the
 * host exported to it, the mesh VirtualServices for it (grouped, most specific first: the applied one
 * and the ignored ones), those made of Gateway API routes it may apply and those of its own namespace
 * (which it orders first), and the rules of the DestinationRule it uses (`rule`, from its cluster
 * collector). Two namespaces with equal strings get equal answers, whatever `namespacesSeeingDifferently` says.
 */
export function answersKey(graph: MeshGraph, host: string, namespace: string, rule: MergedDestinationRule | null): string {
  const services = graph.services.forHost(host, namespace).map(idOf).join(',');
  const vsGroups = (ignoreCase: boolean) => graph.virtualServiceGroupsFor(host, 'mesh', namespace, ignoreCase).map((g) => g.map(idOf).join(',')).join(';');
  const vs = `${vsGroups(false)}/${vsGroups(true)}`;
  const gamma = (gammaVirtualServices(graph).get(host) ?? []).filter((g) => g.namespace === namespace || g.namespace === g.serviceNamespace).map(idOf).join(',');
  const exportTo = defaultExportTo('VirtualService', graph.meshConfig);
  const gammaL4 = (gammaL4VirtualServices(graph).get(host) ?? []).filter((g) => exportedTo(exportTo, g.namespace, namespace)).map(idOf).join(',');
  // A sidecar puts the VirtualServices made of Gateway API routes of its own namespace first (`candidateOrder`): a
  // namespace that owns one orders the same candidates differently from its outsiders.
  const own = [...gammaVirtualServices(graph).get(host) ?? [], ...gammaL4VirtualServices(graph).get(host) ?? []].filter((g) => g.namespace === namespace).map(idOf).join(',');
  return `${services}|${vs}|${gamma}|${gammaL4}|${own}|${rule ? rule.rules.map(idOf).join(',') : '-'}`;
}

const OUTSIDER_ANSWERS = new WeakMap<MeshGraph, Map<string, string>>();

/** {@link answersKey} of a namespace outside `host`'s `namespacesSeeingDifferently`, once per graph and host. */
export function outsiderAnswersKey(graph: MeshGraph, host: string): string {
  const known = hostAnswer(OUTSIDER_ANSWERS, graph, host);
  if (known.found) return known.value!;
  const key = answersKey(graph, host, OUTSIDER, graph.destinationRuleForResolved(host, OUTSIDER));
  known.map.set(host, key);
  return key;
}
