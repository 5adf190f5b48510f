import type { MeshGraph } from '../../../mesh/graph.js';
import type { MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { destinationRulesByHost, destinationsOf, hostOf, listOrNone, nameOf, subsetNames, subsetOf } from './_helpers.js';

/** `references/subset-exists` (IST0101): every destination and mirror subset is defined by the DestinationRule that applies. */
const subsetExists: Rule = {
  id: 'references/subset-exists',
  istioCode: 'IST0101',
  severity: 'error',
  summary: 'A VirtualService destination or mirror names a subset that the applicable DestinationRule does not define.',
  docs: [
    'A subset is only a name until a DestinationRule for the host defines it. Istio looks the DestinationRule up',
    'from the VirtualService namespace: a rule in that namespace first, then one exported by the service',
    'namespace, then one in the root namespace; the first that matches wins, so a rule in the client namespace',
    'hides the subsets of the service owner\'s rule. A route to an undefined subset has no cluster and fails',
    'with 503 (`NR`/`UH`). Fix: add the subset (with its labels) to the DestinationRule that applies, or route to',
    'an existing subset. Mirrors `istioctl analyze` IST0101 ("host+subset in destinationrule").',
  ].join(' '),
  kinds: ['VirtualService', 'DestinationRule', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    let byHost: Map<string, MeshObject[]> | undefined;
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { destination, path, what } of destinationsOf(vs)) {
        const host = hostOf(destination);
        const subset = subsetOf(destination);
        if (host === undefined || subset === undefined) continue;
        const match = graph.destinationRulesFor(host, vs.namespace);
        const defined = match ? subsetNames(match.rules) : [];
        if (defined.includes(subset)) continue;
        const fqdn = graph.resolveHost(host, vs.namespace).fqdn;
        byHost ??= destinationRulesByHost(graph);
        const elsewhere = (byHost.get(fqdn) ?? []).filter((dr) => !match?.rules.includes(dr) && subsetNames([dr]).includes(subset));
        ctx.report(vs, message(graph, vs, what, subset, fqdn, match?.rules ?? [], defined, elsewhere), { path: [...path, 'subset'] });
      }
    }
  },
};

function message(graph: MeshGraph, vs: MeshObject, what: string, subset: string, fqdn: string, applied: readonly MeshObject[], defined: string[], elsewhere: MeshObject[]): string {
  const head = `Referenced ${what} subset "${subset}" is not defined for ${fqdn}`;
  const hint = elsewhere.length > 0 ? `; DestinationRule ${nameOf(elsewhere[0]!)} defines it but ${why(graph, vs, fqdn, elsewhere[0]!, applied)}` : '';
  if (applied.length === 0) {
    return `${head}: no DestinationRule for that host applies in namespace ${vs.namespace}${hint}; add a DestinationRule with host ${fqdn} and subset "${subset}"`;
  }
  const names = applied.map(nameOf).join(', ');
  return `${head} by DestinationRule ${names} (subsets: ${listOrNone(defined)})${hint}; add "${subset}" to it or route to an existing subset`;
}

/** Why a DestinationRule that defines the subset is not the one Istio uses from the VirtualService namespace. */
function why(graph: MeshGraph, vs: MeshObject, fqdn: string, dr: MeshObject, applied: readonly MeshObject[]): string {
  if (dr.spec.workloadSelector !== undefined) return 'it has a workloadSelector, so routing does not use it';
  if (applied.length > 0) return `${nameOf(applied[0]!)} takes precedence for clients in namespace ${vs.namespace}`;
  const serviceNamespace = graph.serviceNamespaceOf(fqdn, vs.namespace);
  if (dr.namespace !== vs.namespace && dr.namespace !== serviceNamespace && dr.namespace !== graph.rootNamespace) {
    return `Istio reads DestinationRules only from the client namespace (${vs.namespace}), the service namespace (${serviceNamespace ?? 'unknown'}) and the root namespace (${graph.rootNamespace})`;
  }
  return `it is not exported to namespace ${vs.namespace} (exportTo ${JSON.stringify(dr.spec.exportTo)})`;
}

export default subsetExists;
