/**
 * Whether the destination of a routing promise serves its client: the route may reach the right
 * workload, but that workload's inbound sidecar answers 403 `RBAC: access denied` instead of the
 * app when its AuthorizationPolicies refuse the caller. The client is the one traffic uses: the
 * gateway's workload for a gateway route, the caller `pickCaller` picks for a mesh route (a mesh
 * identity the destination admits, when there is one).
 *
 * - `identity`: no request of that client is admitted on the port (an unconditional DENY, or ALLOW
 *   policies none of whose rules can match its principal / namespace): the route is dead for it, and
 *   a "reaches" promise is broken, unless
 * - `promised`: an authorization promise of the same run expects that refusal (`allowed: false` for
 *   that principal on that workload): both promises hold, the route reaching a sidecar that refuses
 *   the caller as promised;
 * - `request`: only the probe is refused (bookinfo's reviews admits productpage on `/reviews/*`, the
 *   probe is `GET /`): the route serves the client's other requests, and the 403 came from the
 *   destination's sidecar, so it still proves where routing went.
 */
import type { MeshGraph } from '../../mesh/graph.js';
import type { MeshObject } from '../../mesh/object.js';
import { selectorOf } from '../../mesh/policy.js';
import { selects } from '../../mesh/services.js';
import { originOf } from '../../mesh/view/origin.js';
import type { Workload } from '../../mesh/workloads.js';
import type { DestinationSpec, Expectation, RequestSpec } from '../expectations/types.js';
import { pickCaller } from '../runtime/pick-caller.js';
import { arrivalOf } from './arrival-port.js';
import { evaluateAuthorization, refusesEveryRequest, type AuthzRequest } from './authz.js';

/** The client a routing promise's requests come from, as traffic sends them. */
export interface RouteClient {
  readonly principal: string;
  /** `gateway istio-ingress/istio-ingressgateway`, `caller orders/checkout-v1`. */
  readonly who: string;
}

/** A refusal of the client by a destination workload's sidecar. */
export interface Refusal {
  readonly kind: 'identity' | 'request' | 'promised';
  readonly client: RouteClient;
  /** `namespace/name` of the refusing workload. */
  readonly workload: string;
  /** Container port the requests arrive on. */
  readonly port: number;
  /** One line: what refuses whom, where, and how to fix it (for `promised`: which promise expects it). */
  readonly message: string;
}

/** The client of requests sent `via`, or undefined when the input has none (no gateway workload, no sidecar in the namespace). */
export function routeClient(graph: MeshGraph, request: RequestSpec, port: number | undefined): RouteClient | undefined {
  const via = request.via;
  if (via.kind === 'gateway') {
    const [ns, name] = via.gateway.includes('/') ? via.gateway.split('/') : ['default', via.gateway];
    const gw = graph.get('Gateway', ns!, name!);
    const selector = gw && typeof gw.spec.selector === 'object' && gw.spec.selector !== null ? gw.spec.selector as Record<string, string> : {};
    const w = Object.keys(selector).length > 0 ? graph.workloads.all.find((x) => selects(selector, x.labels)) : undefined;
    return w ? { principal: graph.principalOf(w), who: `gateway ${w.namespace}/${w.name}` } : undefined;
  }
  const picked = pickCaller(graph, via.namespace, request.host, port);
  if (!picked) return undefined;
  const principal = `${graph.trustDomain}/ns/${picked.namespace}/sa/${picked.serviceAccount}`;
  const own = picked.namespace === picked.workload.namespace && picked.serviceAccount === picked.workload.serviceAccount;
  return { principal, who: `caller ${picked.workload.namespace}/${picked.workload.name}${own ? '' : ` (holding ${principal})`}` };
}

const policyName = (p: MeshObject) => `AuthorizationPolicy ${p.namespace}/${p.name}`;
/** `dist/orders.k8s.yaml:319; apps/orders/orders.ts:44`: where a policy's spec is, in the YAML and the TypeScript that made it. */
export function at(p: MeshObject): string {
  const o = originOf(p, ['spec']);
  return `${o.location.file}:${o.location.line}${o.source?.file !== undefined ? `; ${o.source.file}:${o.source.line ?? 1}` : ''}`;
}

/** `admits only cluster.local/ns/orders/sa/checkout`: whom an ALLOW policy's rules name. */
function admitted(p: MeshObject): string {
  const rules = Array.isArray(p.spec.rules) ? p.spec.rules as Record<string, unknown>[] : [];
  if (rules.length === 0) return 'has no rules, so it admits nothing';
  const names = new Set<string>();
  for (const r of rules) {
    for (const f of Array.isArray(r?.from) ? r.from as Record<string, unknown>[] : []) {
      const s = (f?.source ?? {}) as Record<string, unknown>;
      for (const v of Array.isArray(s.principals) ? s.principals : []) names.add(String(v));
      for (const v of Array.isArray(s.namespaces) ? s.namespaces : []) names.add(`namespace ${String(v)}`);
    }
  }
  return names.size > 0 ? `admits only ${[...names].join(', ')}` : 'admits no caller on this port';
}

/** The workloads (with a sidecar) a destination's requests land on, and the Service port they are sent to (the first, when the route names none). */
function podsOf(graph: MeshGraph, d: DestinationSpec & { subsetLabels?: Readonly<Record<string, string>> }, namespace: string, port: number | undefined): { pods: Workload[]; port: number | undefined } {
  const service = graph.services.forHost(d.host, namespace)[0];
  if (!service?.selector) return { pods: [], port };
  const pods = graph.workloads.selectedBy(service.namespace, { ...service.selector, ...d.subsetLabels })
    .filter((w) => graph.membershipOf(w).dataplane === 'sidecar');
  return { pods, port: port ?? service.ports[0]?.number };
}

/** An authorization promise expecting `principal` to be refused at `w`. */
function promisedRefusal(others: readonly Expectation[], principal: string, w: Workload): Expectation | undefined {
  return others.find((x) => x.outcome.kind === 'authorization' && !x.outcome.allowed && x.outcome.principal === principal
    && x.outcome.namespace === w.namespace && (x.outcome.selector === null || selects(x.outcome.selector, w.labels)));
}

/**
 * The refusal the promise's requests meet at `destination` (its pods, on `servicePort`), or null
 * when its sidecars admit the client (or no client, pod or policy decision is known).
 * @param others every promise of the run, for authorization promises that expect the refusal
 */
export function refusalAt(graph: MeshGraph, e: Expectation & { request: RequestSpec },
  destination: DestinationSpec & { subsetLabels?: Readonly<Record<string, string>> }, servicePort: number | undefined, others: readonly Expectation[],
  pathWithin?: AuthzRequest['pathWithin']): Refusal | null {
  const namespace = e.request.via.kind === 'mesh' ? e.request.via.namespace : (e.request.via.gateway.split('/')[0] ?? 'default');
  const { pods, port } = podsOf(graph, destination, namespace, servicePort);
  const client = routeClient(graph, e.request, port);
  if (!client) return null;
  const label = `${destination.host.split('.')[0]}${destination.subset !== undefined ? ` ${destination.subset}` : ''}`;
  for (const w of pods) {
    const arrival = port === undefined ? { port: w.containerPorts[0]?.containerPort ?? 80 } : arrivalOf(graph, w, port);
    if (!arrival) continue;
    const policies = graph.authorizationPoliciesFor(w);
    const probe = evaluateAuthorization(policies, { principal: client.principal, trustDomains: graph.trustDomains, port: arrival.port, method: e.request.method, path: e.request.path, host: e.request.host });
    if (probe.decision !== 'deny') continue;
    const workload = `${w.namespace}/${w.name}`;
    const base = { client, workload, port: arrival.port };
    const anyPath = refusesEveryRequest(policies, client.principal, graph.trustDomains, arrival.port);
    // Admitted on some paths, but none this route takes: as dead for this client as a refused identity.
    const every = anyPath ?? (pathWithin ? refusesEveryRequest(policies, client.principal, graph.trustDomains, arrival.port, pathWithin) : null);
    const onRoute = anyPath === null && every !== null ? ` this route sends it (${'exact' in pathWithin! ? `path ${pathWithin.exact}` : `paths under ${pathWithin!.prefix}`})` : '';
    if (every === null) {
      return {
        ...base, kind: 'request',
        message: `${workload}'s sidecar answers ${e.request.method} ${e.request.path} from ${client.principal} 403 (${probe.policy ? `${policyName(probe.policy)} (DENY, ${at(probe.policy)}) matches it` : allowsOf(policies).filter((p) => refusesEveryRequest([p], client.principal, graph.trustDomains, arrival.port) === null).map((p) => `${policyName(p)} (${at(p)}) admits this caller only ${onlyFor(p)}`).join('; ')}), so the refusal, not the app, answers this probe: the route still serves the caller's other requests`,
      };
    }
    const promised = promisedRefusal(others, client.principal, w);
    if (promised) {
      const src = promised.source.file !== undefined ? `${promised.source.file}:${promised.source.line ?? 1}` : promised.source.constructPath;
      return { ...base, kind: 'promised', message: `the route reaches ${label} (${workload}), whose sidecar refuses ${client.principal} with 403 as promised by "${promised.promise}" (${src})` };
    }
    const allows = allowsOf(policies);
    const why = every.policy
      ? `${policyName(every.policy)} (DENY, ${at(every.policy)}) matches every request from it`
      : allows.map((p, i) => `${i === 0 ? policyName(p) : `${p.namespace}/${p.name}`} (${at(p)}) ${onRoute && refusesEveryRequest([p], client.principal, graph.trustDomains, arrival.port) === null ? `admits it only ${onlyFor(p)}` : admitted(p)}`).join('; ');
    // The policy to extend: one selecting the workload with rules of its own, not a namespace's default deny.
    const extend = allows.find((p) => selectorOf(p) !== null && Array.isArray(p.spec.rules) && p.spec.rules.length > 0);
    const mesh = e.request.via.kind === 'mesh';
    const whom = mesh ? `the callers that should reach it (e.g. ${client.principal})` : client.principal;
    const fix = every.policy
      ? `narrow that DENY policy so it leaves ${client.principal} out, or route elsewhere`
      : `add an ALLOW rule for ${whom} on port ${arrival.port}${onRoute ? ' and the paths this route takes' : ''} ${extend ? `to ${extend.namespace}/${extend.name}` : `in a policy selecting ${workload}`}, or route elsewhere`;
    return {
      ...base, kind: 'identity',
      message: `the route goes to ${label} as promised, but its sidecar (${workload}, port ${arrival.port}) refuses every request${onRoute} from ${mesh ? 'every caller in the mesh (no workload identity in the input is admitted)' : `${client.who} (${client.principal})`} with 403 RBAC: access denied: ${why}; fix: ${fix}`,
    };
  }
  return null;
}

/** `on paths /reviews/*, methods GET`: what an ALLOW policy's rules restrict the request to. */
function onlyFor(p: MeshObject): string {
  const parts = new Map<string, Set<string>>();
  for (const r of Array.isArray(p.spec.rules) ? p.spec.rules as Record<string, unknown>[] : []) {
    for (const t of Array.isArray(r?.to) ? r.to as Record<string, unknown>[] : []) {
      const op = (t?.operation ?? {}) as Record<string, unknown>;
      for (const k of ['paths', 'methods', 'hosts', 'notPaths', 'notMethods']) {
        for (const v of Array.isArray(op[k]) ? op[k] as unknown[] : []) parts.set(k, (parts.get(k) ?? new Set()).add(String(v)));
      }
    }
    if (Array.isArray(r?.when) && r.when.length > 0) parts.set('when conditions', new Set(['…']));
  }
  const words = [...parts].map(([k, v]) => (k === 'when conditions' ? 'under when conditions' : `${k} ${[...v].join(', ')}`));
  return words.length > 0 ? `on ${words.join('; ')}` : 'for other requests';
}

export function allowsOf(policies: readonly MeshObject[]): MeshObject[] {
  return policies.filter((p) => (typeof p.spec.action === 'string' ? p.spec.action : 'ALLOW') === 'ALLOW');
}
