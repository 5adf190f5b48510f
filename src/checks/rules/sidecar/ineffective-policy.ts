import type { Rule } from '../../rule.js';
import { selectorOf } from '../security/_helpers.js';
import { namespaceInAmbientMode, workloadInAmbientMode } from './_ambient.js';

/** `sidecar/ineffective-policy` (IST0167): a Sidecar that configures no sidecar because its workloads run in ambient mode. */
const ineffectivePolicy: Rule = {
  id: 'sidecar/ineffective-policy',
  istioCode: 'IST0167',
  severity: 'warning',
  summary: 'A Sidecar applies only to ambient-mode workloads (or an ambient namespace), which have no sidecar: it has no effect.',
  docs: [
    'In ambient mode ztunnel (and waypoints) carry the traffic; there is no sidecar proxy, so a Sidecar resource',
    'configures nothing. As in `istioctl analyze` IST0167 (IneffectivePolicy): a Sidecar with a workloadSelector is',
    'reported when a workload it selects is in ambient mode: a Pod when it carries the annotation',
    '`ambient.istio.io/redirection: enabled` that istio-cni writes on the pods it captured (all Istio reads), a pod',
    'template when it or its namespace is labelled `istio.io/dataplane-mode: ambient`; a Sidecar without selector is',
    'reported when its namespace is labelled `istio.io/dataplane-mode: ambient` without `istio-injection: enabled` or',
    '`istio.io/rev`. Those Sidecars are then not reported as conflicts (IST0110, IST0111). Fix: delete the Sidecar,',
    'or configure egress for ambient workloads with a waypoint and ServiceEntries.',
  ].join(' '),
  kinds: ['Sidecar', 'Namespace', 'Pod', 'Deployment', 'Rollout'],
  check(graph, ctx) {
    for (const sc of graph.ofKind('Sidecar')) {
      const selector = selectorOf(sc);
      if (!selector) {
        if (namespaceInAmbientMode(graph, sc.namespace)) {
          ctx.report(sc, `The policy has no impact: namespace ${sc.namespace} is in ambient mode (istio.io/dataplane-mode: ambient), so its workloads have no sidecar; delete this Sidecar`, { path: ['metadata', 'name'] });
        }
        continue;
      }
      const ambient = graph.workloadsSelectedBy(sc.namespace, selector).find((w) => workloadInAmbientMode(graph, w));
      if (ambient) {
        ctx.report(sc, `The policy has no impact: selected workload ${ambient.kind} ${ambient.namespace}/${ambient.name} is in ambient mode, so it has no sidecar; delete this Sidecar or take the workload out of ambient mode`, { path: ['spec', 'workloadSelector', 'labels'] });
      }
    }
  },
};

export default ineffectivePolicy;
