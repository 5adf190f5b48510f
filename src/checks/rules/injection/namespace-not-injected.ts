import type { Rule } from '../../rule.js';
import { unlabelledNamespaces } from './_unlabelled-namespaces.js';

/** `injection/namespace-not-injected` (IST0102): a Namespace with no injection label. */
const namespaceNotInjected: Rule = {
  id: 'injection/namespace-not-injected',
  istioCode: 'IST0102',
  severity: 'info',
  summary: 'A Namespace has neither `istio-injection` nor `istio.io/rev` (nor ambient mode), so its pods get no sidecar.',
  docs: [
    'As `istioctl analyze` IST0102 (NamespaceNotInjected) does, every Namespace object except `istio-system` without',
    'an `istio-injection` label (or with an empty one) and without `istio.io/rev`, and not labelled',
    '`istio.io/dataplane-mode: ambient`, is reported: its workloads run outside the mesh (no mTLS, no routing, no',
    'policy). When the input holds the injector ConfigMap `istio-sidecar-injector` with `enableNamespacesByDefault:',
    'true`, the namespace is injected anyway: that is `injection/namespace-injection-enabled-by-default` (IST0148)',
    'instead. Fix: label the namespace `istio-injection=enabled` (or `istio.io/rev=<revision>`), or',
    '`istio-injection=disabled` for a namespace meant to stay outside the mesh.',
  ].join(' '),
  kinds: ['Namespace', 'ConfigMap'],
  check(graph, ctx) {
    for (const { namespace: ns, injectedByDefault } of unlabelledNamespaces(graph)) {
      if (injectedByDefault) continue;
      ctx.report(ns, `The namespace is not enabled for Istio injection: its pods get no sidecar. Run 'kubectl label namespace ${ns.name} istio-injection=enabled' (or set istio.io/rev) to add it to the mesh, or 'kubectl label namespace ${ns.name} istio-injection=disabled' to mark it as not needing injection`, { path: ['metadata', 'name'] });
    }
  },
};

export default namespaceNotInjected;
