import type { Workload } from '../../../mesh/workloads.js';
import { selectorOf } from '../../../mesh/policy.js';
import type { Rule } from '../../rule.js';

/** `telemetry/selector-matches-no-workload` (IST0101): a Telemetry selector matches no workload of its namespace. */
const telemetrySelectorMatchesNoWorkload: Rule = {
  id: 'telemetry/selector-matches-no-workload',
  istioCode: 'IST0101',
  severity: 'error',
  summary: 'A Telemetry selector.matchLabels matches no workload in the Telemetry\'s namespace, so its tracing, access-log and metrics settings apply to nothing.',
  docs: [
    'A Telemetry with `selector.matchLabels` applies only to workloads of its own namespace carrying every listed',
    'label. When none match, it configures nothing, and the workload it was meant for keeps the namespace or mesh',
    'defaults: sampling, access logs or metric overrides silently do not happen. Usually a label typo or a',
    'Telemetry in the wrong namespace. Fix the labels, or move the Telemetry to the workload\'s namespace.',
    'Mirrors `istioctl analyze` IST0101 (ReferencedResourceNotFound, selector) of `telemetry.SelectorAnalyzer`:',
    'Telemetries without matchLabels are skipped, and only workloads of the same namespace count. Istio matches',
    'running Pods; meshproof matches the pod templates of Deployments and the other workload kinds, Pods and',
    'WorkloadEntries in the input, and skips input that holds no workload at all (Istio config checked on its own).',
  ].join(' '),
  kinds: ['Telemetry', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod', 'WorkloadEntry'],
  check(graph, ctx) {
    if (graph.workloads.inInput.length === 0) return;
    const injected = (w: Workload) => graph.membershipOf(w).dataplane === 'sidecar';
    for (const t of graph.ofKind('Telemetry')) {
      const selector = selectorOf(t);
      if (!selector || graph.workloads.somePodSelectedBy(t.namespace, selector, injected).length > 0) continue;
      const text = Object.keys(selector).sort().map((k) => `${k}=${selector[k]}`).join(',');
      const elsewhere = graph.workloads.somePodSelectedBy(null, selector, injected)[0];
      const hint = elsewhere ? ` (${elsewhere.kind} ${elsewhere.namespace}/${elsewhere.name} matches, but a Telemetry selector only selects workloads of its own namespace)` : '';
      ctx.report(t, `Referenced selector not found: "${text}" matches no workload in namespace ${t.namespace}${hint}, so this Telemetry applies to nothing. Fix the labels, or move the Telemetry to the workload's namespace`, {
        path: ['spec', 'selector', 'matchLabels'],
      });
    }
  },
};

export default telemetrySelectorMatchesNoWorkload;
