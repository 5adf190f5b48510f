import type { Rule } from '../../rule.js';
import { selectorOf } from './_helpers.js';

/** `security/authz-selects-no-workload` (IST0127): an AuthorizationPolicy whose selector matches nothing. */
const authzSelectsNoWorkload: Rule = {
  id: 'security/authz-selects-no-workload',
  istioCode: 'IST0127',
  severity: 'warning',
  summary: 'An AuthorizationPolicy selector matches no workload in its namespace (any namespace for the root namespace).',
  docs: [
    'A policy with `selector.matchLabels` applies to the workloads of its own namespace whose pod labels carry',
    'every pair (in the root namespace, to matching workloads of every namespace). When none does, the policy',
    'has no effect: usually a label typo or a policy left in the wrong namespace, and the workload it was meant',
    'for is unprotected (DENY) or unreachable under default-deny (ALLOW). Fix the labels or the namespace, or',
    'delete the policy. Skipped when the input holds no workloads at all (nothing to match against) and for',
    'policies using `targetRef(s)`. Mirrors `istioctl analyze` IST0127.',
  ].join(' '),
  kinds: ['AuthorizationPolicy', 'Deployment', 'StatefulSet', 'DaemonSet', 'Pod', 'WorkloadEntry'],
  check(graph, ctx) {
    if (graph.workloads.all.length === 0) return;
    for (const ap of graph.ofKind('AuthorizationPolicy')) {
      if (ap.spec.targetRef !== undefined || ap.spec.targetRefs !== undefined) continue;
      const selector = selectorOf(ap);
      if (!selector) continue;
      const root = ap.namespace === graph.rootNamespace;
      if (graph.workloadsSelectedBy(root ? null : ap.namespace, selector).length > 0) continue;
      const labels = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(', ');
      ctx.report(ap, `No matching workloads for this resource with the following labels: ${labels} (${root ? 'in any namespace' : `in namespace ${ap.namespace}`}); ` +
        'the policy has no effect. Fix the labels or move the policy to the workload\'s namespace', { path: ['spec', 'selector', 'matchLabels'] });
    }
  },
};

export default authzSelectsNoWorkload;
