/**
 * Which workloads a destination host's endpoints are, for judging where a request landed: the
 * `namespace/workload` names of the workloads the host's Services select (Service `spec.selector`,
 * ServiceEntry `workloadSelector`), as istiod builds the host's endpoints from the pods they select.
 * A request answered by any other workload did not reach the host, whatever its version label.
 */
import type { MeshGraph } from '../../mesh/graph.js';

/**
 * Looks up, per host FQDN, the `namespace/workload` set its Services select; `undefined` when the
 * mesh has no selecting Service for the host (an external host, a Service without selector): then
 * only namespace and version can be checked. Memoized per host.
 */
export type HostWorkloads = (host: string) => ReadonlySet<string> | undefined;

export function hostWorkloadsOf(graph: MeshGraph): HostWorkloads {
  const memo = new Map<string, ReadonlySet<string> | undefined>();
  return (host) => {
    if (memo.has(host)) return memo.get(host);
    const names = new Set<string>();
    let selecting = false;
    for (const s of graph.servicesForHost(host, '')) {
      if (s.selector === null) continue;
      selecting = true;
      for (const w of graph.workloadsSelectedBy(s.namespace, s.selector)) names.add(`${w.namespace}/${w.name}`);
    }
    const out = selecting ? names : undefined;
    memo.set(host, out);
    return out;
  };
}
