/**
 * Whether a DestinationRule's own settings reach any client, as istiod hands rules to proxies
 * (pilot/pkg/model `mergeDestinationRule`, `PushContext.destinationRule`, `SidecarScope.DestinationRule`).
 * A rule that exists is not necessarily in effect:
 *
 * - merged behind an older rule of the same host and namespace that has a top-level `trafficPolicy`, its own
 *   `trafficPolicy` is dropped ("first wins"); a subset whose name an older rule already defines is dropped;
 * - a wildcard host loses, for a service, to a more specific host of the same namespace, and a rule of the
 *   root namespace to one the service's namespace exports;
 * - a rule with a `workloadSelector` applies only to the client workloads of its namespace it selects.
 */
import type { MeshGraph } from './graph.js';
import { isRecord, stringMap, type MeshObject } from './object.js';

/** A namespace name no object can carry: a client in "any other namespace" of the mesh. */
const ELSEWHERE = '\u0000elsewhere';

/**
 * Whether some client of `fqdn` (a service host, resolved) is given `dr`'s own top-level `trafficPolicy`
 * (`subset` undefined) or `dr`'s subset `subset`. Clients tried: every namespace of the input and one outside
 * it, without labels (so a selector-less rule answers); for a rule with a non-empty `workloadSelector`, the
 * workloads of its namespace it selects (none in the input: in effect nowhere).
 */
export function destinationRuleReaches(graph: MeshGraph, dr: MeshObject, fqdn: string, subset?: string): boolean {
  const reaches = (namespace: string, labels?: Readonly<Record<string, string>>): boolean => {
    const merged = graph.destinationRuleForResolved(fqdn, namespace, labels);
    if (!merged || !merged.rules.includes(dr)) return false;
    return subset === undefined
      ? merged.trafficPolicy?.object === dr
      : merged.subsets.some((s) => s.object === dr && s.name === subset);
  };
  const selector = isRecord(dr.spec.workloadSelector) ? stringMap(dr.spec.workloadSelector.matchLabels) : {};
  if (Object.keys(selector).length > 0) {
    return graph.workloadsSelectedBy(dr.namespace, selector).some((w) => reaches(dr.namespace, w.labels));
  }
  return [dr.namespace, ...graph.namespaces(), ELSEWHERE].some((ns) => reaches(ns));
}
