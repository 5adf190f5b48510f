import { backendTlsOf } from '../../../mesh/gateway-api-backend-tls.js';
import type { Rule } from '../../rule.js';

/** `gatewayapi/backend-tls-policy-conflicted`: a BackendTLSPolicy target an older policy already covers (`btlsIsConflicted`). */
const backendTlsPolicyConflicted: Rule = {
  id: 'gatewayapi/backend-tls-policy-conflicted',
  severity: 'warning',
  summary: 'Two BackendTLSPolicies name the same target and sectionName: the younger one (by creation timestamp, then name) is Conflicted there and istiod ignores it for that target.',
  docs: [
    'The Gateway API gives one BackendTLSPolicy per target and sectionName: the older by creation timestamp wins, then',
    'the name first in alphabetical order; the other gets Accepted False (Conflicted) for that target and istiod',
    'generates nothing from it there (`btlsIsConflicted`), so its hostname, subjectAltNames and CA are not used. Manifests',
    'without creation timestamps (as rendered for GitOps) tie on time, so the name decides. Fix: keep one policy per',
    'target and port: merge the two, or give each a distinct `sectionName`.',
  ].join(' '),
  kinds: ['BackendTLSPolicy', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const view of backendTlsOf(graph).policies) {
      view.targets.forEach((t, i) => {
        if (t.status !== 'conflicted') return;
        ctx.report(view.policy, `spec.targetRefs[${i}] is Conflicted: BackendTLSPolicy ${t.winner.namespace}/${t.winner.name} names the same target and sectionName and takes precedence ` +
          '(older creation timestamp, else first name in alphabetical order), so istiod ignores this policy there; merge the two policies or give each its own sectionName',
        { path: ['spec', 'targetRefs', i] });
      });
    }
  },
};

export default backendTlsPolicyConflicted;
