import { isRecord, stringList } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';

/** `serviceentry/static-without-endpoints`: a STATIC ServiceEntry with no endpoint source at all. */
const staticWithoutEndpoints: Rule = {
  id: 'serviceentry/static-without-endpoints',
  severity: 'warning',
  summary: 'A ServiceEntry with `resolution: STATIC` lists no `endpoints` and has no `workloadSelector`, so its clusters have no endpoint and every call to its hosts fails.',
  docs: [
    'With `resolution: STATIC` istiod takes a ServiceEntry\'s endpoints from `spec.endpoints` and from the pods and',
    'WorkloadEntries its `workloadSelector` selects (serviceentry conversion: `convertServiceEntryToInstances`,',
    'the workload-entry and pod handlers); nothing else adds any (`hosts` are not resolved: that is `DNS`). With',
    'neither, every outbound cluster of the ServiceEntry is an EDS cluster without endpoints: Envoy answers 503 with',
    'flag UH (no healthy upstream) and opens no TCP connection. Istio\'s validation accepts it (an empty STATIC',
    'ServiceEntry is valid), so nothing else tells. Fix: list the addresses under `spec.endpoints`, select the',
    'WorkloadEntries or pods with `spec.workloadSelector`, or pick `resolution: DNS` (the hosts, or the endpoints\'',
    'addresses, resolved by DNS) or `NONE` (the address the caller connected to).',
  ].join(' '),
  kinds: ['ServiceEntry'],
  check(graph, ctx) {
    for (const se of graph.ofKind('ServiceEntry')) {
      if (typeof se.spec.resolution !== 'string' || se.spec.resolution.toUpperCase() !== 'STATIC') continue;
      if (Array.isArray(se.spec.endpoints) && se.spec.endpoints.length > 0) continue;
      if (isRecord(se.spec.workloadSelector)) continue;
      const hosts = stringList(se.spec.hosts) ?? [];
      const named = hosts.length === 0 ? 'its hosts' : hosts.slice(0, 3).join(', ') + (hosts.length > 3 ? ` and ${hosts.length - 3} more` : '');
      ctx.report(se, `resolution STATIC with no endpoints and no workloadSelector: its clusters get no endpoint, so every call to ${named} fails (HTTP: 503 with flag UH; TCP: the connection is closed); list the addresses under spec.endpoints, select WorkloadEntries or pods with spec.workloadSelector, or use resolution DNS or NONE`, { path: ['spec', 'resolution'] });
    }
  },
};

export default staticWithoutEndpoints;
