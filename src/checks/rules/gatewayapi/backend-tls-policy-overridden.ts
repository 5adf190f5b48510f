import { backendTlsOf, isBackendPolicyDestinationRule } from '../../../mesh/gateway-api-backend-tls.js';
import type { MergedDestinationRule } from '../../../mesh/destination-rules.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';

type Raw = Readonly<Record<string, unknown>>;

/** The TLS settings a merged rule gives `port` (port-level first, as istiod's `selectTrafficPolicyComponents`), and the rule they come from. */
function effectiveTls(rule: MergedDestinationRule | null, port: number): Raw | undefined {
  const tp = rule?.trafficPolicy?.value;
  if (!tp) return undefined;
  const level = (Array.isArray(tp.portLevelSettings) ? tp.portLevelSettings : []).find((p) => isRecord(p) && isRecord(p.port) && p.port.number === port);
  if (isRecord(level)) return isRecord(level.tls) ? level.tls : undefined;
  return isRecord(tp.tls) ? tp.tls : undefined;
}

/**
 * The user's DestinationRule whose TLS settings a client uses for `port` instead of the policy's: one that sets
 * `tls` there (port-level for the port, else top-level), or, when the client's rule hides the generated one
 * (another namespace), that rule whatever it sets. Undefined when the policy lost to another policy (an older
 * port-level one), which `backend-tls-policy-conflicted` does not judge and is not a user's rule to drop.
 */
function userRuleOf(rule: MergedDestinationRule, port: number): MeshObject | undefined {
  const users = rule.rules.filter((r) => !isBackendPolicyDestinationRule(r));
  if (users.length === rule.rules.length) return users[0];
  return users.find((r) => {
    const tp = isRecord(r.spec.trafficPolicy) ? r.spec.trafficPolicy : {};
    const level = (Array.isArray(tp.portLevelSettings) ? tp.portLevelSettings : []).find((p) => isRecord(p) && isRecord(p.port) && p.port.number === port);
    return isRecord(level) ? isRecord(level.tls) : isRecord(tp.tls);
  });
}

/**
 * `gatewayapi/backend-tls-policy-overridden`: a BackendTLSPolicy whose TLS settings clients never use, because a
 * user's DestinationRule for the host sets TLS (user fields win) or shadows the generated rule from another namespace.
 */
const backendTlsPolicyOverridden: Rule = {
  id: 'gatewayapi/backend-tls-policy-overridden',
  severity: 'warning',
  summary: 'A BackendTLSPolicy whose TLS a DestinationRule overrides for the clients of the input: a rule of the policy\'s namespace that sets tls (the user\'s fields win the merge), or a rule in a client\'s namespace or the root namespace for the host, which istiod takes instead.',
  docs: [
    'istiod generates a DestinationRule in the policy\'s namespace from a BackendTLSPolicy and merges it with the',
    'user\'s rules for the same host there: the user\'s fields win and the policy only fills what they leave unset',
    '(pilot/pkg/model/destination_rule.go `mergeBackendPolicyTrafficPolicy`), so a user rule with `trafficPolicy.tls`',
    '(say ISTIO_MUTUAL, or DISABLE) replaces the policy\'s TLS. And a client uses the rules of its own namespace first,',
    'then the service\'s, then the root namespace\'s (`PushContext.destinationRule`): a rule for the host in the',
    'client\'s namespace hides the generated one entirely, and so does a rule of the policy\'s namespace with an exportTo of',
    'its own: the generated rule has none, and istiod merges only rules whose exportTo sets are equal',
    '(`ENABLE_ENHANCED_DESTINATIONRULE_MERGE`), so clients that see both take the user\'s. Reported per policy target and port, with the namespaces',
    'whose sidecars and gateways get other TLS settings than the policy\'s. Fix: move the TLS settings into one place:',
    'drop `tls` from the DestinationRule (keep its other fields) or the BackendTLSPolicy, or scope the client-side rule',
    'with exportTo.',
  ].join(' '),
  kinds: ['BackendTLSPolicy', 'DestinationRule', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    const model = backendTlsOf(graph);
    if (model.policies.length === 0) return;
    const policyTls = new Set<Raw>(model.policies.map((v) => v.tls));
    const clientNamespaces = [...new Set(graph.workloads.all.map((w) => w.namespace))].sort();
    for (const view of model.policies) {
      view.targets.forEach((t, i) => {
        if (t.status !== 'applied') return;
        const ref = Array.isArray(view.policy.spec.targetRefs) ? view.policy.spec.targetRefs[i] : undefined;
        const section = isRecord(ref) && typeof ref.sectionName === 'string' ? ref.sectionName : '';
        const ports = (Array.isArray(t.target.spec.ports) ? t.target.spec.ports : []).filter(isRecord)
          .filter((p) => section === '' || p.name === section)
          .map((p) => (typeof p.port === 'number' ? p.port : typeof p.number === 'number' ? p.number : 0));
        for (const host of t.hosts) {
          for (const port of ports) {
            const where = new Map<string, MeshObject>();
            for (const ns of clientNamespaces) {
              const rule = graph.destinationRuleForResolved(host, ns);
              const tls = effectiveTls(rule, port);
              // The policy's own settings, or another policy's (an older one for this port: not a user's rule to drop).
              if (tls === view.tls || (tls !== undefined && policyTls.has(tls))) continue;
              const user = rule ? userRuleOf(rule, port) : undefined;
              if (user) where.set(ns, user);
            }
            if (where.size === 0) continue;
            const rules = [...new Set(where.values())];
            const names = rules.slice(0, 3).map((r) => `${r.namespace}/${r.name}`).join(', ') + (rules.length > 3 ? `, and ${rules.length - 3} more` : '');
            const namespaces = [...where.keys()];
            ctx.report(view.policy, `spec.targetRefs[${i}]: clients in ${namespaces.length === clientNamespaces.length ? 'every namespace' : `namespace${namespaces.length > 1 ? 's' : ''} ${namespaces.slice(0, 5).join(', ')}${namespaces.length > 5 ? ', …' : ''}`} ` +
              `use the TLS settings of DestinationRule ${names} for ${host}:${port}, not this policy's (a user's rule that sets tls wins the merge with the rule istiod generates; a rule in the client's namespace, or one with an exportTo of its own, which istiod keeps apart from the generated rule (no exportTo), hides it whatever it sets); ` +
              'drop tls from that DestinationRule (or move it out of the client\'s namespace), or drop this policy', { path: ['spec', 'targetRefs', i] });
          }
        }
      });
    }
  },
};

export default backendTlsPolicyOverridden;
