import type { Rule } from '../../rule.js';

/** Data of the `istio-sidecar-injector[-<rev>]` ConfigMap: whether it injects namespaces without a label. */
function enablesNamespacesByDefault(values: unknown): boolean {
  if (typeof values !== 'string') return false;
  try {
    const v = JSON.parse(values) as { sidecarInjectorWebhook?: { enableNamespacesByDefault?: unknown } };
    return v.sidecarInjectorWebhook?.enableNamespacesByDefault === true;
  } catch {
    return false;
  }
}

/** `injection/namespace-not-injected` (IST0102, IST0148): a Namespace with no injection label. */
const namespaceNotInjected: Rule = {
  id: 'injection/namespace-not-injected',
  istioCode: 'IST0102',
  severity: 'info',
  summary: 'A Namespace has neither `istio-injection` nor `istio.io/rev` (nor ambient mode), so its pods get no sidecar.',
  docs: [
    'As `istioctl analyze` IST0102 (NamespaceNotInjected) does, every Namespace object except `istio-system` without',
    'an `istio-injection` or `istio.io/rev` label, and not labelled `istio.io/dataplane-mode: ambient`, is reported:',
    'its workloads run outside the mesh (no mTLS, no routing, no policy). When the input holds the injector ConfigMap',
    '(`istio-sidecar-injector[-<rev>]`) with `enableNamespacesByDefault: true`, the namespace is injected anyway and',
    'the message says so (IST0148 NamespaceInjectionEnabledByDefault). Fix: label the namespace',
    '`istio-injection=enabled` (or `istio.io/rev=<revision>`), or suppress the finding for namespaces meant to stay',
    'outside the mesh.',
  ].join(' '),
  kinds: ['Namespace', 'ConfigMap'],
  check(graph, ctx) {
    for (const ns of graph.ofKind('Namespace')) {
      if (ns.name === 'istio-system') continue;
      const labels = ns.labels;
      if (labels['istio.io/dataplane-mode'] === 'ambient') continue;
      if (labels['istio-injection'] !== undefined || labels['istio.io/rev'] !== undefined) continue;
      const injector = graph.ofKind('ConfigMap').find((c) => c.name === 'istio-sidecar-injector' && c.namespace === graph.rootNamespace);
      const data = injector?.body.data as Record<string, unknown> | undefined;
      if (enablesNamespacesByDefault(data?.values)) {
        ctx.report(ns, `The namespace is not explicitly labelled for injection but the injector enables namespaces by default (IST0148); label it istio-injection=enabled to make that explicit`, { path: ['metadata', 'name'] });
        continue;
      }
      ctx.report(ns, `The namespace is not enabled for Istio injection: its pods get no sidecar. Run 'kubectl label namespace ${ns.name} istio-injection=enabled' (or set istio.io/rev) to add it to the mesh`, { path: ['metadata', 'name'] });
    }
  },
};

export default namespaceNotInjected;
