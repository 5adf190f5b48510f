import { selectorMergeLosses } from '../../../mesh/destination-rule-merge-losses.js';
import type { Rule } from '../../rule.js';

const labelsText = (l: Readonly<Record<string, string>>): string => Object.entries(l).map(([k, v]) => `${k}=${v}`).join(',');

/**
 * `references/destination-rule-merged-into-selector-rule`: a DestinationRule without `workloadSelector` that istiod
 * merges into a workloadSelector rule of its namespace and keeps nowhere else (istio/istio#58322), judged from the
 * mesh model's consolidation (`mesh/destination-rule-merge-losses.ts`).
 */
const destinationRuleMergedIntoSelectorRule: Rule = {
  id: 'references/destination-rule-merged-into-selector-rule',
  severity: 'warning',
  summary: 'A DestinationRule without workloadSelector (exportTo ["."]) is merged into a workloadSelector rule for the same host, so the workloads of its namespace that the selector does not pick get neither rule (istio/istio#58322).',
  docs: [
    'istiod merges DestinationRules for one host in one namespace (`mergeDestinationRule`, with',
    '`ENABLE_ENHANCED_DESTINATIONRULE_MERGE` on by default). It keys every rule with a `workloadSelector` as exported',
    'to `.`; a rule without selector whose `exportTo` is exactly `["."]` has the same key, so it is merged into the',
    'selector rule (its subsets added, its trafficPolicy used only when the selector rule has none) and not kept as a',
    'rule of its own. The sidecars of the namespace that the selector does not pick then get no DestinationRule for',
    'the host at all (istiod does not fall back to the service namespace\'s rule either): the namespace-wide',
    'trafficPolicy and subsets silently apply only to the selected workloads (istio/istio#58322). Fix: write the',
    'namespace\'s own name in `exportTo` instead of `.` (the same visibility; istiod keeps the rules apart), and',
    'copy into the selector rule what its workloads need from the namespace-wide one.',
  ].join(' '),
  kinds: ['DestinationRule', 'Service', 'ServiceEntry', 'Namespace', 'Deployment', 'StatefulSet', 'DaemonSet', 'Rollout', 'Pod'],
  check(graph, ctx) {
    for (const loss of selectorMergeLosses(graph)) {
      const { rule } = loss;
      const into = loss.into.map((i) => `${i.object.namespace}/${i.object.name} (workloadSelector ${labelsText(i.selector)})`).join(', ');
      const shown = loss.unselected.slice(0, 3).map((w) => `${w.kind} ${w.namespace}/${w.name}`);
      const workloads = shown.length > 0 ? ` (in the input: ${shown.join(', ')}${loss.unselected.length > 3 ? ` and ${loss.unselected.length - 3} more` : ''})` : '';
      const instead = loss.instead ? `they get ${loss.instead.map((o) => `${o.namespace}/${o.name}`).join(' + ')} instead` : `they get no DestinationRule for ${loss.host} at all (istiod does not fall back to the service or root namespace's)`;
      ctx.report(rule,
        `DestinationRule ${rule.namespace}/${rule.name} has no workloadSelector and exportTo ["."], the key istiod gives every selector rule, so it is merged into ${into} and kept nowhere else (istio/istio#58322, ENABLE_ENHANCED_DESTINATIONRULE_MERGE): `
        + `sidecars in namespace ${rule.namespace} that the selector does not pick${workloads} do not get its trafficPolicy or subsets; ${instead}. `
        + `Fix: write exportTo: ["${rule.namespace}"] instead of "." (the same visibility; istiod then keeps the rules apart), and copy into the selector rule what its workloads need from this one`,
        { path: ['spec', 'exportTo'] });
    }
  },
};

export default destinationRuleMergedIntoSelectorRule;
