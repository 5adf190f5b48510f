import type { Rule } from '../../rule.js';
import { ANNOTATED_KINDS, annotationPath, istioAnnotationUses } from './_catalogue.js';

/** `annotations/deprecated-annotation` (IST0135): an Istio annotation the catalogue marks deprecated. */
const deprecatedAnnotation: Rule = {
  id: 'annotations/deprecated-annotation',
  istioCode: 'IST0135',
  severity: 'info',
  summary: 'An Istio annotation is deprecated and may stop working in a future Istio release (e.g. the `sidecar.istio.io/inject` annotation, replaced by the label).',
  docs: [
    'As `istioctl analyze` IST0135 (DeprecatedAnnotation, annotations.K8sAnalyzer) does, a known Istio annotation that',
    "Istio's catalogue (`schemas/istio/annotations.json`, from istio/api `annotation/annotations.yaml`) marks",
    '`deprecated` is reported on Namespaces, Services, Pods and Deployments, pod templates judged as Pods. As in Istio,',
    'the `sidecar.istio.io/inject` annotation is not reported when the same metadata also carries the',
    '`sidecar.istio.io/inject` label (kept for compatibility). Fix: use the replacement the message names, or remove it.',
  ].join(' '),
  kinds: ANNOTATED_KINDS,
  check(graph, ctx) {
    for (const { m, name, def } of istioAnnotationUses(graph)) {
      if (!def?.deprecated) continue;
      const inject = name === 'sidecar.istio.io/inject';
      if (inject && m.labels['sidecar.istio.io/inject'] !== undefined) continue;
      const extra = inject ? ' in favor of the "sidecar.istio.io/inject" label' : '';
      ctx.report(m.object, `Annotation "${name}" has been deprecated${extra} and may not work in future Istio versions`, { path: annotationPath(m, name) });
    }
  },
};

export default deprecatedAnnotation;
