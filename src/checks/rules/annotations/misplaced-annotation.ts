import type { Rule } from '../../rule.js';
import { ANNOTATED_KINDS, annotationPath, istioAnnotationUses, whereOf } from './_catalogue.js';

/** `annotations/misplaced-annotation` (IST0107): an Istio annotation on a kind of object it does not apply to. */
const misplacedAnnotation: Rule = {
  id: 'annotations/misplaced-annotation',
  istioCode: 'IST0107',
  severity: 'warning',
  summary: 'An Istio annotation sits on a kind of object Istio does not read it from (e.g. `sidecar.istio.io/inject` on a Deployment instead of its pod template).',
  docs: [
    'As `istioctl analyze` IST0107 (MisplacedAnnotation, annotations.K8sAnalyzer) does, each known Istio annotation on',
    "a Namespace, Service, Pod or Deployment is compared with the kinds Istio's catalogue says it attaches to",
    '(`schemas/istio/annotations.json`, from istio/api `annotation/annotations.yaml`); annotations that attach to `Any`',
    'are never misplaced. No Istio annotation attaches to Deployment, so one on the Deployment\'s own metadata is',
    'reported: Istio reads pod annotations, which come from `spec.template.metadata.annotations`. Pod templates of',
    'every workload kind are judged as Pods (Istio sees the running Pods). Unknown names are IST0108, not this rule.',
    'Fix: move the annotation to the object kind the message names.',
  ].join(' '),
  kinds: ANNOTATED_KINDS,
  check(graph, ctx) {
    for (const { m, name, def } of istioAnnotationUses(graph)) {
      if (!def || def.resources.includes('Any') || def.resources.includes(m.kind)) continue;
      const kinds = def.resources.filter((r) => r !== 'Unknown').join(', ');
      const hint = def.resources.includes('Pod') ? ': move it to the pod template (spec.template.metadata.annotations)' : `: move it to the ${kinds}`;
      ctx.report(m.object, `Misplaced annotation: ${name} can only be applied to ${kinds}, not ${whereOf(m)}${hint}`, { path: annotationPath(m, name) });
    }
  },
};

export default misplacedAnnotation;
