/**
 * The services, and the ports of each, that a Sidecar's egress listeners import for the sidecars of
 * one namespace: istiod's `SidecarScope` (istio/istio pilot/pkg/model/sidecar.go, Istio 1.31 with its
 * default flags `PILOT_UNIFIED_SIDECAR_SCOPE` and `PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE` on).
 *
 * Per egress listener (`convertIstioListenerToWrapper`):
 * - `matchPort` (`needsPortMatch`): the listener has a port and its protocol is not HTTP_PROXY;
 * - `services` (`selectServices` → `matchingService`): the services exported to the namespace that an
 *   entry of `hosts` imports (`ns/host`, `./host`, `*` for the namespace, `~` excludes); with
 *   `matchPort` only those that have the listener's port, each with that port alone
 *   (`serviceMatchingListenerPort`); one service per host (`service-precedence.ts`);
 * - `virtualServices` (`SelectVirtualServices`): the mesh VirtualServices exported to the namespace
 *   one of whose hosts an entry imports.
 * Then `collectImportedServices` forms the scope's services (what CDS, and so EDS, builds from): per
 * listener in order, its `services`, then the destinations of its `virtualServices`
 * (`virtualServiceDestinationsFilteredBySourceNamespace`: route destinations and mirrors of the rules
 * that apply to the namespace, each host with the ports written, "no port" meaning every port), each
 * resolved to the host's service in the namespace itself, else the best visible one
 * (`pickBestVisibleNamespace`: a Kubernetes Service, else the oldest ServiceEntry), with `matchPort`
 * only the listener's port (`serviceMatchingListenerPort`), else only the destinations' ports
 * (`serviceMatchingVirtualServicePorts`; none of them on the service: not added). A host added
 * again merges its ports into the first one's (`appendSidecarServices`) when both are the same
 * service, or services of one namespace, kind and resolution (`canMergeServices`); a Kubernetes
 * Service replaces a ServiceEntry and is never replaced by one; otherwise the first stays.
 */
import { gammaDestinations, gammaVirtualServices } from '../gateway-api-mesh-routes.js';
import { gammaL4Destinations, gammaL4VirtualServices } from '../gateway-api-mesh-l4-routes.js';
import { mergedDelegateRules } from '../delegation.js';
import type { MeshGraph } from '../graph.js';
import { hostMatches } from '../hosts.js';
import { isRecord, stringList, type MeshObject } from '../object.js';
import { parseProtocol, type IstioProtocol } from '../protocol.js';
import { routeRulesOf } from '../route-rules.js';
import { serviceCreationOrder } from '../service-precedence.js';
import type { ServiceInfo } from '../services.js';
import { defaultExportTo, exportedTo, exportToOf, importingEntry, sidecarEgress, type EgressHost, type VisibilityProblem } from '../visibility.js';
import { oneServicePerHost } from './host-services.js';
import type { FieldPath } from '../types.js';

/** A service in a sidecar's scope and the port numbers of it that are imported, in the service's order. */
export interface ImportedService {
  readonly service: ServiceInfo;
  readonly ports: readonly number[];
}

/** One egress listener as istiod wraps it (`IstioEgressListenerWrapper`). */
export interface EgressListenerScope {
  /** Its index in `spec.egress`. */
  readonly index: number;
  /** `egress[i].port.number`, when set. */
  readonly port: number | undefined;
  /** istiod `needsPortMatch`: a port is set and its protocol is not HTTP_PROXY. */
  readonly matchPort: boolean;
  /**
   * `egress[i].port.protocol` as istiod parses it (`protocol.Parse`; unset: `UnsupportedProtocol`, sniffed).
   * With `matchPort`, the protocol of the listener built for each service on that port, whatever the
   * service port's (`buildSidecarOutboundListeners`: `listenPort.Protocol`).
   */
  readonly protocol: IstioProtocol;
  readonly hosts: readonly EgressHost[];
  /** istiod `ilw.services`: what its `hosts` import (the listeners and routes are built from these). */
  readonly services: readonly ImportedService[];
  /** istiod `ilw.virtualServices`: the mesh VirtualServices its `hosts` import. */
  readonly virtualServices: readonly MeshObject[];
}

/** istiod's SidecarScope of one Sidecar for one namespace. */
export interface SidecarImportScope {
  readonly listeners: readonly EgressListenerScope[];
  /** istiod `SidecarScope.services`, the union over the listeners that CDS builds from, in istiod's order. */
  readonly services: readonly ImportedService[];
  /** Malformed egress hosts (they import nothing). */
  readonly problems: readonly VisibilityProblem[];
}

const SCOPES = new WeakMap<MeshGraph, Map<string, SidecarImportScope | null>>();

/**
 * istiod's SidecarScope for the sidecars of `namespace` under `sidecar`: null when the Sidecar has no
 * egress listener (istiod's default listener `*\/*` then imports every service exported to the
 * namespace, whole). Memoised per graph.
 */
export function sidecarImportScope(graph: MeshGraph, sidecar: MeshObject, namespace: string): SidecarImportScope | null {
  let byKey = SCOPES.get(graph);
  if (!byKey) SCOPES.set(graph, (byKey = new Map()));
  const key = `${namespace}\u0000${sidecar.key}`;
  let scope = byKey.get(key);
  if (scope === undefined) byKey.set(key, (scope = computeScope(graph, sidecar, namespace)));
  return scope;
}

/** A VirtualService bound to `mesh`, its `exportTo` and its hosts as FQDNs. */
interface MeshVirtualService {
  readonly vs: MeshObject;
  readonly exportTo: readonly string[];
  readonly hosts: readonly string[];
}

const MESH_VIRTUAL_SERVICES = new WeakMap<MeshGraph, readonly MeshVirtualService[]>();

/** The input's VirtualServices bound to `mesh`, in input order, found once per graph: every Sidecar scope filters them. */
function meshVirtualServicesOf(graph: MeshGraph): readonly MeshVirtualService[] {
  let list = MESH_VIRTUAL_SERVICES.get(graph);
  if (!list) {
    MESH_VIRTUAL_SERVICES.set(graph, (list = graph.ofKind('VirtualService').filter((vs) => graph.gatewaysOf(vs).some((g) => g.mesh)).map((vs) => ({
      vs,
      exportTo: exportToOf(vs, graph.meshConfig).values,
      hosts: (stringList(vs.spec.hosts) ?? []).map((h) => graph.resolveHost(h, vs.namespace).fqdn),
    }))));
  }
  return list;
}

/** Whether `scope` imports `port` of `host`: the cluster `outbound|port||host` exists. */
export function importsPort(scope: SidecarImportScope, host: string, port: number): boolean {
  return scope.services.some((i) => i.service.host === host && i.ports.includes(port));
}

function computeScope(graph: MeshGraph, sidecar: MeshObject, namespace: string): SidecarImportScope | null {
  const { listeners: parsed, problems } = sidecarEgress(sidecar, namespace);
  if (parsed.length === 0) return null;
  const egress = Array.isArray(sidecar.spec.egress) ? sidecar.spec.egress : [];
  const exported = graph.services.all.filter((s) => exportedTo(s.exportTo, s.namespace, namespace));
  const meshVirtualServices = meshVirtualServicesOf(graph).filter((m) => exportedTo(m.exportTo, m.vs.namespace, namespace));
  const listeners = parsed.map((l): EgressListenerScope => {
    const index = l.path[2] as number;
    const written = egress[index];
    const protocol = parseProtocol(isRecord(written) && isRecord(written.port) && typeof written.port.protocol === 'string' ? written.port.protocol : '');
    const matchPort = l.port !== undefined && l.port !== 0 && protocol !== 'HTTP_PROXY';
    return {
      index, port: l.port, matchPort, protocol, hosts: l.hosts,
      services: selectServices(exported, l.hosts, matchPort ? l.port : undefined, namespace),
      virtualServices: meshVirtualServices.filter((m) => m.hosts.some((h) => importingEntry(l.hosts, m.vs.namespace, h) !== undefined)).map((m) => m.vs),
    };
  });
  const services = new ScopeServices();
  for (const l of listeners) {
    for (const i of l.services) services.append(i);
    // The GAMMA VirtualServices the listener imports count as its VirtualServices do (`gamma-routes.ts`).
    const gamma = [...gammaVirtualServices(graph).values()].flat().filter((vs) => (vs.namespace === vs.serviceNamespace || vs.namespace === namespace)
      && exportedTo(defaultExportTo('VirtualService', graph.meshConfig), vs.namespace, namespace) && importingEntry(l.hosts, vs.namespace, vs.host) !== undefined);
    // Those of mesh TCPRoutes and TLSRoutes too, in any namespace they are exported to (`gamma-l4-routes.ts`).
    const gammaL4 = [...gammaL4VirtualServices(graph).values()].flat().filter((vs) => exportedTo(defaultExportTo('VirtualService', graph.meshConfig), vs.namespace, namespace)
      && importingEntry(l.hosts, vs.namespace, vs.host) !== undefined);
    for (const destinations of [...l.virtualServices.map((vs) => virtualServiceDestinations(graph, vs, namespace)), ...gamma.map((vs) => gammaDestinations(graph, vs)),
      ...gammaL4.map((vs) => gammaL4Destinations(graph, vs))]) {
      for (const [host, ports] of destinations) {
        const s = pickService(graph, host, namespace);
        const imported = s && (l.matchPort ? matchingListenerPort(s, l.port!) : matchingVirtualServicePorts(s, ports));
        if (imported) services.append(imported);
      }
    }
  }
  return { listeners, services: services.list(), problems };
}

/** istiod `selectServices` with `matchingService`: the services `hosts` import, trimmed to `port` when set. */
function selectServices(exported: readonly ServiceInfo[], hosts: readonly EgressHost[], port: number | undefined, namespace: string): ImportedService[] {
  const imported = exported.filter((s) => importsServiceHost(hosts, s.namespace, s.host)
    && (port === undefined || s.ports.some((p) => p.number === port)));
  return oneServicePerHost(imported, namespace).map((s) => ({ service: s, ports: port === undefined ? s.ports.map((p) => p.number) : [port] }));
}

/**
 * istiod `hostClassification.Matches` under `Excluded`: an entry of the service's namespace or `*`
 * covers the service's host (`SubsetOf`: `ns/api.example.com` does not import a `*.example.com`
 * ServiceEntry), and no exclusion of them covers it.
 */
function importsServiceHost(hosts: readonly EgressHost[], namespace: string, host: string): boolean {
  const applies = (e: EgressHost) => e.namespace === '*' || e.namespace === namespace;
  if (hosts.some((e) => e.excluded && applies(e) && hostMatches(e.host, host))) return false;
  return hosts.some((e) => !e.excluded && applies(e) && hostMatches(e.host, host));
}

/** istiod `serviceMatchingListenerPort`: the service with the listener's port alone, or nothing when it lacks it. */
function matchingListenerPort(s: ServiceInfo, port: number): ImportedService | undefined {
  return s.ports.some((p) => p.number === port) ? { service: s, ports: [port] } : undefined;
}

/**
 * istiod `serviceMatchingVirtualServicePorts`: the service's ports the destinations name (0: a
 * destination without port, so every port), or nothing when it has none of them.
 */
function matchingVirtualServicePorts(s: ServiceInfo, ports: ReadonlySet<number>): ImportedService | undefined {
  if (ports.size === 0 || ports.has(0)) return { service: s, ports: s.ports.map((p) => p.number) };
  const found = s.ports.map((p) => p.number).filter((n) => ports.has(n));
  return found.length > 0 ? { service: s, ports: found } : undefined;
}

/** One route destination or mirror of a VirtualService merged with its delegates, where it is written. */
export interface MergedDestination {
  /** The VirtualService, or the delegate that writes it. */
  readonly object: MeshObject;
  /** The `Destination` mapping as written (`host`, `subset`, `port.number`). */
  readonly destination: Readonly<Record<string, unknown>>;
  /** Path of that mapping in `object`. */
  readonly path: FieldPath;
  readonly what: 'destination' | 'mirror';
}

/**
 * The destinations istiod's `virtualServiceDestinationsFilteredBySourceNamespace` reads on the merged
 * VirtualService (istiod reads `MergedVirtualServices`, `mergeVirtualServices` / `mergeHTTPRoute`):
 * the route destinations and mirrors of the http rules that apply to `namespace` (no match names a
 * `sourceNamespace`, or one names it) and of every tcp and tls rule. A rule with `delegate` stands
 * for the delegate's http rules merged under it (`mergedDelegateRules`): their merged matches decide
 * whether they apply, their routes count, and so do their mirrors, or the root rule's when the
 * delegate rule sets none. The delegate's own tcp and tls rules are not merged. Each written
 * destination once, in rule order; a host resolves in its `object`'s namespace.
 */
export function mergedDestinations(graph: MeshGraph, vs: MeshObject, namespace: string): MergedDestination[] {
  const out: MergedDestination[] = [];
  const seen = new Set<string>();
  const push = (object: MeshObject, destination: unknown, path: FieldPath, what: MergedDestination['what']) => {
    if (!isRecord(destination)) return;
    const key = `${object.key}\u0000${path.join('.')}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ object, destination, path, what });
  };
  const pushMirrors = (object: MeshObject, rule: Readonly<Record<string, unknown>>, at: FieldPath, field: 'mirror' | 'mirrors') => {
    if (field === 'mirror') push(object, rule.mirror, [...at, 'mirror'], 'mirror');
    else if (Array.isArray(rule.mirrors)) rule.mirrors.forEach((m, k) => { if (isRecord(m)) push(object, m.destination, [...at, 'mirrors', k, 'destination'], 'mirror'); });
  };
  // mergeHTTPRoute: a delegate rule without `mirror` (or `mirrors`) takes the root rule's.
  const unset = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0);
  for (const r of routeRulesOf(vs)) {
    const merged = r.section === 'http' ? mergedDelegateRules(graph, vs, r.rule) : null;
    if (merged) {
      for (const leaf of merged) {
        if (!appliesTo({ match: leaf.matches }, namespace)) continue;
        const at: FieldPath = ['spec', 'http', leaf.index];
        (Array.isArray(leaf.rule.route) ? leaf.rule.route : []).forEach((e, k) => { if (isRecord(e)) push(leaf.delegate, e.destination, [...at, 'route', k, 'destination'], 'destination'); });
        for (const field of ['mirror', 'mirrors'] as const) {
          if (unset(leaf.rule[field])) pushMirrors(vs, r.rule, r.path, field);
          else pushMirrors(leaf.delegate, leaf.rule, at, field);
        }
      }
      continue;
    }
    if (r.section === 'http' && !appliesTo(r.rule, namespace)) continue;
    for (const d of r.destinations) push(vs, d.destination, [...d.path, 'destination'], 'destination');
    if (r.section === 'http') for (const field of ['mirror', 'mirrors'] as const) pushMirrors(vs, r.rule, r.path, field);
  }
  return out;
}

/**
 * The hosts of {@link mergedDestinations} (each resolved in the namespace of the VirtualService
 * that names it) with the ports they name (0 for a destination without port).
 */
export function virtualServiceDestinations(graph: MeshGraph, vs: MeshObject, namespace: string): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const { object, destination: d } of mergedDestinations(graph, vs, namespace)) {
    if (typeof d.host !== 'string' || d.host === '') continue;
    const host = graph.resolveHost(d.host, object.namespace).fqdn;
    const port = isRecord(d.port) && typeof d.port.number === 'number' ? d.port.number : 0;
    let ports = out.get(host);
    if (!ports) out.set(host, (ports = new Set()));
    ports.add(port);
  }
  return out;
}

/**
 * Whether an http rule's destinations count for the sidecars of `namespace` (istiod
 * `virtualServiceDestinationsFilteredBySourceNamespace`): no match names a `sourceNamespace`, or one
 * names `namespace` (a match without `sourceNamespace` next to one naming another does not count).
 */
export function appliesTo(rule: Readonly<Record<string, unknown>>, namespace: string): boolean {
  let applies = true;
  for (const m of Array.isArray(rule.match) ? rule.match : []) {
    if (!isRecord(m) || typeof m.sourceNamespace !== 'string' || m.sourceNamespace === '') continue;
    if (m.sourceNamespace === namespace) return true;
    applies = false;
  }
  return applies;
}

/**
 * The service istiod takes for a VirtualService destination host (`ServiceIndex.HostnameAndNamespace`,
 * exact host): the one in `namespace` whatever its exportTo, else among those visible there a
 * Kubernetes Service, else the oldest ServiceEntry (`pickBestVisibleNamespace`).
 */
function pickService(graph: MeshGraph, host: string, namespace: string): ServiceInfo | undefined {
  const all = graph.services.forHost(host, null).filter((s) => s.host === host);
  const own = all.filter((s) => s.namespace === namespace);
  if (own.length > 0) return oneServicePerHost(own, namespace)[0];
  const visible = all.filter((s) => exportedTo(s.exportTo, s.namespace, namespace));
  const k8s = visible.find((s) => s.kind === 'Service');
  const ns = k8s?.namespace ?? [...visible].sort(serviceCreationOrder)[0]?.namespace;
  return ns === undefined ? undefined : oneServicePerHost(visible.filter((s) => s.namespace === ns), namespace)[0];
}

/** Merged services per kept service and the ports merged into it (one object per combination). */
const MERGED = new WeakMap<ServiceInfo, Map<string, ServiceInfo>>();

/** istiod `appendSidecarServices`: one entry per host, in the order hosts were first added. */
class ScopeServices {
  private readonly byHost = new Map<string, ImportedService>();

  append(i: ImportedService): void {
    const existing = this.byHost.get(i.service.host);
    if (!existing) { this.byHost.set(i.service.host, i); return; }
    const a = existing.service;
    const b = i.service;
    if (a.kind === 'Service' && b.kind !== 'Service') return;
    if (a.kind !== 'Service' && b.kind === 'Service') { this.byHost.set(b.host, i); return; }
    if (a !== b && !(a.namespace === b.namespace && a.kind === b.kind && a.resolution === b.resolution)) return;
    const added = i.ports.filter((p) => !existing.ports.includes(p));
    if (added.length === 0) return;
    this.byHost.set(a.host, { service: withPorts(a, b, added), ports: [...existing.ports, ...added] });
  }

  list(): ImportedService[] {
    return [...this.byHost.values()];
  }
}

/** `kept` with the ports of `from` among `ports` it lacks (canMergeServices: same namespace, kind and resolution). */
function withPorts(kept: ServiceInfo, from: ServiceInfo, ports: readonly number[]): ServiceInfo {
  const missing = from.ports.filter((p) => ports.includes(p.number) && !kept.ports.some((q) => q.number === p.number));
  if (missing.length === 0) return kept;
  let byKey = MERGED.get(kept);
  if (!byKey) MERGED.set(kept, (byKey = new Map()));
  const key = missing.map((p) => p.number).join(',');
  let merged = byKey.get(key);
  if (!merged) byKey.set(key, (merged = { ...kept, ports: [...kept.ports, ...missing] }));
  return merged;
}

/**
 * Whether sidecars of `client.namespace` carrying `client.labels` import mesh VirtualService `vs` on
 * HTTP port `port` (undefined or 0: a port no egress listener names): the Sidecar that applies to them
 * (workload selector, else the namespace's, else the root namespace's) has no egress listener (istiod's
 * default `*\/*`), or an egress listener whose `hosts` import `vs` (`SelectVirtualServices`) builds that
 * port. Port-bound listeners on `port` build it when there are any, else the listeners without a port.
 * Not imported: the VirtualService gives those sidecars no route, so they keep the service's default
 * route (or none, when the service is not imported either). `sidecar` is the Sidecar in force, null
 * when none applies.
 */
export function virtualServiceImported(graph: MeshGraph, vs: MeshObject, client: { readonly namespace: string; readonly labels: Readonly<Record<string, string>> }, port?: number): { readonly imported: boolean; readonly sidecar: MeshObject | null } {
  const sidecar = sidecarOfClient(graph, client);
  return { imported: virtualServiceImportedUnder(graph, vs, sidecar, client.namespace, port), sidecar };
}

/** The Sidecar in force for sidecars of `client.namespace` carrying `client.labels`, null when none applies. */
export function sidecarOfClient(graph: MeshGraph, client: { readonly namespace: string; readonly labels: Readonly<Record<string, string>> }): MeshObject | null {
  return graph.sidecarsFor({ namespace: client.namespace, labels: client.labels } as unknown as Parameters<MeshGraph['sidecarsFor']>[0])[0] ?? null;
}

/** {@link virtualServiceImported} for clients of `namespace` under `sidecar` (from {@link sidecarOfClient}), without finding it again. */
export function virtualServiceImportedUnder(graph: MeshGraph, vs: MeshObject, sidecar: MeshObject | null, namespace: string, port?: number): boolean {
  if (!sidecar) return true;
  const scope = sidecarImportScope(graph, sidecar, namespace);
  if (!scope) return true;
  const bound = port === undefined || port === 0 ? [] : scope.listeners.filter((l) => l.matchPort && l.port === port);
  const building = bound.length > 0 ? bound : scope.listeners.filter((l) => !l.matchPort);
  return building.some((l) => importedBy(l).has(vs));
}

const IMPORTED = new WeakMap<EgressListenerScope, ReadonlySet<MeshObject>>();

/** `l.virtualServices` as a set: every mesh VirtualService's judgement asks it, once per client class and port. */
function importedBy(l: EgressListenerScope): ReadonlySet<MeshObject> {
  let set = IMPORTED.get(l);
  if (!set) IMPORTED.set(l, (set = new Set(l.virtualServices)));
  return set;
}
