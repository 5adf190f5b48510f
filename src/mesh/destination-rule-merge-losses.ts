/**
 * DestinationRules that istiod's enhanced merge (`mergeDestinationRule` with
 * `ENABLE_ENHANCED_DESTINATIONRULE_MERGE`, on by default; modelled in `destination-rules.ts`) folds into
 * another rule and keeps nowhere on their own, so some clients the rule was written for never get it:
 *
 * - {@link selectorMergeLosses}: a rule without `workloadSelector` whose exportTo set equals a selector rule's
 *   (`["."]`: istiod keys every selector rule as private) is merged into that selector rule, and
 *   `appendSeparately` ends false: the namespace's clients the selector does not pick get no rule
 *   from it (istio/istio#58322).
 * - {@link exportMergeLosses}: a later rule without selector whose exportTo includes an earlier one's (a
 *   superset) is merged into the earlier one, which keeps its own exportTo; `appendSeparately` ends false,
 *   so the namespaces only the later rule names get nothing from it, and where both apply the earlier
 *   rule's traffic policy wins.
 */
import type { MeshGraph } from './graph.js';
import type { Consolidated, ConsolidatedHost } from './destination-rules.js';
import { mergeDestinationRules } from './destination-rules.js';
import { hostMatches, isWildcard, wildcardsCovering } from './hosts.js';
import { isRecord, stringList, type MeshObject } from './object.js';
import { selects } from './services.js';
import type { Workload } from './workloads.js';

/** A rule without selector that istiod merged into workloadSelector rules only (istio/istio#58322). */
export interface SelectorMergeLoss {
  /** The rule without `workloadSelector` that is lost. */
  readonly rule: MeshObject;
  /** The resolved host of both. */
  readonly host: string;
  /** The selector rules it was merged into (each the first of its consolidated rule), merge order. */
  readonly into: readonly { readonly object: MeshObject; readonly selector: Readonly<Record<string, string>> }[];
  /** What the clients none of them select get instead: the rules of the namespace's last consolidated rule without selector, or null (no rule at all). */
  readonly instead: readonly MeshObject[] | null;
  /** Workloads of the input in the rule's namespace, with a sidecar (or maybe one), that no selector picks. */
  readonly unselected: readonly Workload[];
}

/** A rule without selector merged into earlier rules with a narrower exportTo and kept nowhere on its own. */
export interface ExportMergeLoss {
  readonly rule: MeshObject;
  /** The resolved host of both. */
  readonly host: string;
  /** The rules it was merged into (each the first of its consolidated rule), merge order. */
  readonly into: readonly MeshObject[];
  /** Namespaces `rule.spec.exportTo` names that get nothing from it (without a rule of their own for the host). */
  readonly lost: readonly string[];
  /** Its exportTo has `*` and none of the rules it went into does: every namespace but those they name loses it. */
  readonly lostEverywhere: boolean;
  /** The namespaces the rules it went into reach (their exportTo, `.` as the namespace's name). */
  readonly kept: readonly string[];
  /** The earlier rule whose top-level `trafficPolicy` wins over `rule`'s where both apply; null when `rule` sets none or it wins. */
  readonly policyFrom: MeshObject | null;
}

const contains = (list: readonly Consolidated[], o: MeshObject): Consolidated[] => list.filter((c) => c.rules.includes(o));
const isFirst = (list: readonly Consolidated[], o: MeshObject): boolean => list.some((c) => c.rules[0] === o);
const hasSelector = (o: MeshObject): boolean => isRecord(o.spec.workloadSelector) && isRecord(o.spec.workloadSelector.matchLabels) && Object.keys(o.spec.workloadSelector.matchLabels).length > 0;

/**
 * Rules without selector that the index clients of their namespace look up (`namespace-local`; in the root
 * namespace `root-local`) holds only inside consolidated rules with a `workloadSelector`.
 */
export function selectorMergeLosses(graph: MeshGraph): SelectorMergeLoss[] {
  const root = graph.meshConfig.rootNamespace;
  const out: SelectorMergeLoss[] = [];
  for (const h of graph.destinationRuleConsolidations()) {
    if (h.index === 'exported' || (h.index === 'namespace-local' && h.namespace === root)) continue;
    const seen = new Set<MeshObject>();
    for (const c of h.entries) {
      for (const o of c.rules) {
        if (seen.has(o) || hasSelector(o)) continue;
        seen.add(o);
        const holders = contains(h.entries, o);
        if (holders.some((x) => x.selector === null)) continue;
        const into = holders.map((x) => ({ object: x.rules[0]!, selector: x.selector! }));
        const fallback = [...h.entries].reverse().find((x) => x.selector === null);
        const unselected = graph.workloads.all.filter((w) => w.namespace === h.namespace
          && ['sidecar', 'unknown'].includes(graph.membershipOf(w).dataplane)
          && !into.some((i) => selects(i.selector, w.labels)));
        out.push({ rule: o, host: h.host, into, instead: fallback ? fallback.rules : null, unselected });
      }
    }
  }
  return out;
}

/**
 * Rules without selector that a namespace's `exported` index holds only inside consolidated rules keyed by a
 * narrower exportTo, where the namespace is one clients consult for the host (the root namespace, or that of a
 * service the host covers: istiod looks up exported rules there only).
 */
export function exportMergeLosses(graph: MeshGraph): ExportMergeLoss[] {
  const all = [...graph.destinationRuleConsolidations()];
  const local = new Map<string, Set<string>>();
  for (const h of all) if (h.index !== 'exported') (local.get(h.namespace) ?? local.set(h.namespace, new Set()).get(h.namespace)!).add(h.host);
  const ownRule = (ns: string, host: string): boolean => {
    const hosts = local.get(ns);
    return hosts !== undefined && (hosts.has(host) || (!isWildcard(host) && wildcardsCovering(host).some((w) => hosts.has(w))));
  };
  const out: ExportMergeLoss[] = [];
  for (const h of all) {
    if (h.index !== 'exported' || !consulted(graph, h)) continue;
    const seen = new Set<MeshObject>();
    for (const c of h.entries) {
      for (const o of c.rules) {
        if (seen.has(o)) continue;
        seen.add(o);
        if (isFirst(h.entries, o)) continue;
        const holders = contains(h.entries, o);
        const reach = (ns: string) => holders.some((x) => x.exportTo.size === 0 || x.exportTo.has('*') || x.exportTo.has(ns));
        const written = stringList(o.spec.exportTo) ?? [];
        const lost = [...new Set(written)].filter((ns) => !['.', '*', '~', h.namespace].includes(ns) && !reach(ns) && !ownRule(ns, h.host));
        const lostEverywhere = written.includes('*') && !holders.some((x) => x.exportTo.has('*'));
        if (lost.length === 0 && !lostEverywhere) continue;
        const kept = [...new Set(holders.flatMap((x) => [...x.exportTo].map((e) => (e === '.' ? h.namespace : e))))];
        const first = holders[0]!;
        const merged = mergeDestinationRules('service-namespace', h.namespace, h.host, first.rules);
        const policyFrom = isRecord(o.spec.trafficPolicy) && merged.trafficPolicy && merged.trafficPolicy.object !== o ? merged.trafficPolicy.object : null;
        out.push({ rule: o, host: h.host, into: holders.map((x) => x.rules[0]!), lost, lostEverywhere, kept, policyFrom });
      }
    }
  }
  return out;
}

/** Whether clients of other namespaces consult `h`'s namespace for its host: the root namespace, or one with a service the host covers. */
function consulted(graph: MeshGraph, h: ConsolidatedHost): boolean {
  if (h.namespace === graph.meshConfig.rootNamespace) return true;
  return graph.services.all.some((s) => s.namespace === h.namespace && (s.host === h.host || (isWildcard(h.host) && hostMatches(h.host, s.host))));
}
