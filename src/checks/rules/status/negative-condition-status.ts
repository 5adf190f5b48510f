import { GATEWAY_API_GROUP, gatewayApiOf } from '../../../mesh/gateway-api.js';
import { readByIstioAnalysis } from '../../../mesh/analysis-versions.js';
import type { MeshObject } from '../../../mesh/object.js';
import { statusConditions, type ConditionShape, type StatusCondition } from '../../../mesh/status-conditions.js';
import type { Rule } from '../../rule.js';

/** A kind whose status Istio's ConditionAnalyzer reads: where its conditions are and which are negative. */
interface Watched {
  readonly shape: ConditionShape;
  /** An Istio proto status (IstioStatus, ServiceEntryStatus) rather than a Kubernetes one. */
  readonly istio: boolean;
  /** Condition type → the status that is negative. */
  readonly negative: Readonly<Record<string, string>>;
}

const WAYPOINT: Watched['negative'] = { 'istio.io/WaypointBound': 'False' };
const GATEWAY_API: Watched['negative'] = { Accepted: 'False', Programmed: 'False', ResolvedRefs: 'False' };

/** What a negative condition of each type means and what to look at. */
const HINT: Readonly<Record<string, string>> = {
  'istio.io/WaypointBound': 'the waypoint its istio.io/use-waypoint label names does not take it (missing waypoint, or one that does not serve this kind of traffic): fix the label or deploy the waypoint',
  ZtunnelAccepted: 'ztunnel cannot enforce (all of) the policy, typically L7 rules in an ambient namespace: attach it to a waypoint with targetRefs',
  WaypointAccepted: 'the waypoint does not enforce (all of) the policy: check its targetRefs and rules',
  Accepted: 'the controller did not accept the resource: fix what the reason names',
  Programmed: 'the controller could not program the data plane for it: fix what the reason names',
  ResolvedRefs: 'a reference (backend, certificate, parent) could not be resolved or is not permitted: create the target or a ReferenceGrant',
};

function watched(o: MeshObject): Watched | undefined {
  if (o.group === GATEWAY_API_GROUP) {
    if (o.kind === 'Gateway') return { shape: 'conditions', istio: false, negative: GATEWAY_API };
    if (o.kind === 'HTTPRoute' || o.kind === 'GRPCRoute') return { shape: 'parents', istio: false, negative: GATEWAY_API };
    return undefined;
  }
  if (o.kind === 'Service' && o.group === '') return { shape: 'conditions', istio: false, negative: WAYPOINT };
  if ((o.kind === 'ServiceEntry' || o.kind === 'WorkloadEntry') && o.group === 'networking.istio.io') return { shape: 'conditions', istio: true, negative: WAYPOINT };
  if (o.kind === 'AuthorizationPolicy' && o.group === 'security.istio.io') return { shape: 'conditions', istio: true, negative: { ZtunnelAccepted: 'False', WaypointAccepted: 'False' } };
  return undefined;
}

/** Whether Istio counts `c` as negative on `o` (AuthorizationPolicy's WaypointAccepted/PartiallyInvalid counts whatever its status). */
function isNegative(o: MeshObject, w: Watched, c: StatusCondition): boolean {
  if (Object.hasOwn(w.negative, c.type) && w.negative[c.type] === c.status) return true;
  return o.kind === 'AuthorizationPolicy' && c.type === 'WaypointAccepted' && c.reason === 'PartiallyInvalid';
}

/**
 * `status/negative-condition-status` (IST0171): a status condition that a controller set to its
 * negative value. Mirrors Istio's `conditions.ConditionAnalyzer` (analyzers/conditions/conditions.go).
 */
const negativeConditionStatus: Rule = {
  id: 'status/negative-condition-status',
  istioCode: 'IST0171',
  severity: 'warning',
  summary: 'A resource\'s status carries a negative condition (waypoint not bound, policy not accepted, Gateway API resource not accepted, programmed or resolved).',
  docs: [
    'Controllers record in `status.conditions` whether they took a resource: istiod sets `istio.io/WaypointBound` on',
    'Services, ServiceEntries and WorkloadEntries, `ZtunnelAccepted` / `WaypointAccepted` on AuthorizationPolicies, and',
    'Gateway API controllers set `Accepted`, `Programmed` and `ResolvedRefs` on Gateways and (per parent) HTTPRoutes and',
    'GRPCRoutes. As `istioctl analyze` IST0171 (NegativeConditionStatus), each of these with status exactly `"False"`',
    'is reported, and an AuthorizationPolicy\'s `WaypointAccepted` with reason `PartiallyInvalid` whatever its status.',
    'Manifests exported from a cluster (`kubectl get -o yaml`) carry status; an object whose status istioctl cannot',
    'decode (an unquoted `False`, a time that is not RFC 3339) is skipped by istioctl and reports nothing, and so is',
    'an apiVersion Istio does not read. Fix: what the condition\'s reason and message name.',
  ].join(' '),
  kinds: ['Service', 'ServiceEntry', 'WorkloadEntry', 'AuthorizationPolicy', 'Gateway', 'HTTPRoute', 'GRPCRoute'],
  check(graph, ctx) {
    const api = gatewayApiOf(graph);
    const objects = [
      ...graph.ofKind('Service'), ...graph.ofKind('ServiceEntry'), ...graph.ofKind('WorkloadEntry'), ...graph.ofKind('AuthorizationPolicy'),
      ...api.ofKind('Gateway'), ...api.ofKind('HTTPRoute'), ...api.ofKind('GRPCRoute'),
    ];
    for (const o of objects) {
      const w = watched(o);
      if (!w || !readByIstioAnalysis(o)) continue;
      const read = statusConditions(o, w.shape, w.istio);
      if (!('conditions' in read)) continue;
      for (const c of read.conditions) {
        if (!isNegative(o, w, c)) continue;
        const parent = c.path[1] === 'parents' ? ` for parent status.parents[${String(c.path[2])}]` : '';
        ctx.report(o, `status condition ${c.type} is ${JSON.stringify(c.status)}${parent} (reason ${JSON.stringify(c.reason)}, message ${JSON.stringify(c.message)}): ` +
          `${HINT[c.type] ?? 'fix what the reason names'}`, { path: c.path });
      }
    }
  },
};

export default negativeConditionStatus;
