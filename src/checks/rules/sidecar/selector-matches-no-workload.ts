import type { Workload } from '../../../mesh/workloads.js';
import { selectorOf } from '../../../mesh/policy.js';
import type { Rule } from '../../rule.js';

/** `sidecar/selector-matches-no-workload` (IST0101): a Sidecar workloadSelector matches no workload of its namespace. */
const sidecarSelectorMatchesNoWorkload: Rule = {
  id: 'sidecar/selector-matches-no-workload',
  istioCode: 'IST0101',
  severity: 'error',
  summary: 'A Sidecar workloadSelector matches no workload in the Sidecar\'s namespace.',
  docs: [
    'A Sidecar with a `workloadSelector` applies only to pods of its own namespace carrying every listed label.',
    'When none match, the Sidecar does nothing and those workloads fall back to the namespace (or mesh) default.',
    'Fix the labels, or move the Sidecar to the namespace of the workload. Input without any workload (Istio',
    'config checked on its own) is skipped. Mirrors `istioctl analyze` IST0101 (ReferencedResourceNotFound, selector).',
  ].join(' '),
  kinds: ['Sidecar', 'Deployment', 'Rollout', 'Pod'],
  check(graph, ctx) {
    if (graph.workloads.inInput.length === 0) return;
    const injected = (w: Workload) => graph.membershipOf(w).dataplane === 'sidecar';
    for (const sc of graph.ofKind('Sidecar')) {
      const selector = selectorOf(sc);
      if (!selector || graph.workloads.somePodSelectedBy(sc.namespace, selector, injected).length > 0) continue;
      const text = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
      const elsewhere = graph.workloads.somePodSelectedBy(null, selector, injected)[0];
      const hint = elsewhere ? ` (${elsewhere.kind} ${elsewhere.namespace}/${elsewhere.name} matches, but a Sidecar only selects workloads of its own namespace)` : '';
      ctx.report(sc, `Referenced selector not found: "${text}" matches no workload in namespace ${sc.namespace}${hint}; fix the labels or move the Sidecar`, {
        path: ['spec', 'workloadSelector', 'labels'],
      });
    }
  },
};

export default sidecarSelectorMatchesNoWorkload;
