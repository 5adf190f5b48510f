import type { Rule } from '../../rule.js';
import { ANNOTATED_KINDS, annotationPath, istioAnnotationUses, whereOf } from './_catalogue.js';
import { VALUE_CHECKS } from './_values.js';

/** `annotations/invalid-annotation` (IST0125): an Istio annotation whose value the injector refuses. */
const invalidAnnotation: Rule = {
  id: 'annotations/invalid-annotation',
  istioCode: 'IST0125',
  severity: 'warning',
  summary: 'An Istio injection annotation has a value the sidecar injector refuses (port list, CIDR list, integer, boolean, interception mode).',
  docs: [
    'As `istioctl analyze` IST0125 (InvalidAnnotation, annotations.K8sAnalyzer) does, the value of each known Istio',
    'annotation on the kind it attaches to is checked with the injector\'s own checks (`pkg/kube/inject/validate.go`,',
    '`AnnotationValidation`): `traffic.sidecar.istio.io/{include,exclude}InboundPorts` and `excludeOutboundPorts`',
    '(comma-separated ports 0-65535; `*` allowed for includeInboundPorts), `{include,exclude}OutboundIPRanges`',
    '(comma-separated CIDRs, no spaces; `*` allowed for include), `status.sidecar.istio.io/port` (a port),',
    '`readiness.status.sidecar.istio.io/{initialDelaySeconds,periodSeconds,failureThreshold}` (unsigned 32-bit),',
    '`prometheus.istio.io/merge-metrics` (Go boolean) and `sidecar.istio.io/interceptionMode` (REDIRECT, TPROXY, NONE).',
    'The injector refuses such a pod, so it is never created. Pod templates are judged as Pods. Not reproduced:',
    '`proxy.istio.io/config`, which Istio validates as a whole ProxyConfig. Fix: correct the value as the message says.',
  ].join(' '),
  kinds: ANNOTATED_KINDS,
  check(graph, ctx) {
    for (const { m, name, value, def } of istioAnnotationUses(graph)) {
      const check = VALUE_CHECKS[name];
      if (!def || !check || !(def.resources.includes('Any') || def.resources.includes(m.kind))) continue;
      const problem = check(value);
      if (problem) ctx.report(m.object, `Invalid annotation ${name}: ${problem} (on ${whereOf(m)}); the sidecar injector refuses the pod`, { path: annotationPath(m, name) });
    }
  },
};

export default invalidAnnotation;
