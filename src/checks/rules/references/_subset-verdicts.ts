import type { MeshGraph, Workload } from '../../../mesh/graph.js';
import type { MeshObject } from '../../../mesh/object.js';
import { gatewaysOf, type GatewayInfo } from '../gateway/_helpers.js';
import { ruleAppliesOn, type RouteProxy } from '../../../mesh/routing.js';
import type { RouteSection } from '../../../mesh/route-rules.js';
import { routeProxyFor } from '../routing/_helpers.js';
import { delegationsInto } from '../../../mesh/delegation.js';
import { stringList } from '../../../mesh/object.js';
import { exportedTo, exportToOf } from '../../../mesh/visibility.js';
import { destinationRulesByHost, destinationsOf, hostOf, listOrNone, nameOf, subsetNames, subsetOf } from './_helpers.js';

/**
 * One VirtualService destination (or mirror) subset that `istioctl analyze` or istiod does not find:
 * `analyzerFinds` is virtualservice.DestinationRuleAnalyzer's answer (IST0101), `istiod` the message
 * when the DestinationRule the routing proxies use does not define it (null: istiod finds it).
 */
export interface SubsetVerdict {
  readonly vs: MeshObject;
  /** Path of the `subset` field. */
  readonly path: readonly (string | number)[];
  /** The destination's host as written, its subset, and what names it ("destination", "mirror"…). */
  readonly host: string;
  readonly subset: string;
  readonly what: string;
  readonly analyzerFinds: boolean;
  readonly istiod: string | null;
}

const VERDICTS = new WeakMap<MeshGraph, readonly SubsetVerdict[]>();

/**
 * Every destination and mirror subset of every VirtualService that istioctl's analyzer or istiod does
 * not find, in VirtualService then destination order; computed once per graph for
 * `references/subset-exists` (the analyzer's misses) and `references/subset-not-applied` (istiod's
 * misses the analyzer does not report). Hosts no Service or ServiceEntry provides are left to
 * `references/destination-host-exists`: a second error would only advise a rule for the typo.
 */
export function subsetVerdicts(graph: MeshGraph): readonly SubsetVerdict[] {
  const cached = VERDICTS.get(graph);
  if (cached) return cached;
  const out: SubsetVerdict[] = [];
  const gateways = new Map(gatewaysOf(graph).map((g) => [g.gateway, g]));
  for (const vs of graph.ofKind('VirtualService')) {
    for (const { destination, path, what, section, rule } of destinationsOf(vs)) {
      const host = hostOf(destination);
      const subset = subsetOf(destination);
      if (host === undefined || subset === undefined) continue;
      const fqdn = graph.resolveHost(host, vs.namespace).fqdn;
      if (graph.services.forAnalyzerHost(fqdn, null).length === 0) continue;
      const analyzerFinds = analyzerFindsSubset(graph, vs, host, subset);
      const istiod = istiodMiss(graph, vs, gateways, section, rule, fqdn, subset, what);
      if (!analyzerFinds || istiod !== null) out.push({ vs, path: [...path, 'subset'], host, subset, what, analyzerFinds, istiod });
    }
  }
  VERDICTS.set(graph, out);
  return out;
}

/** istiod's verdict for one destination subset: the message for the first routing consumer whose DestinationRule lacks it, else null. */
function istiodMiss(graph: MeshGraph, vs: MeshObject, gateways: ReadonlyMap<MeshObject, GatewayInfo>, section: RouteSection, rule: number, fqdn: string, subset: string, what: string): string | null {
  const byHost = rulesByHost(graph);
  for (const consumer of routingConsumersOf(graph, vs, gateways, section, rule)) {
    const selected = selectedClients(graph, byHost.get(fqdn) ?? [], fqdn, consumer, subset);
    if (selected) {
      if (selected.lacking.length === 0) continue;
      // Clients that use a rule (selected or not) without the subset are named; when none uses any rule, the namespace-wide message says so.
      if (selected.lacking.length < selected.clients || selected.lacking.some((l) => l.rules.length > 0)) return partialMessage(what, subset, fqdn, selected.lacking);
    }
    const match = graph.destinationRulesFor(fqdn, consumer.namespace);
    const defined = match ? subsetNames(match.rules) : [];
    if (!selected && defined.includes(subset)) continue;
    const elsewhere = (byHost.get(fqdn) ?? []).filter((dr) => !match?.rules.includes(dr) && subsetNames([dr]).includes(subset));
    return message(graph, consumer, what, subset, fqdn, match?.rules ?? [], defined, elsewhere);
  }
  return null;
}

const RULES_BY_HOST = new WeakMap<MeshGraph, Map<string, MeshObject[]>>();

function rulesByHost(graph: MeshGraph): Map<string, MeshObject[]> {
  let byHost = RULES_BY_HOST.get(graph);
  if (!byHost) RULES_BY_HOST.set(graph, (byHost = destinationRulesByHost(graph)));
  return byHost;
}

/**
 * `istioctl analyze`'s key of a host (util.GetResourceNameFromHost): `<name>.<namespace>.svc.cluster.local`
 * (greedy, the domain fixed) gives that namespace and name; anything else is a name in `namespace`.
 */
function analyzerResourceName(namespace: string, host: string): string {
  const m = /^(.+)\.(.+)\.svc\.cluster\.local$/.exec(host);
  return m ? `${m[2]}/${m[1]}` : `${namespace}/${host}`;
}

/**
 * The `<namespace>/<name>+<subset>` keys of every DestinationRule subset, as
 * virtualservice.DestinationRuleAnalyzer indexes them (the rule's own namespace; exportTo, workloadSelector
 * and precedence are not read).
 */
function analyzerSubsetKeys(graph: MeshGraph): Set<string> {
  const keys = new Set<string>();
  for (const dr of graph.ofKind('DestinationRule')) {
    if (typeof dr.spec.host !== 'string') continue;
    for (const name of subsetNames([dr])) keys.add(`${analyzerResourceName(dr.namespace, dr.spec.host)}+${name}`);
  }
  return keys;
}

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
    const merged = graph.destinationRuleForResolved(fqdn, namespace, w.labels);
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
  if (applied.length > 0) {
    const first = applied[0]!;
    // Both of one namespace and both visible to the client, yet not merged: their exportTo sets differ.
    if (first.namespace === dr.namespace && exportedTo(exportToOf(dr, graph.meshConfig).values, dr.namespace, namespace)) {
      const written = (o: MeshObject): string => (Array.isArray(o.spec.exportTo) ? `exportTo ${JSON.stringify(o.spec.exportTo)}` : 'no exportTo');
      return `istiod does not merge it with ${nameOf(first)}, as their exportTo differ (${written(dr)}, ${written(first)}; ENABLE_ENHANCED_DESTINATIONRULE_MERGE), and clients in namespace ${namespace} take ${nameOf(first)}`;
    }
    // istiod's rootNamespaceLocal: a proxy in the root namespace takes only the root's private rules as its own.
    const rootPrivateOnly = namespace === graph.rootNamespace && dr.namespace === namespace && first.namespace !== namespace
      ? ` (proxies in the root namespace take only its rules exported to "." as their own namespace's, and ${nameOf(dr)} is exported further)` : '';
    return `${nameOf(first)} takes precedence for clients in namespace ${namespace}${rootPrivateOnly}`;
  }
  const serviceNamespace = graph.serviceNamespaceOf(fqdn, namespace);
  if (dr.namespace !== namespace && dr.namespace !== serviceNamespace && dr.namespace !== graph.rootNamespace) {
    return `Istio reads DestinationRules only from the client namespace (${namespace}), the service namespace (${serviceNamespace ?? 'unknown'}) and the root namespace (${graph.rootNamespace})`;
  }
  const exportTo = exportToOf(dr, graph.meshConfig);
  const written = exportTo.source === 'mesh-default' ? `no exportTo, so the mesh default defaultDestinationRuleExportTo ${JSON.stringify(exportTo.values)} applies` : `exportTo ${JSON.stringify(exportTo.values)}`;
  return `it is not exported to namespace ${namespace} (${written})`;
}

/** Whether istioctl's analyzer (virtualservice.DestinationRuleAnalyzer) finds `subset` of `host` (as written) for `vs`. */
function analyzerFindsSubset(graph: MeshGraph, vs: MeshObject, host: string, subset: string): boolean {
  let keys = ANALYZER_KEYS.get(graph);
  if (!keys) ANALYZER_KEYS.set(graph, (keys = analyzerSubsetKeys(graph)));
  return keys.has(`${analyzerResourceName(vs.namespace, host)}+${subset}`);
}

const ANALYZER_KEYS = new WeakMap<MeshGraph, Set<string>>();
