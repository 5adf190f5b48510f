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
  summary: 'An AuthorizationPolicy, RequestAuthentication, Telemetry or WasmPlugin attaches by targetRef(s) to a Gateway, Service or ServiceEntry of its namespace that does not exist, to a Service or ServiceEntry no waypoint serves, or to a GatewayClass other than istio-waypoint in the root namespace, so it applies to nothing.',
  docs: [
    'A policy with `targetRef` / `targetRefs` (istio/api PolicyTargetReference) applies only to what it names, in its own',
    'namespace: a Gateway API Gateway (group gateway.networking.k8s.io; its deployed pods), a Service (group "", for',
    'waypoints) or a ServiceEntry (networking.istio.io). istiod matches the reference by name',
    '(pilot/pkg/model/policyattachment.go), so a misspelt or missing target leaves the policy attached to nothing: an',
    'ALLOW or DENY list that protects nothing, a JWT rule that checks nothing. Reported when the input holds objects of',
    'the target\'s kind (so a target kept in another repository is not reported as missing), with the nearest name',
    'of that kind in the namespace. A Service or ServiceEntry target binds only on the waypoint serving it: sidecars and',
    'gateways ignore policies with targetRefs (ShouldAttachPolicy), so a target that neither it nor its namespace enrolls',
    'in a waypoint (label istio.io/use-waypoint) leaves the policy attached to nothing (judged when its namespace is in',
    'the input). A GatewayClass target binds only to waypoints of class istio-waypoint, and only from the root',
    'namespace (istiod\'s waypoint policy status: "must be in the root namespace when referencing a GatewayClass").',
    'Fix: name an existing target, or create it; enroll the Service in a waypoint, or attach with a selector; put',
    'GatewayClass policies in the root namespace, naming istio-waypoint.',
  ].join(' '),
  kinds: [...POLICY_KINDS, 'Gateway', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const kind of POLICY_KINDS) {
      for (const policy of graph.ofKind(kind)) {
        for (const ref of targetRefsOf(policy)) {
          if (ref.group === GATEWAY_API_GROUP && ref.kind === 'GatewayClass') {
            const why = gatewayClassUnbound(ref, policy, kind, graph.rootNamespace);
            if (why) ctx.report(policy, `${where(ref)} names GatewayClass ${ref.name}, but ${why}`, { path: ref.path });
            continue;
          }
          const target = TARGETS[`${ref.group}/${ref.kind}`];
          if (!target) continue;
          const all = target.gatewayApi ? gatewayApiOf(graph).ofKind(target.kind) : graph.ofKind(target.kind);
          const found = all.find((o) => o.namespace === policy.namespace && o.name === ref.name);
          if (found && !target.gatewayApi) {
            const unbound = withoutWaypoint(found, graph.ofKind('Namespace').find((n) => n.name === found.namespace));
            if (unbound) {
              ctx.report(policy, `${where(ref)} names ${target.kind} ${found.namespace}/${found.name}, which no waypoint serves (${unbound}): istiod binds a ` +
                `policy to a ${target.kind} only on the waypoint serving it (a sidecar ignores policies with targetRefs), so it ${effect(kind)}; ` +
                `enroll the ${target.kind} in a waypoint (label istio.io/use-waypoint), or attach to the workloads with a selector`, { path: ref.path });
            }
            continue;
          }
          if (all.length === 0 || found) continue;
          ctx.report(policy, `${where(ref)} names ${target.kind} ${policy.namespace}/${ref.name}, which does not exist: istiod attaches the ${kind} ` +
            `to nothing, so it ${effect(kind)}${nearest(all, policy.namespace, ref.name)}`, { path: ref.path });
        }
      }
    }
  },
};

/** The waypoint GatewayClass, the only one istiod binds policies to (constants.WaypointGatewayClassName). */
const WAYPOINT_CLASS = 'istio-waypoint';
const USE_WAYPOINT = 'istio.io/use-waypoint';

/** Why a GatewayClass reference binds nothing (policyattachment.go ShouldAttachPolicy), or undefined when it binds. */
function gatewayClassUnbound(ref: TargetRef, policy: MeshObject, kind: string, rootNamespace: string): string | undefined {
  const verdict = `it ${effect(kind)}`;
  if (policy.namespace !== rootNamespace) {
    return `istiod binds a policy to a GatewayClass only from the root namespace (${rootNamespace}): from ${policy.namespace} it attaches to ` +
      `nothing, so ${verdict}; move the ${kind} to ${rootNamespace}, or target the Gateways of namespace ${policy.namespace} by kind Gateway`;
  }
  if (ref.name !== WAYPOINT_CLASS) {
    return `istiod binds GatewayClass targets only to the waypoints of class ${WAYPOINT_CLASS}: it attaches to nothing, so ${verdict}; ` +
      'target each Gateway by kind Gateway in its own namespace';
  }
  return undefined;
}

/**
 * Why a Service or ServiceEntry is served by no waypoint: neither it nor its namespace carries
 * istio.io/use-waypoint (or it opts out with "none"). Undefined when it is, or when the namespace is not in the input.
 */
function withoutWaypoint(target: MeshObject, namespace: MeshObject | undefined): string | undefined {
  const own = target.labels[USE_WAYPOINT];
  if (own === 'none') return `it is labelled ${USE_WAYPOINT}: none`;
  if (own !== undefined || namespace === undefined) return undefined;
  const inherited = namespace.labels[USE_WAYPOINT];
  if (inherited !== undefined && inherited !== 'none') return undefined;
  return `neither it nor namespace ${target.namespace} is labelled ${USE_WAYPOINT}`;
}

const where = (ref: TargetRef) => ref.path.join('.').replace(/\.(\d+)/g, '[$1]');

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
