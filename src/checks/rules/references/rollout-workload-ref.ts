import { isRecord } from '../../../mesh/object.js';
import { ROLLOUT_WORKLOAD_REF_KINDS, rolloutWorkloadRef } from '../../../mesh/workloads.js';
import type { Rule } from '../../rule.js';
import { listOrNone } from './_helpers.js';

/** `references/rollout-workload-ref`: an Argo Rollout's `spec.workloadRef` names a workload that exists and that Argo can take the pod template from. */
const rolloutWorkloadRefRule: Rule = {
  id: 'references/rollout-workload-ref',
  severity: 'error',
  summary: 'An Argo Rollout\'s `spec.workloadRef` names a Deployment, ReplicaSet or PodTemplate that is not in the input, a kind Argo cannot read a pod template from, or sits beside a `spec.template`.',
  docs: [
    'A `Rollout` (`argoproj.io/v1alpha1`) with `spec.workloadRef` runs the pod template of the workload it names, in',
    'its own namespace: `apiVersion: apps/v1` `kind: Deployment` or `ReplicaSet`, or `apiVersion: v1` `kind: PodTemplate`',
    '(argo-rollouts `rollout/templateref.go`). meshproof models those pods as the referenced Deployment\'s or',
    'ReplicaSet\'s (their labels, service account and ports; Argo runs the same template and scales the Deployment down',
    'per `scaleDown`), so the Rollout adds no workload of its own. When the target is missing the pods are invisible:',
    'selectors that pick only them would be reported as selecting nothing, and no proxy is compiled for them; Argo',
    'itself fails the Rollout (`deployments.apps "x" not found`). Argo also refuses another kind ("workload of type',
    '<group>/<kind> is not supported") and a non-empty `spec.template` beside `workloadRef` ("template must be empty',
    'for workload reference rollout"). Fix: add the Deployment to the input (or name the right one), or use',
    '`spec.template` instead of `workloadRef`. PodTemplate targets are checked for existence only: meshproof does not',
    'model their pods.',
  ].join(' '),
  kinds: ['Rollout', 'Deployment', 'ReplicaSet'],
  check(graph, ctx) {
    for (const rollout of graph.ofKind('Rollout')) {
      const ref = rolloutWorkloadRef(rollout);
      if (!ref) continue;
      const template = isRecord(rollout.spec.template) && isRecord(rollout.spec.template.metadata) ? rollout.spec.template.metadata : {};
      if ((isRecord(template.labels) && Object.keys(template.labels).length > 0) || (isRecord(template.annotations) && Object.keys(template.annotations).length > 0)) {
        ctx.report(rollout, 'spec.template has labels or annotations beside spec.workloadRef: Argo Rollouts refuses the Rollout ("template must be empty for workload reference rollout"); remove spec.template (the pods come from the referenced workload\'s template) or drop workloadRef', { path: ['spec', 'template'] });
      }
      const supported = Object.keys(ROLLOUT_WORKLOAD_REF_KINDS).map((k) => (k.startsWith('/') ? `v1 ${k.slice(1)}` : `${k.split('/')[0]}/v1 ${k.split('/')[1]}`));
      if (!Object.hasOwn(ROLLOUT_WORKLOAD_REF_KINDS, `${ref.group}/${ref.kind}`)) {
        ctx.report(rollout, `workloadRef ${ref.apiVersion || '(no apiVersion)'} ${ref.kind || '(no kind)'}: Argo Rollouts refuses the Rollout ("workload of type ${ref.group}/${ref.kind} is not supported"); name one of: ${supported.join(', ')}`, { path: [...ref.path, ref.kind === '' ? 'kind' : 'apiVersion'] });
        continue;
      }
      if (ref.name === '') {
        ctx.report(rollout, `workloadRef.name is empty: Argo Rollouts cannot find the ${ref.kind} whose pod template the Rollout runs; name it (in namespace ${rollout.namespace})`, { path: ref.path });
        continue;
      }
      // PodTemplate is not a modelled kind: look it up among every object.
      const target = ref.kind === 'PodTemplate'
        ? graph.objects.find((o) => o.kind === 'PodTemplate' && o.group === '' && o.namespace === rollout.namespace && o.name === ref.name)
        : graph.get(ref.kind, rollout.namespace, ref.name);
      if (target) continue;
      const siblings = graph.objects.filter((o) => o.kind === ref.kind && o.namespace === rollout.namespace).map((o) => o.name);
      const plural = ref.kind === 'PodTemplate' ? 'podtemplates' : `${ref.kind.toLowerCase()}s.apps`;
      ctx.report(rollout, `workloadRef names ${ref.kind} ${rollout.namespace}/${ref.name}, which is not in the input: meshproof sees no pods for this Rollout (selectors that pick only them select nothing, no proxy is compiled for them), and Argo Rollouts fails it (${plural} "${ref.name}" not found; it looks in the Rollout's namespace). ${ref.kind}s in ${rollout.namespace}: ${listOrNone(siblings)}. Add the ${ref.kind} to the input or fix the name`, { path: [...ref.path, 'name'] });
    }
  },
};

export default rolloutWorkloadRefRule;
