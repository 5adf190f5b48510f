import type { MeshGraph, Workload } from '../../../mesh/graph.js';
import type { MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { gatewaysOf, type GatewayInfo } from '../gateway/_helpers.js';
import { ruleAppliesOn, type RouteProxy } from '../../../mesh/routing.js';
import type { RouteSection } from '../../../mesh/route-rules.js';
import { routeProxyFor } from '../routing/_helpers.js';
import { delegationsInto } from '../../../mesh/delegation.js';
import { stringList } from '../../../mesh/object.js';
import { exportToOf } from '../../../mesh/visibility.js';
import { destinationRulesByHost, destinationsOf, hostOf, listOrNone, nameOf, subsetNames, subsetOf } from './_helpers.js';

/** `references/subset-exists` (IST0101): every destination and mirror subset is defined by the DestinationRule that applies. */
const subsetExists: Rule = {
  id: 'references/subset-exists',
  istioCode: 'IST0101',
  severity: 'error',
  summary: 'A VirtualService destination or mirror names a subset that the applicable DestinationRule does not define.',
  docs: [
    'A subset is only a name until a DestinationRule for the host defines it. Istio looks the DestinationRule up',
    'from the namespace of the proxy that routes: a rule in that namespace first, then one exported by the service',
    'namespace, then one in the root namespace; the first that matches wins, so a rule in the client namespace',
    'hides the subsets of the service owner\'s rule. For the sidecars the VirtualService namespace is used (as',
    'istioctl does); for a VirtualService bound to a Gateway, the namespace its proxies run in (the pods its selector',
    'matches, else the Gateway\'s namespace), so a rule exported only to `.` in the service namespace is invisible to',
    'an ingress gateway in istio-system. A rule with `workloadSelector` in the sidecars\' namespace is used by the',
    'workloads it selects (and any rule for the host there stops the search), so the subset is then judged per client',
    'workload of that namespace. A delegate VirtualService\'s routes are judged from the consumers of the roots that',
    'merge it (istiod builds them for the root\'s proxies). A rule is judged only for the proxies that keep it: istiod',
    'drops a match entry whose `gateways` leave the proxy out or whose `port` is not the listener\'s (the gateway server\'s',
    'port, or a port of the host for the sidecars). A route to an undefined subset has no cluster and fails',
    'with 503 (`NR`/`UH`). Fix: add the subset (with its labels) to the DestinationRule that applies, or route to',
    'an existing subset. Mirrors `istioctl analyze` IST0101 ("host+subset in destinationrule").',
  ].join(' '),
  kinds: ['VirtualService', 'DestinationRule', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    let byHost: Map<string, MeshObject[]> | undefined;
    const gateways = new Map(gatewaysOf(graph).map((g) => [g.gateway, g]));
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { destination, path, what, section, rule } of destinationsOf(vs)) {
        const host = hostOf(destination);
        const subset = subsetOf(destination);
        if (host === undefined || subset === undefined) continue;
        const fqdn = graph.resolveHost(host, vs.namespace).fqdn;
        // A host no Service or ServiceEntry provides is destination-host-exists' finding; a second
        // error here would only advise a DestinationRule for the typo.
        if (graph.services.forHost(fqdn, null).length === 0) continue;
        for (const consumer of routingConsumersOf(graph, vs, gateways, section, rule)) {
          byHost ??= destinationRulesByHost(graph);
          const selected = selectedClients(graph, byHost.get(fqdn) ?? [], fqdn, consumer, subset);
          if (selected) {
            if (selected.lacking.length === 0) continue;
            // Clients that use a rule (selected or not) without the subset are named; when none uses any rule, the namespace-wide message says so.
            if (selected.lacking.length < selected.clients || selected.lacking.some((l) => l.rules.length > 0)) {
              ctx.report(vs, partialMessage(what, subset, fqdn, selected.lacking), { path: [...path, 'subset'] });
              break;
            }
          }
          const match = graph.destinationRulesFor(fqdn, consumer.namespace);
          const defined = match ? subsetNames(match.rules) : [];
          if (!selected && defined.includes(subset)) continue;
          const elsewhere = (byHost.get(fqdn) ?? []).filter((dr) => !match?.rules.includes(dr) && subsetNames([dr]).includes(subset));
          ctx.report(vs, message(graph, consumer, what, subset, fqdn, match?.rules ?? [], defined, elsewhere), { path: [...path, 'subset'] });
          break;
        }
      }
    }
  },
};

/**
 * Who looks the DestinationRule up for this VirtualService's routes, and from which namespace: the
 * sidecars (from the VirtualService's namespace, as istioctl does) when it is bound to `mesh`, and the
 * proxies of each bound Gateway from their own namespace (istiod's lookup is by the proxy's namespace;
 * the Gateway's namespace when none of its pods is in the input). Only the proxies whose route table holds
 * the rule count (istiod trims its match entries by `gateways`, `port` and source: routing.ts ruleAppliesOn).
 */
interface Consumer {
  readonly namespace: string;
  readonly who: string | null;
  /** The gateway workloads of this namespace, for a Gateway's consumer (a DestinationRule workloadSelector may pick them). */
  readonly workloads?: readonly Workload[];
}

/**
 * The consumers of rule `index` of `section` of a VirtualService: its own ({@link consumersOf}), or for a delegate
 * (no hosts) that roots merge (delegationsInto), the consumers of each root whose proxies hold both the root rule
 * and this one: istiod merges the delegate's routes into the root's (a merged match takes the root's `port`,
 * `gateways` and source unless the delegate's sets them, and conflicting ones are dropped) and builds them for the
 * root's proxies only, on the root's listener ports.
 */
function routingConsumersOf(graph: MeshGraph, vs: MeshObject, gateways: ReadonlyMap<MeshObject, GatewayInfo>, section: RouteSection, index: number): Consumer[] {
  const own = ruleOf(vs, section, index);
  const roots = (stringList(vs.spec.hosts) ?? []).length === 0 ? delegationsInto(graph, vs) : [];
  if (roots.length === 0) return consumersOf(graph, vs, gateways, (p) => ruleAppliesOn(section, own, vs.namespace, p) !== false);
  const out = new Map<string, Consumer>();
  for (const d of roots) {
    const root = ruleOf(d.root, 'http', d.index);
    const holds = (p: RouteProxy) => ruleAppliesOn('http', root, d.root.namespace, p) !== false && ruleAppliesOn(section, own, vs.namespace, p) !== false;
    for (const c of consumersOf(graph, d.root, gateways, holds)) {
      if (!out.has(c.namespace)) out.set(c.namespace, c.who === null ? { namespace: c.namespace, who: `the sidecars using root VirtualService ${nameOf(d.root)}` } : c);
    }
  }
  return [...out.values()];
}

/** Rule `index` of `section` of `vs`. */
function ruleOf(vs: MeshObject, section: RouteSection, index: number): unknown {
  const rules = vs.spec[section];
  return Array.isArray(rules) ? rules[index] : undefined;
}

/** The consumers of the proxies of `vs` (sidecars, each bound Gateway's pods by namespace) for which `holds` is true. */
function consumersOf(graph: MeshGraph, vs: MeshObject, gateways: ReadonlyMap<MeshObject, GatewayInfo>, holds: (proxy: RouteProxy) => boolean): Consumer[] {
  const out: Consumer[] = [];
  const seen = new Set<string>();
  for (const g of graph.gatewaysOf(vs)) {
    if (g.mesh) {
      if (!holds(routeProxyFor(graph, vs, g))) continue;
      if (!seen.has(vs.namespace)) out.unshift({ namespace: vs.namespace, who: null });
      seen.add(vs.namespace);
      continue;
    }
    if (!g.gateway) continue;
    const all = gateways.get(g.gateway)?.workloads ?? [];
    const workloads = all.length > 0 ? all.filter((w) => holds(routeProxyFor(graph, vs, g, w))) : all;
    if (all.length > 0 ? workloads.length === 0 : !holds(routeProxyFor(graph, vs, g))) continue;
    const namespaces = workloads.length > 0 ? [...new Set(workloads.map((w) => w.namespace))].sort() : [g.gateway.namespace];
    for (const ns of namespaces) {
      if (seen.has(ns)) continue;
      seen.add(ns);
      out.push({ namespace: ns, who: `the proxies of Gateway ${g.key}${workloads.length > 0 ? '' : ' (assumed to run in its namespace: no pods of it in the input)'}`, workloads: workloads.filter((w) => w.namespace === ns) });
    }
  }
  return out;
}

/** A client workload of the sidecars' namespace whose DestinationRule (workloadSelector honoured) lacks the subset. */
interface Lacking { readonly workload: Workload; readonly rules: readonly MeshObject[] }

/**
 * When a DestinationRule for `fqdn` in the consumer's namespace has a `workloadSelector`, each client workload
 * there (the sidecars' workloads, or the Gateway's pods) may use a different rule (istiod SidecarScope.DestinationRule: a rule of the proxy's namespace whose
 * selector matches the proxy's labels wins, else the rule without selector), so the subset is judged per
 * client: `lacking` are the clients whose rule does not define it. null when no such rule exists or the
 * namespace has no workload in the input (then the namespace-wide answer stands).
 */
function selectedClients(graph: MeshGraph, rules: readonly MeshObject[], fqdn: string, consumer: Consumer, subset: string): { clients: number; lacking: Lacking[] } | null {
  const namespace = consumer.namespace;
  if (!rules.some((dr) => dr.namespace === namespace && dr.spec.workloadSelector !== undefined)) return null;
  // The sidecars' namespace: its workloads with a proxy (the others route nothing through Envoy); a Gateway: its pods there.
  const clients = consumer.workloads ?? (consumer.who === null ? graph.workloads.inNamespace(namespace).filter((w) => graph.membershipOf(w).dataplane !== 'none') : []);
  if (clients.length === 0) return null;
  const lacking: Lacking[] = [];
  for (const w of clients) {
    const merged = graph.destinationRuleFor(fqdn, namespace, w.labels);
    if (!(merged ? subsetNames(merged.rules) : []).includes(subset)) lacking.push({ workload: w, rules: merged?.rules ?? [] });
  }
  return { clients: clients.length, lacking };
}

function partialMessage(what: string, subset: string, fqdn: string, lacking: readonly Lacking[]): string {
  const first = lacking[0]!;
  const who = lacking.slice(0, 3).map((l) => `${l.workload.kind} ${l.workload.namespace}/${l.workload.name}`).join(', ') + (lacking.length > 3 ? ` and ${lacking.length - 3} more` : '');
  const rule = first.rules.length > 0 ? `DestinationRule ${first.rules.map(nameOf).join(', ')}, which applies to ${lacking.length > 1 ? 'them' : 'it'}, does not define it` : 'no DestinationRule for that host applies to them';
  return `Referenced ${what} subset "${subset}" is not defined for ${fqdn} as the proxies of ${who} see it: ${rule}, so their requests on this route fail (503 NR); ` +
    `add "${subset}" to the DestinationRule they use, or narrow its workloadSelector`;
}

function message(graph: MeshGraph, consumer: Consumer, what: string, subset: string, fqdn: string, applied: readonly MeshObject[], defined: string[], elsewhere: MeshObject[]): string {
  const head = `Referenced ${what} subset "${subset}" is not defined for ${fqdn}${consumer.who ? ` as ${consumer.who} see it` : ''}`;
  const hint = elsewhere.length > 0 ? `; DestinationRule ${nameOf(elsewhere[0]!)} defines it but ${why(graph, consumer.namespace, fqdn, elsewhere[0]!, applied)}` : '';
  if (applied.length === 0) {
    return `${head}: no DestinationRule for that host applies in namespace ${consumer.namespace}${hint}; add a DestinationRule with host ${fqdn} and subset "${subset}"`;
  }
  const names = applied.map(nameOf).join(', ');
  return `${head} by DestinationRule ${names} (subsets: ${listOrNone(defined)})${hint}; add "${subset}" to it or route to an existing subset`;
}

/** Why a DestinationRule that defines the subset is not the one Istio uses from `namespace` (the consumer's). */
function why(graph: MeshGraph, namespace: string, fqdn: string, dr: MeshObject, applied: readonly MeshObject[]): string {
  if (dr.spec.workloadSelector !== undefined) {
    return dr.namespace === namespace
      ? `its workloadSelector selects no workload of namespace ${namespace} in the input, so no client there uses it`
      : `it has a workloadSelector, which istiod honours only for clients in its own namespace (${dr.namespace})`;
  }
  if (applied.length > 0) return `${nameOf(applied[0]!)} takes precedence for clients in namespace ${namespace}`;
  const serviceNamespace = graph.serviceNamespaceOf(fqdn, namespace);
  if (dr.namespace !== namespace && dr.namespace !== serviceNamespace && dr.namespace !== graph.rootNamespace) {
    return `Istio reads DestinationRules only from the client namespace (${namespace}), the service namespace (${serviceNamespace ?? 'unknown'}) and the root namespace (${graph.rootNamespace})`;
  }
  const exportTo = exportToOf(dr, graph.meshConfig);
  const written = exportTo.source === 'mesh-default' ? `no exportTo, so the mesh default defaultDestinationRuleExportTo ${JSON.stringify(exportTo.values)} applies` : `exportTo ${JSON.stringify(exportTo.values)}`;
  return `it is not exported to namespace ${namespace} (${written})`;
}

export default subsetExists;
