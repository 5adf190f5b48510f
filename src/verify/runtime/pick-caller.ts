/**
 * Which workload a routing proof sends from, and which identity that caller holds. Shared by the
 * embedded runtime (`mesh.ts`), the runtime synthesized for a cluster (`src/runtime/plan.ts`, one
 * caller proxy per pick) and `verify --runtime` (`src/verify/external/`), so all three send the same
 * request from the same place.
 */
import type { MeshGraph, Workload } from '../../mesh/graph.js';
import { inboundPortIsTcp, proxyOf } from '../../mesh/view/index.js';
import { evaluateAuthorization, refusesEveryRequest } from '../static/authz.js';

/** A caller: the sidecar workload whose per-proxy view routes, and the identity (`namespace`/`serviceAccount`) it holds. */
export interface PickedCaller {
  readonly workload: Workload;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/**
 * The sidecar workload of `namespace` to send from, and the identity it holds: its own when the
 * destination's AuthorizationPolicies admit it, else the first mesh identity (any namespace,
 * gateways included) they admit, so that a routing proof is not answered 403 by default deny
 * (authorization has proofs of its own). "Admit" first means `GET /` on the port; failing that, any
 * request of the identity (bookinfo's reviews admits productpage only on `/reviews/*`), so the
 * caller is one the destination serves at all. Without a known destination, the namespace's first.
 * `undefined` when the namespace has no sidecar workload.
 */
export function pickCaller(graph: MeshGraph, namespace: string, host?: string, port?: number): PickedCaller | undefined {
  const mesh = graph.workloads.all.filter((x) => graph.membershipOf(x).dataplane !== 'none');
  const candidates = mesh.filter((x) => x.namespace === namespace && graph.membershipOf(x).dataplane === 'sidecar');
  if (candidates.length === 0) return undefined;
  const targets = host ? graph.services.forHost(host, namespace).flatMap((s) => (s.selector ? graph.workloadsSelectedBy(s.namespace, s.selector) : [])) : [];
  // Authorization sees the container (target) port, not the Service port the request names: any of them will do.
  const portsOf = (t: Workload) => [...new Set([...t.containerPorts.map((p) => p.containerPort), ...(port !== undefined ? [port] : [])])];
  // A TCP port's network RBAC drops ALLOW rules naming paths, methods or hosts (istiod's TCP rule handling).
  const tcp = (t: Workload, p: number) => inboundPortIsTcp(graph, proxyOf(graph, t), p);
  const admitsProbe = (c: Workload) => targets.every((t) => portsOf(t).some((p) => evaluateAuthorization(graph.authorizationPoliciesFor(t), {
    principal: graph.principalOf(c), trustDomains: graph.trustDomains, port: p, method: 'GET', path: '/', tcp: tcp(t, p),
  }).decision !== 'deny'));
  const admitsSome = (c: Workload) => targets.every((t) => portsOf(t).some((p) => refusesEveryRequest(graph.authorizationPoliciesFor(t), graph.principalOf(c), graph.trustDomains, p, undefined, tcp(t, p)) === null));
  const own = candidates.find(admitsProbe) ?? (mesh.some(admitsProbe) ? undefined : candidates.find(admitsSome));
  const borrowed = own ?? mesh.find(admitsProbe) ?? mesh.find(admitsSome) ?? candidates[0]!;
  const workload = own ?? candidates[0]!;
  return { workload, serviceAccount: borrowed.serviceAccount, namespace: borrowed.namespace };
}
