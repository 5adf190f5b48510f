import { backendTlsOf } from '../../../mesh/gateway-api-backend-tls.js';
import type { Rule } from '../../rule.js';

/**
 * `gatewayapi/backend-tls-policy-target-not-found`: a BackendTLSPolicy `targetRefs` entry istiod cannot apply
 * (not a Service or ServiceEntry, not in the input, or a sectionName the target has no port of).
 */
const backendTlsPolicyTargetNotFound: Rule = {
  id: 'gatewayapi/backend-tls-policy-target-not-found',
  severity: 'error',
  summary: 'A BackendTLSPolicy targetRefs entry names no Service or ServiceEntry of the policy\'s namespace, or a sectionName that is no port name of it, so istiod applies it nowhere and clients keep sending plaintext (or mesh mTLS) to that backend.',
  docs: [
    'istiod turns each BackendTLSPolicy target into a DestinationRule for the target\'s host that originates TLS',
    '(backend_policies.go `BackendTLSPolicyCollection`). A target it cannot resolve (a kind other than a core Service or',
    'a `networking.istio.io` ServiceEntry, an object not in the policy\'s namespace, or a `sectionName` that is not the',
    'name of one of its ports) gets status Accepted False (TargetNotFound) and no DestinationRule: the backend that',
    'expects TLS receives plaintext, and requests fail with a reset or a TLS error at the backend. Targets are',
    'always in the policy\'s own namespace (a LocalPolicyTargetReference). Fix: name the Service (group "") or the',
    'ServiceEntry (group networking.istio.io) as written in the policy\'s namespace, and a `sectionName` that is one of',
    'its port names, or drop the sectionName to cover every port.',
  ].join(' '),
  kinds: ['BackendTLSPolicy', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const view of backendTlsOf(graph).policies) {
      view.targets.forEach((t, i) => {
        if (t.status !== 'not-found') return;
        ctx.report(view.policy, `spec.targetRefs[${i}] applies nowhere: ${t.reason}; istiod sets Accepted False (TargetNotFound) and generates no DestinationRule, ` +
          'so clients send that backend plaintext instead of TLS; name a Service or ServiceEntry of this namespace (and a sectionName that is one of its port names)',
        { path: ['spec', 'targetRefs', i] });
      });
    }
  },
};

export default backendTlsPolicyTargetNotFound;
