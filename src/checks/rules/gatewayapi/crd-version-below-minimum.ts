import type { Rule } from '../../rule.js';
import { BUNDLE_VERSION_ANNOTATION, MINIMUM_CRD_VERSIONS, formatBundleVersion, parseBundleVersion, releaseBelow } from './_bundle-version.js';

/**
 * `gatewayapi/crd-version-below-minimum` (IST0176): a Gateway API CustomResourceDefinition whose
 * bundle version is older than the one istiod needs. Mirrors Istio's `k8sgateway.CRDVersionAnalyzer`
 * (`pkg/config/analysis/analyzers/k8sgateway/crdversion.go`).
 */
const crdVersionBelowMinimum: Rule = {
  id: 'gatewayapi/crd-version-below-minimum',
  istioCode: 'IST0176',
  severity: 'warning',
  summary: 'A Gateway API CRD is installed at a bundle version below the minimum istiod processes, so every resource of that kind is ignored.',
  docs: [
    'istiod\'s CRD watcher skips a Gateway API CustomResourceDefinition whose `gateway.networking.k8s.io/bundle-version`',
    'annotation is below the version this Istio needs (GRPCRoute 1.1.0, BackendTLSPolicy 1.4.0, TLSRoute 1.5.0,',
    'TCPRoute 1.6.0): the resources of that kind are then never read, so, for example, a TLS passthrough Gateway',
    'reports `attachedRoutes: 0` and programs no listener. As in `istioctl analyze` IST0176',
    '(GatewayAPICRDVersionBelowMinimum), the annotation is read as semver (a `v` prefix, missing minor or patch',
    'allowed; a pre-release counts as its release, so `1.5.0-rc.1` satisfies 1.5.0); a CRD without the annotation or',
    'with a value that is not a version is not judged. Fix: install the Gateway API CRDs of the required release or',
    'later (e.g. `kubectl apply -f .../gateway-api/releases/download/v1.6.0/experimental-install.yaml`).',
  ].join(' '),
  kinds: ['CustomResourceDefinition'],
  check(graph, ctx) {
    for (const crd of graph.ofKind('CustomResourceDefinition')) {
      const minimum = MINIMUM_CRD_VERSIONS.get(crd.name);
      const text = crd.annotations[BUNDLE_VERSION_ANNOTATION];
      if (minimum === undefined || text === undefined) continue;
      const installed = parseBundleVersion(text);
      if (installed === undefined || !releaseBelow(installed, minimum)) continue;
      const [have, need] = [formatBundleVersion(installed), formatBundleVersion(minimum)];
      ctx.report(crd, `Gateway API CRD "${crd.name}" is at version "${have}" but Istio requires at least "${need}"; ` +
        `istiod does not watch it, so no resource of this kind is processed: install the Gateway API CRDs of release v${need} or later`,
        { path: ['metadata', 'annotations', BUNDLE_VERSION_ANNOTATION] });
    }
  },
};

export default crdVersionBelowMinimum;
