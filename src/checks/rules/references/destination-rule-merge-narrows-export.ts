import { exportMergeLosses } from '../../../mesh/destination-rule-merge-losses.js';
import type { Rule } from '../../rule.js';

const list = (xs: readonly string[]): string => xs.slice(0, 5).join(', ') + (xs.length > 5 ? ` and ${xs.length - 5} more` : '');

/**
 * `references/destination-rule-merge-narrows-export`: a later DestinationRule whose exportTo includes an earlier
 * one's (no selectors) is merged into the earlier rule and exported only as far as it is, judged from the mesh
 * model's consolidation (`mesh/destination-rule-merge-losses.ts`).
 */
const destinationRuleMergeNarrowsExport: Rule = {
  id: 'references/destination-rule-merge-narrows-export',
  severity: 'warning',
  summary: 'A later DestinationRule with a wider exportTo is merged into an earlier rule for the same host and keeps only the earlier rule\'s exportTo, so namespaces only it names do not get it and its trafficPolicy loses to the earlier one\'s.',
  docs: [
    'istiod merges DestinationRules for one host in one namespace in creation order (`mergeDestinationRule`, with',
    '`ENABLE_ENHANCED_DESTINATIONRULE_MERGE` on by default). A later rule without workloadSelector whose `exportTo`',
    'includes every namespace of an earlier rule\'s (and more) is merged into the earlier one, which keeps its own',
    '`exportTo` and its own top-level `trafficPolicy` (first wins); because both have no selector, istiod does not also',
    'keep the later rule on its own. The namespaces only the later rule names therefore get nothing from it (they',
    'fall back to the root namespace\'s rule, if any), and where both apply the earlier rule\'s trafficPolicy wins.',
    'Only rules in the namespace of a service the host covers, or in the root namespace, are judged: clients of',
    'other namespaces look up exported rules only there. Fix: give both rules the same `exportTo` (then they merge',
    'for every namespace), or move the settings into one rule.',
  ].join(' '),
  kinds: ['DestinationRule', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const loss of exportMergeLosses(graph)) {
      const { rule } = loss;
      const into = loss.into.map((o) => `${o.namespace}/${o.name}`).join(', ');
      const where = loss.lostEverywhere
        ? `sidecars of every namespace other than ${list([...new Set([rule.namespace, ...loss.kept])])}`
        : `sidecars in namespace${loss.lost.length === 1 ? '' : 's'} ${list(loss.lost)}`;
      const fallback = rule.namespace === graph.meshConfig.rootNamespace ? '' : ' (they fall back to the root namespace\'s rule, if any)';
      const policy = loss.policyFrom ? `; in ${list(loss.kept)} the trafficPolicy of ${loss.policyFrom.namespace}/${loss.policyFrom.name} wins over its own` : '';
      ctx.report(rule,
        `DestinationRule ${rule.namespace}/${rule.name} (exportTo ${JSON.stringify(rule.spec.exportTo ?? [])}) is merged into the earlier ${into} for ${loss.host}, which keeps its narrower exportTo (${JSON.stringify(loss.kept)}) and istiod does not keep this rule on its own (ENABLE_ENHANCED_DESTINATIONRULE_MERGE): `
        + `${where} get neither rule from ${rule.namespace}${fallback}${policy}. `
        + `Fix: give ${into} and this rule the same exportTo, or move this rule's settings into ${into}`,
        { path: ['spec', 'exportTo'] });
    }
  },
};

export default destinationRuleMergeNarrowsExport;
