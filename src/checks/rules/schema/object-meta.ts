import { labelAndAnnotationViolations } from '../../../validate/object-meta.js';
import type { Rule } from '../../rule.js';
import { crdCovered } from './_crd-covered.js';

/** `schema/object-meta`: labels or annotations the API server refuses, on a kind no vendored CRD schema (Istio, Gateway API) covers. */
const objectMeta: Rule = {
  id: 'schema/object-meta',
  severity: 'error',
  summary: 'metadata.labels or metadata.annotations of a Kubernetes object or of its pod template hold a non-string value or an invalid key or label value.',
  docs: [
    'The API server validates `metadata` of every object (apimachinery ValidateObjectMeta) and refuses the whole',
    'object on apply when a label or annotation value is not a string (a YAML `on`, `true`, `0100` or `5`',
    'unquoted), a key is not a qualified name (optional DNS-subdomain prefix up to 253 characters and `/`, then',
    'at most 63 letters, digits, `-`, `_` or `.`, alphanumeric at both ends), a label value is longer than 63',
    'characters or not of `[-A-Za-z0-9_.]` alphanumeric at both ends, or the annotations total more than 256 KiB.',
    'Kubernetes kinds (Deployment, Service, Namespace, custom resources other than Istio\'s and Gateway API\'s) are checked,',
    'pod templates too (`spec.template.metadata` of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs,',
    'ReplicationControllers, Argo Rollouts; CronJob `spec.jobTemplate`: a `sidecar.istio.io/inject: false` unquoted is refused there);',
    'here; Istio and Gateway API kinds get the same checks from schema/crd-validation (IST0106). Fix: quote the value',
    '(`enabled: "on"`), or rename the key or value to the allowed syntax.',
  ].join(' '),
  kinds: ['*'],
  check(graph, ctx) {
    for (const o of graph.objects) {
      if (crdCovered(o)) continue;
      for (const [meta, at] of metadataOf(o.kind, o.body)) {
        for (const v of labelAndAnnotationViolations(meta, at)) ctx.report(o, `Metadata validation error: ${v.message}`, { path: v.path });
      }
    }
  },
};

/** Where a pod template's metadata sits in each workload kind (apps/v1, batch/v1, core/v1 ReplicationController). */
const TEMPLATES: Record<string, readonly (readonly string[])[]> = {
  Deployment: [['spec', 'template']], StatefulSet: [['spec', 'template']], DaemonSet: [['spec', 'template']],
  ReplicaSet: [['spec', 'template']], ReplicationController: [['spec', 'template']], Job: [['spec', 'template']],
  CronJob: [['spec', 'jobTemplate'], ['spec', 'jobTemplate', 'spec', 'template']], PodTemplate: [['template']],
  Rollout: [['spec', 'template']],
};

/** The object's own metadata, then each template's (the API server validates them all: ValidatePodTemplateSpec). */
function metadataOf(kind: string, body: Record<string, unknown>): [unknown, string[]][] {
  const out: [unknown, string[]][] = [[body.metadata, ['metadata']]];
  for (const path of TEMPLATES[kind] ?? []) {
    let at: unknown = body;
    for (const k of path) at = at !== null && typeof at === 'object' && !Array.isArray(at) ? (at as Record<string, unknown>)[k] : undefined;
    if (at !== null && typeof at === 'object' && !Array.isArray(at)) out.push([(at as Record<string, unknown>).metadata, [...path, 'metadata']]);
  }
  return out;
}

export default objectMeta;
