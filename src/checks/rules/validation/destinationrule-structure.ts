import { isRecord } from '../../../mesh/object.js';
import { formatPath } from '../../../mesh/parse.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

const POLICY_FIELDS = ['outlierDetection', 'connectionPool', 'loadBalancer', 'tls', 'portLevelSettings', 'tunnel', 'proxyProtocol', 'retryBudget'];
const PORT_POLICY_FIELDS = ['outlierDetection', 'connectionPool', 'loadBalancer', 'tls'];

/** `validation/destinationrule-structure` (IST0106): traffic policies Istio's ValidateDestinationRule refuses beyond the CRD schema. */
const destinationRuleStructure: Rule = {
  id: 'validation/destinationrule-structure',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A DestinationRule traffic policy that Istio\'s admission webhook refuses: an empty trafficPolicy, or a portLevelSettings entry without port or without any setting.',
  docs: [
    'Istio\'s `validateTrafficPolicy` and `validatePortTrafficPolicies` (pkg/config/validation, run on admission for',
    'the top-level `trafficPolicy` and each subset\'s) refuse what the CRD schema lets through: a `trafficPolicy` with',
    'no field set ("traffic policy must have at least one field"), a `portLevelSettings` entry without `port`',
    '("portTrafficPolicy must have valid port": without it the settings apply to no port), and an entry that sets',
    'none of `outlierDetection`, `connectionPool`, `loadBalancer`, `tls` ("port traffic policy must have at least one',
    'field"). `kubectl apply` fails with the webhook\'s message and `istioctl analyze` reports IST0106. Fix: set',
    '`port: {number: <service port>}` on every port-level entry and give it a setting, or remove the empty policy.',
  ].join(' '),
  kinds: ['DestinationRule'],
  check(graph, ctx) {
    for (const dr of graph.ofKind('DestinationRule')) {
      const policies: { policy: unknown; path: FieldPath }[] = [{ policy: dr.spec.trafficPolicy, path: ['spec', 'trafficPolicy'] }];
      (Array.isArray(dr.spec.subsets) ? dr.spec.subsets : []).forEach((s, i) => {
        if (isRecord(s)) policies.push({ policy: s.trafficPolicy, path: ['spec', 'subsets', i, 'trafficPolicy'] });
      });
      for (const { policy, path } of policies) {
        if (!isRecord(policy)) continue;
        if (!POLICY_FIELDS.some((k) => policy[k] !== undefined && policy[k] !== null)) {
          ctx.report(dr, `traffic policy must have at least one field: ${formatPath(path)} is empty; set a policy or remove it`, { path });
          continue;
        }
        (Array.isArray(policy.portLevelSettings) ? policy.portLevelSettings : []).forEach((p, i) => {
          const at: FieldPath = [...path, 'portLevelSettings', i];
          if (!isRecord(p)) return;
          if (!isRecord(p.port)) {
            ctx.report(dr, `portTrafficPolicy must have valid port: ${formatPath(at)} has no port, so its settings apply to no port; add port: {number: <service port>}`, { path: at });
          }
          if (!PORT_POLICY_FIELDS.some((k) => p[k] !== undefined && p[k] !== null)) {
            ctx.report(dr, `port traffic policy must have at least one field: ${formatPath(at)} sets none of ${PORT_POLICY_FIELDS.join(', ')}; add one or remove the entry`, { path: at });
          }
        });
      }
    }
  },
};

export default destinationRuleStructure;
