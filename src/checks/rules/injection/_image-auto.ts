import type { Rule } from '../../rule.js';
import type { MeshGraph } from '../../../mesh/graph.js';
import { membershipOf, type Membership } from '../../../mesh/membership.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { Workload } from '../../../mesh/workloads.js';

/** Index of the `istio-proxy` container with `image: auto` in the pod template, or -1. */
export function autoImageIndex(w: Workload): number {
  let t: unknown = w.object.body;
  for (const p of w.templatePath) t = isRecord(t) ? t[p as string] : undefined;
  const containers = isRecord(t) && isRecord(t.spec) && Array.isArray(t.spec.containers) ? t.spec.containers : [];
  return containers.findIndex((c) => isRecord(c) && c.name === 'istio-proxy' && c.image === 'auto');
}

/**
 * Whether the injector would process `w`'s pods. The model counts a pod that already has an
 * `istio-proxy` container as manually injected; a placeholder `image: auto` proxy is not, so
 * membership is decided on a copy of the workload without that container.
 */
function injectionOf(graph: MeshGraph, w: Workload, index: number): Membership {
  const strip = (node: unknown, depth: number): unknown => {
    if (!isRecord(node)) return node;
    if (depth === w.templatePath.length) {
      const spec = isRecord(node.spec) ? node.spec : {};
      const containers = Array.isArray(spec.containers) ? spec.containers.filter((_, i) => i !== index) : [];
      return { ...node, spec: { ...spec, containers } };
    }
    const key = w.templatePath[depth] as string;
    return { ...node, [key]: strip(node[key], depth + 1) };
  };
  const object = { ...w.object, body: strip(w.object.body, 0) as MeshObject['body'] };
  return membershipOf({ ...w, object }, graph.get('Namespace', '', w.namespace), graph.meshConfig.ingressSelector);
}

/**
 * The IST0146/IST0147 check for one kind: a workload of `kind` whose `istio-proxy` container has
 * `image: auto` (filled in only by the injector) while the model says its pods get no injection.
 */
export function imageAutoRule(kind: 'Deployment' | 'Pod', id: string, istioCode: string, severity: 'warning' | 'error'): Rule {
  return {
    id,
    istioCode,
    severity,
    summary: `A ${kind} has an \`istio-proxy\` container with \`image: auto\` but its pods are not injected, so the image never resolves.`,
    docs: [
      `As \`istioctl analyze\` ${istioCode} (ImageAutoWithoutInjection${severity === 'error' ? 'Error' : 'Warning'}, injection.ImageAutoAnalyzer)`,
      `does, a ${kind} whose \`istio-proxy\` container has \`image: auto\` is reported when no Istio injection webhook`,
      'will process its pods: `auto` is replaced by the injector, so without injection the pod fails to pull the image.',
      "Injection is decided by meshproof's membership model (src/mesh/membership.ts) with the selectors of Istio's",
      'default injector: namespace `istio-injection` / `istio.io/rev`, pod label (or legacy annotation)',
      '`sidecar.istio.io/inject`, pods on the host network and the kube-system namespaces never injected; pods that',
      'get the gateway template (`inject.istio.io/templates: gateway`, or an `istio: ingressgateway` label) count as',
      'injected. A custom MutatingWebhookConfiguration namespaceSelector/objectSelector in the input is NOT read.',
      'Differences from Istio: when the Namespace object is not in the input the answer is unknown and nothing is',
      'reported (Istio matches its webhooks against empty labels); Istio reports every Pod with `image: auto` because a',
      'live Pod has already passed admission, while an offline Pod manifest has not, so it is judged like a Deployment.',
      'Fix: label the namespace `istio-injection=enabled` (or `istio.io/rev=<revision>`), or drop the `sidecar.istio.io/inject: "false"` opt-out.',
    ].join(' '),
    kinds: [kind, 'Namespace'],
    check(graph, ctx) {
      for (const w of graph.workloads.all) {
        if (w.kind !== kind) continue;
        const index = autoImageIndex(w);
        if (index < 0) continue;
        const m = injectionOf(graph, w, index);
        if (m.dataplane === 'sidecar' || m.dataplane === 'gateway' || m.dataplane === 'unknown') continue;
        ctx.report(w.object, `${kind} ${w.name} contains \`image: auto\` but does not match any Istio injection webhook selectors (${m.reason}): the image is never filled in. Enable injection for its pods or set a real proxy image`,
          { path: [...w.templatePath, 'spec', 'containers', index, 'image'] });
      }
    },
  };
}
