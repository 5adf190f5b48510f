import type { Rule } from '../../rule.js';
import { unlabelledNamespaces } from './_unlabelled-namespaces.js';

/** `injection/namespace-injection-enabled-by-default` (IST0148): an unlabelled Namespace the injector injects anyway. */
const namespaceInjectionEnabledByDefault: Rule = {
  id: 'injection/namespace-injection-enabled-by-default',
  istioCode: 'IST0148',
  severity: 'info',
  summary: 'A Namespace has no injection label, but the injector ConfigMap enables namespaces by default, so its pods get a sidecar.',
  docs: [
    'With `sidecarInjectorWebhook.enableNamespacesByDefault: true` (the `values` of the `istio-sidecar-injector`',
    'ConfigMap) the injector also injects pods of namespaces that carry neither `istio-injection` nor `istio.io/rev`.',
    'Whether such a namespace is in the mesh then depends on an install option nobody sees in the namespace itself.',
    'Fix: label it `istio-injection=enabled` to make that explicit (or `istio-injection=disabled` to keep it out).',
    'Mirrors `istioctl analyze` IST0148 (NamespaceInjectionEnabledByDefault, `injection.Analyzer`): the namespaces',
    'are those `injection/namespace-not-injected` would report without that option.',
  ].join(' '),
  kinds: ['Namespace', 'ConfigMap'],
  check(graph, ctx) {
    for (const { namespace: ns, injectedByDefault } of unlabelledNamespaces(graph)) {
      if (!injectedByDefault) continue;
      ctx.report(ns, `The namespace ${ns.name} is enabled for Istio injection, as Istio is installed with enableNamespacesByDefault as true; label it istio-injection=enabled to make that explicit, or istio-injection=disabled to keep it out of the mesh`, { path: ['metadata', 'name'] });
    }
  },
};

export default namespaceInjectionEnabledByDefault;
