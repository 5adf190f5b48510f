import type { Rule } from '../../rule.js';
import { gatewaysOf } from './_helpers.js';

/** `gateway/selector-matches-no-workload` (IST0101): a Gateway's selector selects no gateway pods. */
const gatewaySelectorMatchesNoWorkload: Rule = {
  id: 'gateway/selector-matches-no-workload',
  istioCode: 'IST0101',
  severity: 'error',
  summary: 'A Gateway selector matches no workload in the input, so no proxy serves its servers.',
  docs: [
    'Istio programs a Gateway only into the gateway proxies whose pod labels match `spec.selector`; by default',
    'the selector matches pods in every namespace. When nothing matches, the Gateway configures nothing and every',
    'VirtualService bound to it is unreachable. Fix the labels (the default ingress is `istio: ingressgateway`),',
    'or add the gateway Deployment to the input. Input without any workload (Istio config checked on its own) is',
    'skipped, since nothing could match. Mirrors `istioctl analyze` IST0101 (ReferencedResourceNotFound, selector).',
  ].join(' '),
  kinds: ['Gateway', 'Deployment', 'Rollout', 'Pod'],
  check(graph, ctx) {
    if (graph.workloads.inInput.length === 0) return;
    for (const g of gatewaysOf(graph)) {
      if (g.workloads.length > 0) continue;
      const hasSelector = g.gateway.spec.selector !== undefined;
      // The usual cause of Istio's default selector matching nothing: the gateway Deployment is the
      // platform team's and lives in another repository (or was not passed in).
      const fix = g.selectorText === 'istio=ingressgateway'
        ? 'the gateway Deployment (labelled istio: ingressgateway) is not in the input: add its manifests, or pass them as context (`context:` in meshproof.config.yaml, or --context <dir>) when the platform team owns it'
        : 'set spec.selector to the labels of the gateway pods (e.g. istio: ingressgateway), or add the gateway Deployment (or pass its manifests as context: `context:` in meshproof.config.yaml, --context <dir>)';
      ctx.report(
        g.gateway,
        `Referenced selector not found: "${g.selectorText}" matches no workload in any namespace; ${fix}`,
        { path: hasSelector ? ['spec', 'selector'] : ['spec'] },
      );
    }
  },
};

export default gatewaySelectorMatchesNoWorkload;
