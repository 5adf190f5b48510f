/**
 * One service per host in a proxy's view, as istiod's SidecarScope keeps one (`selectServices`,
 * `appendSidecarServices`): when several Services and ServiceEntries share a host, the one
 * `service-precedence.ts` picks for the proxy's namespace, with the ports istiod merges into it from
 * the others of its namespace. The losing services get no cluster, route or endpoint of their own.
 */
import type { ServiceInfo } from '../services.js';
import { serviceForHost } from '../service-precedence.js';

/** Merged services, per chosen service and the ids of the services merged into it (one object per combination, so view caches keyed on it hold). */
const MERGED = new WeakMap<ServiceInfo, Map<string, ServiceInfo>>();
const IDS = new WeakMap<ServiceInfo, number>();
let nextId = 1;

function idOf(s: ServiceInfo): number {
  let id = IDS.get(s);
  if (id === undefined) IDS.set(s, (id = nextId++));
  return id;
}

/** The service `proxyNamespace` uses among `candidates` (one host, each visible to it), or undefined when there are none. */
export function hostService(candidates: readonly ServiceInfo[], proxyNamespace: string): ServiceInfo | undefined {
  if (candidates.length <= 1) return candidates[0];
  const choice = serviceForHost(candidates, proxyNamespace)!;
  if (choice.mergedPorts.length === 0) return choice.service;
  let byMerged = MERGED.get(choice.service);
  if (!byMerged) MERGED.set(choice.service, (byMerged = new Map()));
  const key = choice.mergedPorts.map(idOf).join(',');
  let merged = byMerged.get(key);
  if (!merged) {
    const ports = [...choice.service.ports];
    for (const m of choice.mergedPorts) for (const p of m.ports) if (!ports.some((q) => q.number === p.number)) ports.push(p);
    byMerged.set(key, (merged = { ...choice.service, ports }));
  }
  return merged;
}

/**
 * `services` (in order) with every host that several share reduced to {@link hostService}'s
 * choice, at the place of the host's first service.
 */
export function oneServicePerHost(services: readonly ServiceInfo[], proxyNamespace: string): ServiceInfo[] {
  const byHost = new Map<string, ServiceInfo[]>();
  let shared = false;
  for (const s of services) {
    const list = byHost.get(s.host);
    if (list) { list.push(s); shared = true; } else byHost.set(s.host, [s]);
  }
  if (!shared) return [...services];
  const out: ServiceInfo[] = [];
  for (const list of byHost.values()) out.push(hostService(list, proxyNamespace)!);
  return out;
}
