import type { MeshGraph } from '../../../mesh/graph.js';
import type { MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { destinationsOf, hostOf, nameOf, subsetOf } from './_helpers.js';

/** `routing/ingress-bypasses-subsets` (IST0140): ingress routes honour the subsets the mesh routes use. */
const ingressBypassesSubsets: Rule = {
  id: 'routing/ingress-bypasses-subsets',
  istioCode: 'IST0140',
  severity: 'warning',
  summary: 'A gateway-bound VirtualService routes a host without a subset while a mesh VirtualService routes that host to subsets.',
  docs: [
    'A mesh VirtualService (`reviews` → subset `v1`) only steers traffic that leaves a sidecar. Requests from an',
    'ingress gateway are routed by the gateway-bound VirtualService alone: a destination without `subset` there',
    'goes to every pod of the service, so canary splits, version pinning and subset traffic policies are bypassed',
    'for external traffic. Fix: route to the same subsets (and weights) in the gateway VirtualService, or route',
    'the gateway to a host the mesh VirtualService also binds to the gateway. Mirrors `istioctl analyze` IST0140.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    const meshSubsets = new Map<string, { vs: MeshObject; subsets: string[] } | null>();
    for (const vs of graph.ofKind('VirtualService')) {
      const gateways = graph.gatewaysOf(vs).filter((g) => !g.mesh);
      if (gateways.length === 0) continue;
      for (const { destination, path, what } of destinationsOf(vs)) {
        const host = hostOf(destination);
        if (what !== 'destination' || host === undefined || subsetOf(destination) !== undefined) continue;
        const fqdn = graph.resolveHost(host, vs.namespace).fqdn;
        const key = `${vs.namespace}\u0000${fqdn}`;
        if (!meshSubsets.has(key)) meshSubsets.set(key, subsetRouting(graph, fqdn, vs));
        const mesh = meshSubsets.get(key);
        if (!mesh || mesh.vs === vs) continue;
        ctx.report(
          vs,
          `Destination "${host}" has no subset, but mesh VirtualService ${nameOf(mesh.vs)} routes ${fqdn} to subsets ${mesh.subsets.join(', ')}; ` +
            `requests through gateway ${gateways.map((g) => g.key).join(', ')} bypass those rules and reach every pod: route to a subset here too`,
          { path: [...path, 'host'] },
        );
      }
    }
  },
};

/** The first mesh VirtualService for `fqdn` that routes it to subsets, and those subsets; null when none does. */
function subsetRouting(graph: MeshGraph, fqdn: string, from: MeshObject): { vs: MeshObject; subsets: string[] } | null {
  for (const mesh of graph.virtualServicesFor(fqdn, 'mesh', from.namespace)) {
    const subsets = new Set<string>();
    for (const { destination, what } of destinationsOf(mesh)) {
      const host = hostOf(destination);
      const subset = subsetOf(destination);
      if (what === 'destination' && host !== undefined && subset !== undefined && graph.resolveHost(host, mesh.namespace).fqdn === fqdn) subsets.add(subset);
    }
    if (subsets.size > 0) return { vs: mesh, subsets: [...subsets] };
  }
  return null;
}

export default ingressBypassesSubsets;
