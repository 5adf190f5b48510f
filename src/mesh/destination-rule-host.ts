/**
 * Which services a DestinationRule's `host` configures, judged the way Istio's analyzers judge it
 * (`pkg/config/analysis/analyzers/util/service_lookup.go` `GetDestinationHost`, used by
 * `destinationrule.SubsetSelectPodAnalyzer` for IST0173 and IST0174).
 */
import type { MeshGraph } from './graph.js';
import { stringList, type MeshObject } from './object.js';
import { analyzerNamesAsWritten, type ServiceInfo } from './services.js';

/**
 * The services `dr.spec.host` names (a short host expanded against the DestinationRule's namespace), found by
 * their `analyzerHost` as the analyzers key them (a short ServiceEntry host expanded too: `ServiceRegistry.forAnalyzerHost`),
 * as seen from the namespaces the DestinationRule is exported to: its own when `spec.exportTo` is
 * empty, `.` standing for it, a name for that namespace, `*` for services exported to every
 * namespace. The first namespace in `exportTo` order that sees the host wins; empty when none does.
 * A DestinationRule applies where it is exported, so one in `shop` exported to `payments` configures a
 * Service that only `payments` can see; its own namespace's view does not matter then.
 */
export function destinationRuleServices(graph: MeshGraph, dr: MeshObject): ServiceInfo[] {
  const host = dr.spec.host;
  if (typeof host !== 'string' || host === '') return [];
  const fqdn = graph.resolveHost(host, dr.namespace).fqdn;
  const exportTo = stringList(dr.spec.exportTo) ?? [];
  const scopes = exportTo.length === 0 ? [dr.namespace] : exportTo.map((e) => (e === '.' ? dr.namespace : e));
  for (const scope of scopes) {
    const found = scope === '*'
      ? graph.services.forAnalyzerHost(fqdn, null).filter((s) => s.exportTo.includes('*'))
      : graph.services.forAnalyzerHost(fqdn, scope);
    const named = found.filter((s) => analyzerNamesAsWritten(s, host, dr.namespace, graph.clusterDomain));
    if (named.length > 0) return named;
  }
  return [];
}
