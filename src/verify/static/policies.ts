/**
 * Static judgement of promises that are not about one route: cluster policies (circuit breaking,
 * outlier detection) in a caller's view, gateway TLS servers, PeerAuthentication modes and
 * AuthorizationPolicies of the workloads concerned.
 */
import type { MeshGraph } from '../../mesh/graph.js';
import type { MeshObject } from '../../mesh/object.js';
import { selectorOf } from '../../mesh/policy.js';
import { inboundPortIsTcp, proxyOf } from '../../mesh/view/index.js';
import type { Workload } from '../../mesh/workloads.js';
import type { Expectation, Outcome } from '../expectations/types.js';
import { arrivalOf, explainArrival, noArrival } from './arrival-port.js';
import { evaluateAuthorization, type AuthzDecision } from './authz.js';
import { allowsOf, at } from './refusal.js';
import { describeOrigin, viewFor } from './select.js';
import type { Verdict } from './verdict.js';

type Of<K extends Outcome['kind']> = Extract<Outcome, { kind: K }>;

function namespaceOfHost(host: string): string {
  return /^[^.]+\.([^.]+)\.svc\./.exec(host)?.[1] ?? 'default';
}

/** Circuit-breaker limits and outlier detection of every cluster of the host, as a caller in its namespace sees them. */
export function judgeClusterPolicy(graph: MeshGraph, e: Expectation, o: Of<'circuit-breaker'> | Of<'outlier-detection'>): Verdict {
  const view = viewFor(graph, { kind: 'mesh', namespace: namespaceOfHost(o.destination.host) });
  if (typeof view === 'string') return { id: e.id, status: 'broken', detail: view };
  const clusters = view.clusters.filter((c) => c.host === o.destination.host && (o.destination.subset === undefined || c.subset === o.destination.subset));
  if (clusters.length === 0) return { id: e.id, status: 'broken', detail: `no cluster for ${o.destination.host} in the view of ${view.proxy.namespace}/${view.proxy.name}` };
  for (const c of clusters) {
    const evidence = c.policy.origins[0];
    const at = evidence ? ` (${describeOrigin(evidence)})` : ' (no DestinationRule traffic policy)';
    if (o.kind === 'circuit-breaker') {
      for (const [k, want] of Object.entries(o.limits) as [keyof typeof o.limits, number][]) {
        const got = c.policy.connectionPool[k];
        if (got !== want) return { id: e.id, status: 'broken', detail: `cluster ${c.name} has ${k} ${got === 4294967295 ? 'unlimited (2^32-1)' : got}, not ${want}${at}`, ...(evidence ? { evidence } : {}) };
      }
    } else {
      const od = c.policy.outlierDetection;
      if (od === null) return { id: e.id, status: 'broken', detail: `cluster ${c.name} has no outlier detection${at}`, ...(evidence ? { evidence } : {}) };
      const pairs: [string, number, number][] = [
        ['consecutive5xxErrors', od.consecutive5xxErrors, o.consecutive5xxErrors], ['interval', od.intervalMs, o.intervalMs],
        ['baseEjectionTime', od.baseEjectionTimeMs, o.baseEjectionTimeMs], ['maxEjectionPercent', od.maxEjectionPercent, o.maxEjectionPercent],
      ];
      const bad = pairs.find(([, got, want]) => got !== want);
      if (bad) return { id: e.id, status: 'broken', detail: `cluster ${c.name} has outlier ${bad[0]} ${bad[1]}, not ${bad[2]}${at}`, ...(evidence ? { evidence } : {}) };
    }
  }
  return { id: e.id, status: 'held', detail: `${clusters.map((c) => c.name).join(', ')} carry it`, ...(clusters[0]!.policy.origins[0] ? { evidence: clusters[0]!.policy.origins[0] } : {}) };
}

/** A gateway server's TLS mode (MUTUAL) or HTTPS redirect, in the gateway proxy's view. */
export function judgeGatewayServer(graph: MeshGraph, e: Expectation, o: Of<'client-certificate-required'> | Of<'https-redirect'>): Verdict {
  const view = viewFor(graph, { kind: 'gateway', gateway: o.gateway, port: o.port });
  if (typeof view === 'string') return { id: e.id, status: 'broken', detail: view };
  const server = view.gatewayServers.find((s) => s.gateway === o.gateway && s.port === o.port);
  if (!server) return { id: e.id, status: 'broken', detail: `gateway ${o.gateway} serves nothing on port ${o.port}` };
  const tls = server.tls ?? {};
  const at = describeOrigin(server.origin);
  if (o.kind === 'client-certificate-required') {
    if (tls.mode !== 'MUTUAL') return { id: e.id, status: 'broken', detail: `server ${at} has tls.mode ${String(tls.mode ?? '(none)')}, not MUTUAL: clients without a certificate get through`, evidence: server.origin };
    if (typeof tls.credentialName !== 'string' && typeof tls.caCertificates !== 'string') return { id: e.id, status: 'broken', detail: `server ${at} is MUTUAL without a credentialName or caCertificates to verify clients against`, evidence: server.origin };
    return { id: e.id, status: 'held', detail: `server ${at} is MUTUAL (credential ${String(tls.credentialName ?? tls.caCertificates)})`, evidence: server.origin };
  }
  return tls.httpsRedirect === true
    ? { id: e.id, status: 'held', detail: `server ${at} has tls.httpsRedirect`, evidence: server.origin }
    : { id: e.id, status: 'broken', detail: `server ${at} has no tls.httpsRedirect: plain HTTP is served, not redirected`, evidence: server.origin };
}

function meshWorkloads(graph: MeshGraph, namespace: string, selector: Readonly<Record<string, string>> | null): Workload[] {
  return graph.workloads.selectedBy(namespace, selector ?? {}).filter((w) => graph.membershipOf(w).dataplane === 'sidecar');
}

/** Every sidecar workload of the namespace accepts only mTLS (on every container port). */
export function judgeStrictMtls(graph: MeshGraph, e: Expectation, o: Of<'mtls-strict'>): Verdict {
  const workloads = meshWorkloads(graph, o.namespace, null);
  if (workloads.length === 0) return { id: e.id, status: 'broken', detail: `namespace ${o.namespace} has no workload with a sidecar to enforce mTLS (is the namespace injected?)` };
  for (const w of workloads) {
    for (const port of [undefined, ...w.containerPorts.map((p) => p.containerPort)]) {
      const d = graph.mtlsModeFor(w, port);
      if (d.mode !== 'STRICT') {
        return {
          id: e.id, status: 'broken',
          detail: `${w.kind} ${w.namespace}/${w.name}${port !== undefined ? ` port ${port}` : ''} accepts ${d.mode}${d.policy ? ` (PeerAuthentication ${d.policy.namespace}/${d.policy.name} at ${d.policy.location.file}:${d.policy.location.line})` : ' (no PeerAuthentication: Istio\'s default PERMISSIVE)'}: plaintext gets through`,
        };
      }
    }
  }
  return { id: e.id, status: 'held', detail: `${workloads.length} workload${workloads.length === 1 ? '' : 's'} accept only mTLS` };
}

/** The authorization policies of each selected workload decide the caller as promised. */
export function judgeAuthorization(graph: MeshGraph, e: Expectation, o: Of<'authorization'>): Verdict {
  const workloads = meshWorkloads(graph, o.namespace, o.selector);
  if (workloads.length === 0) return { id: e.id, status: 'broken', detail: `no workload with a sidecar in ${o.namespace} matches ${o.selector ? JSON.stringify(o.selector) : 'the namespace'}` };
  for (const w of workloads) {
    const who = `${w.kind} ${w.namespace}/${w.name}`;
    // Envoy's RBAC sees the port the request arrives on at the pod: a promise written with a Service
    // port is judged on the container port that Service port sends to.
    const arrival = o.port === undefined ? undefined : arrivalOf(graph, w, o.port);
    if (arrival === null) return { id: e.id, status: 'broken', detail: noArrival(w, o.port!) };
    const port = arrival?.port ?? w.containerPorts[0]?.containerPort ?? 80;
    const policies = graph.authorizationPoliciesFor(w);
    const tcp = inboundPortIsTcp(graph, proxyOf(graph, w), port);
    const d = evaluateAuthorization(policies, { principal: o.principal, trustDomains: graph.trustDomains, port, method: o.method ?? 'GET', path: o.path ?? '/', ...(tcp ? { tcp } : {}) });
    const via = arrival ? explainArrival(arrival, policies) : '';
    if (d.decision === 'undecidable') return { id: e.id, status: 'runtime-only', detail: `${who}: ${d.reason}` };
    if ((d.decision === 'allow') !== o.allowed) {
      const fix = via.includes('which never matches') ? '' : `; fix: ${authorizationFix(w, policies, d, o, port, tcp)}`;
      return { id: e.id, status: 'broken', detail: `${who} ${d.decision === 'allow' ? 'admits' : tcp ? `refuses (closes the connection on TCP port ${port})` : 'refuses (403)'} ${o.principal}${via}: ${d.reason} (${decidedAt(policies, d)})${fix}` };
    }
  }
  return { id: e.id, status: 'held', detail: `${workloads.map((w) => w.name).join(', ')} ${o.allowed ? 'admit' : 'refuse'} ${o.principal}` };
}


const policyName = (p: MeshObject) => `${p.namespace}/${p.name}`;

/** Where the policies that decided `d` are: the one that matched, else every ALLOW policy none of whose rules did. */
function decidedAt(policies: readonly MeshObject[], d: AuthzDecision): string {
  if (d.policy) return at(d.policy);
  const allows = allowsOf(policies);
  if (allows.length === 0) return 'no ALLOW AuthorizationPolicy selects the workload';
  return allows.map((p) => `${policyName(p)} at ${at(p)}`).join(', ');
}

/** How to make the workload's policies decide the promised way (`o.allowed`) where they decided `d`. */
function authorizationFix(w: Workload, policies: readonly MeshObject[], d: AuthzDecision, o: Of<'authorization'>, port: number, tcp: boolean): string {
  const request = tcp ? `port ${port} with no hosts, methods, paths or other HTTP-only field (port ${port} is TCP)` : `${o.method ?? 'GET'} ${o.path ?? '/'} on port ${port}`;
  const workload = `${w.kind} ${w.namespace}/${w.name}`;
  if (o.allowed) {
    if (d.policy) return `narrow AuthorizationPolicy ${policyName(d.policy)} (DENY) so that it leaves ${o.principal} out, or drop the promise`;
    // The policy to extend: one selecting the workload with rules of its own, not a namespace's default deny.
    const extend = allowsOf(policies).find((p) => selectorOf(p) !== null && Array.isArray(p.spec.rules) && p.spec.rules.length > 0);
    return extend
      ? `add a rule to AuthorizationPolicy ${policyName(extend)} with from.source.principals ["${o.principal}"] and a to.operation covering ${request} (or add the principal to the rule that should admit it), or drop the promise`
      : `add an ALLOW AuthorizationPolicy selecting ${workload} with a rule for ${o.principal} covering ${request}, or drop the promise`;
  }
  if (d.policy) return `take ${o.principal} out of the rule of AuthorizationPolicy ${policyName(d.policy)} that admits it (or narrow its to.operation so ${request} is not covered), or drop the promise`;
  return `add an ALLOW AuthorizationPolicy selecting ${workload} with rules for only the callers that should reach it (any ALLOW policy refuses every other caller), or a DENY policy for ${o.principal}, or drop the promise`;
}
