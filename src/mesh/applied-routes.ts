/**
 * Which http rules of a VirtualService one proxy builds routes from, delegation merged: istiod's
 * BuildHTTPRoutesForVirtualService (pilot/pkg/networking/core/route/route.go) over the VirtualService
 * mergeVirtualServicesIfNeeded made. The view's route translation (view/routes.ts httpRoutesOf) keeps the
 * same entries through the same predicates (routing.ts httpMatchAppliesOn, delegation.ts); this is the
 * raw-config form checks read. Unlike istiod and the view (view/catch-all-route.ts), it does not stop at the
 * first catch-all: the rules after one are never reached either way, and the checks that say where a dropped
 * rule's requests go (routing/delegate-target) still name them.
 */
import type { MeshGraph } from './graph.js';
import { isRecord, stringList, type MeshObject } from './object.js';
import { droppedDelegateRule, mergedMatchEntries } from './delegation.js';
import { httpMatchAppliesOn, type RouteProxy } from './routing.js';
import { exportedTo, exportToOf } from './visibility.js';

type Rec = Readonly<Record<string, unknown>>;

/** One http rule as a proxy's route configuration holds it. */
export interface AppliedHttpRule {
  /** Index of the rule in the VirtualService's `spec.http` (for a merged delegate rule: of the root rule that delegates). */
  readonly index: number;
  /** For a delegate rule merged in place of `index`: the delegate VirtualService and the rule's index in its `spec.http`. */
  readonly delegate?: { readonly object: MeshObject; readonly index: number };
  /** The rule as written (the delegate's, for a merged one). */
  readonly rule: Rec;
  /**
   * The match entries istiod builds a route from on the proxy (merged under the root's for a delegate rule,
   * gateways resolved); empty when the rule has none, so it takes every request.
   */
  readonly matches: readonly Rec[];
}

/**
 * The http rules of `vs` that give routes on `proxy`, in order (istiod TranslateRoute keeps a match entry when
 * `port` is the listener's and sourceMatchHTTP holds: `httpMatchAppliesOn`). A rule that delegates stands for the
 * delegate's rules merged under its match (mergeHTTPRoute), none when istiod drops the delegation (not found,
 * declares hosts, not exported to the root's namespace), a delegate rule that delegates again or lies outside
 * the root's match left out. An entry `httpMatchAppliesOn` calls 'unknown' counts as applying.
 *
 * Empty: istiod builds no virtual host from `vs` on that proxy ("no routes matched"); a sidecar then keeps the
 * service's default route for that port (BuildSidecarVirtualHostWrapper), a gateway has none.
 */
export function appliedHttpRules(graph: MeshGraph, vs: MeshObject, proxy: RouteProxy): AppliedHttpRule[] {
  const applies = (m: Rec, ns: string) => httpMatchAppliesOn(m, ns, proxy) !== false;
  const out: AppliedHttpRule[] = [];
  const http = Array.isArray(vs.spec.http) ? vs.spec.http : [];
  http.forEach((rule, index) => {
    if (!isRecord(rule)) return;
    const roots = Array.isArray(rule.match) ? rule.match.filter(isRecord) : [];
    if (!isRecord(rule.delegate)) {
      const matches = roots.filter((m) => applies(m, vs.namespace));
      if (roots.length === 0 || matches.length > 0) out.push({ index, rule, matches });
      return;
    }
    if (roots.length > 0 && !roots.some((m) => applies(m, vs.namespace))) return;
    const target = delegateOf(graph, vs, rule.delegate);
    if (!target) return;
    (Array.isArray(target.spec.http) ? target.spec.http : []).forEach((leaf, j) => {
      if (!isRecord(leaf) || isRecord(leaf.delegate) || droppedDelegateRule(rule, vs.namespace, leaf, target.namespace)) return;
      const entries = mergedMatchEntries(roots, vs.namespace, Array.isArray(leaf.match) ? leaf.match.filter(isRecord) : [], target.namespace);
      // Merged gateways are resolved, so the namespace they are read in does not matter.
      const matches = entries.map((e) => e.match).filter((m) => applies(m, target.namespace));
      if (entries.length === 0 || matches.length > 0) out.push({ index, delegate: { object: target, index: j }, rule: leaf, matches });
    });
  });
  return out;
}

/** The VirtualService istiod merges for `ref` (a rule's `delegate`), or null when it drops the rule (view/routes.ts resolveDelegate). */
function delegateOf(graph: MeshGraph, vs: MeshObject, ref: Rec): MeshObject | null {
  if (typeof ref.name !== 'string') return null;
  const namespace = typeof ref.namespace === 'string' && ref.namespace !== '' ? ref.namespace : vs.namespace;
  const target = graph.get('VirtualService', namespace, ref.name);
  if (!target || target === vs || (stringList(target.spec.hosts) ?? []).length > 0) return null;
  return exportedTo(exportToOf(target, graph.meshConfig).values, target.namespace, vs.namespace) ? target : null;
}
