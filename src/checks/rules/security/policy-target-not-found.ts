import { gatewayApiOf, GATEWAY_API_GROUP } from '../../../mesh/gateway-api.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import { closest, editDistance } from '../../config/did-you-mean.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

/** Policy kinds that attach by `targetRef` / `targetRefs` (istio/api type.v1beta1.PolicyTargetReference). */
const POLICY_KINDS = ['AuthorizationPolicy', 'RequestAuthentication', 'Telemetry', 'WasmPlugin'] as const;

/** Target kinds looked up in the input, by `group/kind`. */
const TARGETS: Readonly<Record<string, { readonly kind: string; readonly gatewayApi: boolean }>> = {
  [`${GATEWAY_API_GROUP}/Gateway`]: { kind: 'Gateway', gatewayApi: true },
  '/Service': { kind: 'Service', gatewayApi: false },
  'core/Service': { kind: 'Service', gatewayApi: false },
  'networking.istio.io/ServiceEntry': { kind: 'ServiceEntry', gatewayApi: false },
};

interface TargetRef { readonly group: string; readonly kind: string; readonly name: string; readonly path: FieldPath }

function targetRefsOf(o: MeshObject): TargetRef[] {
  const one = isRecord(o.spec.targetRef) ? [[o.spec.targetRef, ['spec', 'targetRef']] as const] : [];
  const many = (Array.isArray(o.spec.targetRefs) ? o.spec.targetRefs : []).map((r, i) => [r, ['spec', 'targetRefs', i]] as const);
  return [...one, ...many].flatMap(([r, path]) => (isRecord(r) && typeof r.name === 'string' && typeof r.kind === 'string'
    ? [{ group: typeof r.group === 'string' ? r.group : '', kind: r.kind, name: r.name, path: [...path] }] : []));
}

/**
 * `security/policy-target-not-found`: a policy's `targetRef(s)` names a Gateway, Service or ServiceEntry of
 * its namespace that is not in the input, so the policy attaches to nothing.
 */
const policyTargetNotFound: Rule = {
  id: 'security/policy-target-not-found',
  severity: 'warning',
  summary: 'An AuthorizationPolicy, RequestAuthentication, Telemetry or WasmPlugin attaches by targetRef(s) to a Gateway, Service or ServiceEntry of its namespace that does not exist, so it applies to nothing.',
  docs: [
    'A policy with `targetRef` / `targetRefs` (istio/api PolicyTargetReference) applies only to what it names, in its own',
    'namespace: a Gateway API Gateway (group gateway.networking.k8s.io; its deployed pods), a Service (group "", for',
    'waypoints) or a ServiceEntry (networking.istio.io). istiod matches the reference by name',
    '(pilot/pkg/model/policyattachment.go), so a misspelt or missing target leaves the policy attached to nothing: an',
    'ALLOW or DENY list that protects nothing, a JWT rule that checks nothing. Reported when the input holds objects of',
    'the target\'s kind (so a target kept in another repository is not reported as missing), with the nearest name',
    'of that kind in the namespace. Fix: name an existing target, or create it.',
  ].join(' '),
  kinds: [...POLICY_KINDS, 'Gateway', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const kind of POLICY_KINDS) {
      for (const policy of graph.ofKind(kind)) {
        for (const ref of targetRefsOf(policy)) {
          const target = TARGETS[`${ref.group}/${ref.kind}`];
          if (!target) continue;
          const all = target.gatewayApi ? gatewayApiOf(graph).ofKind(target.kind) : graph.ofKind(target.kind);
          if (all.length === 0 || all.some((o) => o.namespace === policy.namespace && o.name === ref.name)) continue;
          ctx.report(policy, `${ref.path.join('.').replace(/\.(\d+)/g, '[$1]')} names ${target.kind} ${policy.namespace}/${ref.name}, which does not exist: istiod attaches the ${kind} ` +
            `to nothing, so it ${effect(kind)}${nearest(all, policy.namespace, ref.name)}`, { path: ref.path });
        }
      }
    }
  },
};

function effect(kind: string): string {
  if (kind === 'AuthorizationPolicy') return 'neither allows nor denies any request';
  if (kind === 'RequestAuthentication') return 'validates no JWT';
  return 'changes nothing';
}

/** `; did you mean "public"?` for a same-namespace object of the kind whose name is close; else the fix. */
function nearest(all: readonly MeshObject[], namespace: string, name: string): string {
  const local = all.filter((o) => o.namespace === namespace).map((o) => o.name);
  const best = closest(name, local);
  if (best !== undefined && editDistance(best, name) <= Math.max(2, Math.floor(name.length / 3))) return `; did you mean "${best}"?`;
  return local.length > 0 ? `; the namespace has ${local.map((n) => `"${n}"`).join(', ')}: fix the name` : '; fix the name, or create the target';
}

export default policyTargetNotFound;
