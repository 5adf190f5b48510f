/**
 * Which service a sidecar uses for a host that several Services and ServiceEntries share (a
 * ServiceEntry may name any host, also a Kubernetes Service's FQDN), as istiod's SidecarScope
 * decides it (istio/istio pilot/pkg/model, Istio 1.31, `PILOT_UNIFIED_SIDECAR_SCOPE` on, its default):
 *
 * 1. Candidates come in `servicesExportedToNamespace` order: those exported to the proxy's namespace
 *    by name or `.` first, then the public ones (`*`), each oldest first (`SortServicesByCreationTime`:
 *    creationTimestamp, then the registry name: a Service's name, a ServiceEntry's host, then namespace).
 * 2. One namespace per host (`selectServices`): the first candidate's, replaced by the proxy's own
 *    namespace whenever a candidate lives there, and a ServiceEntry's by a Kubernetes Service's from
 *    another namespace unless the proxy's own namespace already holds the host.
 * 3. In that namespace (`appendSidecarServices`): the first; a Kubernetes Service replaces a
 *    ServiceEntry and is never replaced by one; a later one whose ports differ adds its other ports
 *    when `canMergeServices` (same namespace, resolution, registry, labels, selector and exportTo).
 */
import type { MeshObject } from './object.js';
import { creationTime } from './destination-rules.js';

/** What the precedence reads of a candidate (a `ServiceInfo` of `services.ts` has all of it). */
export interface ServiceCandidate {
  readonly host: string;
  readonly namespace: string;
  readonly kind: 'Service' | 'ServiceEntry';
  /** The Service or ServiceEntry: creationTimestamp, name and labels. */
  readonly object: MeshObject;
  /** Effective exportTo (`visibility.ts` `exportToOf`). */
  readonly exportTo: readonly string[];
  readonly resolution: string;
  readonly selector: Readonly<Record<string, string>> | null;
  readonly ports: readonly { readonly number: number }[];
}

/** The service a proxy uses for one host, and the later ones of its namespace whose other ports istiod merges into it. */
export interface HostService<T> {
  readonly service: T;
  /** In order; each adds the ports whose numbers the service (and the earlier ones) lack. Empty when none. */
  readonly mergedPorts: readonly T[];
}

/** istiod `SortServicesByCreationTime`: creationTimestamp, then `Attributes.Name` (a ServiceEntry's is its host), then namespace. */
export function serviceCreationOrder(a: ServiceCandidate, b: ServiceCandidate): number {
  const ta = creationTime(a.object);
  const tb = creationTime(b.object);
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = a.kind === 'Service' ? a.object.name : a.host;
  const nb = b.kind === 'Service' ? b.object.name : b.host;
  if (na !== nb) return na < nb ? -1 : 1;
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  // istiod keeps its registries' order here; the object name makes ours deterministic.
  return a.object.name < b.object.name ? -1 : a.object.name > b.object.name ? 1 : 0;
}


/**
 * The service `proxyNamespace`'s sidecars use for one host, among `candidates` (every service of
 * that host the proxy sees, in any order), or undefined when there are none.
 */
export function serviceForHost<T extends ServiceCandidate>(candidates: readonly T[], proxyNamespace: string): HostService<T> | undefined {
  if (candidates.length === 0) return undefined;
  if (candidates.length === 1) return { service: candidates[0]!, mergedPorts: [] };
  const isPublic = (s: T) => s.exportTo.includes('*');
  const ordered = [
    ...candidates.filter((s) => !isPublic(s)).sort(serviceCreationOrder),
    ...candidates.filter(isPublic).sort(serviceCreationOrder),
  ];
  let chosen = ordered[0]!;
  for (const s of ordered.slice(1)) {
    if (s.namespace === proxyNamespace) chosen = s;
    else if (chosen.kind !== 'Service' && s.kind === 'Service' && chosen.namespace !== proxyNamespace) chosen = s;
  }
  let service: T | undefined;
  let ports = new Set<number>();
  let mergedPorts: T[] = [];
  for (const s of ordered) {
    if (s.namespace !== chosen.namespace) continue;
    if (service === undefined || (service.kind !== 'Service' && s.kind === 'Service')) {
      service = s;
      ports = new Set(s.ports.map((p) => p.number));
      mergedPorts = [];
      continue;
    }
    if (service.kind === 'Service' && s.kind !== 'Service') continue;
    // Same ports, or no port it lacks: nothing to merge (istiod's `Ports.Equals` shortcut, then a no-op merge).
    if (s.ports.every((p) => ports.has(p.number)) || !canMerge(service, s)) continue;
    mergedPorts.push(s);
    for (const p of s.ports) ports.add(p.number);
  }
  return { service: service!, mergedPorts };
}

/** istiod `canMergeServices` (the hostnames are equal). */
function canMerge(a: ServiceCandidate, b: ServiceCandidate): boolean {
  return a.namespace === b.namespace && a.resolution === b.resolution && a.kind === b.kind
    && sameMap(a.object.labels, b.object.labels) && sameMap(a.selector ?? {}, b.selector ?? {})
    && sameSet(a.exportTo, b.exportTo);
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && b[k] === a[k]);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((v) => sb.has(v));
}
