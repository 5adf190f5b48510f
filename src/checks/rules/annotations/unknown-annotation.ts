import type { Rule } from '../../rule.js';
import { ANNOTATED_KINDS, annotationPath, istioAnnotationUses, whereOf } from './_catalogue.js';

/** `annotations/unknown-annotation` (IST0108): an annotation in Istio's namespace that Istio does not define. */
const unknownAnnotation: Rule = {
  id: 'annotations/unknown-annotation',
  istioCode: 'IST0108',
  severity: 'warning',
  summary: 'An annotation in an `*istio.io/` namespace is not one Istio defines, so nothing reads it (usually a typo).',
  docs: [
    'As `istioctl analyze` IST0108 (UnknownAnnotation, annotations.K8sAnalyzer) does, every annotation whose prefix',
    'ends in `istio.io` (and `kubernetes.io/ingress.class`) on a Namespace, Service, Pod or Deployment is looked up',
    "in Istio's annotation catalogue, vendored as data in `schemas/istio/annotations.json` from istio/api",
    '`annotation/annotations.yaml` (commit in `schemas/istio/SOURCES.md`); a name not there is reported. Istio sees',
    'running Pods; offline meshproof judges the pod template of every workload (Deployment, StatefulSet, DaemonSet,',
    'ReplicaSet, Job, CronJob) as the Pod it becomes. Labels are not annotations: `sidecar.istio.io/inject` and',
    '`istio.io/rev` as labels are not checked here. Fix: correct the spelling (see',
    'https://istio.io/latest/docs/reference/config/annotations/), or remove the annotation.',
  ].join(' '),
  kinds: ANNOTATED_KINDS,
  check(graph, ctx) {
    for (const { m, name, def } of istioAnnotationUses(graph)) {
      if (def) continue;
      ctx.report(m.object, `Unknown annotation: ${name} on ${whereOf(m)} is not an Istio annotation, so nothing reads it; fix the spelling or remove it`, { path: annotationPath(m, name) });
    }
  },
};

export default unknownAnnotation;
