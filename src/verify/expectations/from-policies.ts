/**
 * Promises of the constructs that are not routes: a MeshService's connection pool (circuit
 * breaking) and outlier detection, an IngressGateway's client-certificate demand and HTTPS
 * redirect, a MeshNamespace's STRICT mTLS and default deny, an AllowPolicy's admitted callers.
 * Each reads the construct's rendered L1 object at synth time (its intent).
 */
import { Duration } from '../../constructs/duration.js';
import type { AllowPolicy } from '../../constructs/authorization-policy.js';
import type { IngressGateway } from '../../constructs/ingress-gateway.js';
import type { MeshNamespace } from '../../constructs/mesh-namespace.js';
import type { MeshService } from '../../constructs/mesh-service.js';
import type { CircuitBreakerLimits, Expectation, ExpectationSource } from './types.js';

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function ms(v: unknown, fallback: number): number {
  if (typeof v !== 'string') return fallback;
  const d = Duration.parse(v);
  return d.isValid ? d.milliseconds : fallback;
}

/** Circuit breaking and outlier detection of a MeshService's top-level traffic policy. */
export function serviceExpectations(service: MeshService, source: ExpectationSource): Expectation[] {
  const policy = rec(rec(service.destinationRule.toJson().spec).trafficPolicy);
  const out: Expectation[] = [];
  const short = service.name;
  const tcp = rec(rec(policy.connectionPool).tcp);
  const http = rec(rec(policy.connectionPool).http);
  const limits: CircuitBreakerLimits = Object.fromEntries(Object.entries({
    maxConnections: num(tcp.maxConnections),
    http1MaxPendingRequests: num(http.http1MaxPendingRequests),
    http2MaxRequests: num(http.http2MaxRequests),
    maxRequestsPerConnection: num(http.maxRequestsPerConnection),
    maxRetries: num(http.maxRetries),
  }).filter(([, v]) => v !== undefined));
  if (Object.keys(limits).length > 0) {
    out.push({
      id: `${source.constructPath}#circuit-breaker`,
      promise: `${short}: concurrency beyond ${Object.entries(limits).map(([k, v]) => `${k} ${v}`).join(', ')} is answered 503 (UO)`,
      source,
      outcome: { kind: 'circuit-breaker', destination: { host: service.host }, limits },
    });
  }
  if (Object.keys(rec(policy.outlierDetection)).length > 0) {
    const o = rec(policy.outlierDetection);
    const outcome = {
      kind: 'outlier-detection' as const, destination: { host: service.host },
      consecutive5xxErrors: num(o.consecutive5xxErrors) ?? 5,
      intervalMs: ms(o.interval, 10_000),
      baseEjectionTimeMs: ms(o.baseEjectionTime, 30_000),
      maxEjectionPercent: num(o.maxEjectionPercent) ?? 10,
    };
    out.push({
      id: `${source.constructPath}#outlier-detection`,
      promise: `${short}: an endpoint answering ${outcome.consecutive5xxErrors} consecutive 5xx is ejected for ${outcome.baseEjectionTimeMs} ms (up to ${outcome.maxEjectionPercent} % of endpoints) and traffic moves`,
      source, outcome,
    });
  }
  return out;
}

/** MUTUAL TLS servers demand client certificates; the HTTP server redirects to HTTPS. */
export function gatewayExpectations(gateway: IngressGateway, source: ExpectationSource): Expectation[] {
  const servers = (rec(gateway.gateway.toJson().spec).servers ?? []) as Raw[];
  const out: Expectation[] = [];
  for (const s of servers) {
    const tls = rec(s.tls);
    const port = num(rec(s.port).number);
    const hosts = (Array.isArray(s.hosts) ? s.hosts : []) as string[];
    if (port === undefined) continue;
    if (tls.mode === 'MUTUAL') {
      out.push({
        id: `${source.constructPath}#client-certificate-required.${port}`,
        promise: `gateway ${gateway.gatewayRef}:${port} refuses TLS clients without a certificate from the trusted CA and admits those with one`,
        source, outcome: { kind: 'client-certificate-required', gateway: gateway.gatewayRef, port, hosts },
      });
    }
    if (tls.httpsRedirect === true) {
      out.push({
        id: `${source.constructPath}#https-redirect.${port}`,
        promise: `gateway ${gateway.gatewayRef}:${port} answers plain HTTP with 301 to https`,
        source, outcome: { kind: 'https-redirect', gateway: gateway.gatewayRef, port, hosts },
      });
    }
  }
  return out;
}

/** The namespace and service account of {@link strangerPrincipal}: a name no application uses. */
export const STRANGER_NAME = 'meshproof-verify-stranger';

/**
 * A caller no ALLOW policy names: `<trust domain>/ns/meshproof-verify-stranger/sa/meshproof-verify-stranger`.
 * It comes from a namespace of its own, so a policy admitting the protected namespace's own callers
 * (`namespaces: [<ns>]`) or principals of it does not admit it; a policy admitting every caller
 * (a rule without `from`, `namespaces: ["*"]`, `notNamespaces`) does, and then the namespace's
 * default deny is broken, as it is for any caller outside it.
 */
export function strangerPrincipal(trustDomain: string): string {
  return `${trustDomain}/ns/${STRANGER_NAME}/sa/${STRANGER_NAME}`;
}

/** STRICT mTLS and default deny of a MeshNamespace. */
export function namespaceExpectations(ns: MeshNamespace, source: ExpectationSource): Expectation[] {
  const out: Expectation[] = [];
  const spec = rec(rec(ns.peerAuthentication.peerAuthentication.toJson()).spec);
  const mtls = rec(spec.mtls).mode;
  if (mtls === 'STRICT') {
    out.push({
      id: `${source.constructPath}#mtls-strict`,
      promise: `namespace ${ns.name}: plaintext between workloads is refused (PeerAuthentication STRICT)`,
      source, outcome: { kind: 'mtls-strict', namespace: ns.name },
    });
  }
  if (ns.defaultDeny !== undefined) {
    const principal = strangerPrincipal(ns.trustDomain);
    out.push({
      id: `${source.constructPath}#default-deny`,
      promise: `namespace ${ns.name}: a caller no ALLOW policy names (${principal}) gets 403`,
      source, outcome: { kind: 'authorization', namespace: ns.name, selector: null, principal, allowed: false },
    });
  }
  return out;
}

/** Each ALLOW rule naming principals admits the first of them, on the rule's first port. */
export function allowPolicyExpectations(policy: AllowPolicy, source: ExpectationSource): Expectation[] {
  const json = policy.authorizationPolicy.toJson() as { metadata: { namespace?: string }; spec?: Raw };
  const spec = rec(json.spec);
  if ((spec.action ?? 'ALLOW') !== 'ALLOW') return [];
  const namespace = json.metadata.namespace ?? 'default';
  const selector = Object.keys(rec(rec(spec.selector).matchLabels)).length > 0 ? rec(rec(spec.selector).matchLabels) as Record<string, string> : null;
  const out: Expectation[] = [];
  ((spec.rules ?? []) as Raw[]).forEach((rule, i) => {
    if (Array.isArray(rule.when) && rule.when.length > 0) return;
    const principal = ((rule.from ?? []) as Raw[]).flatMap((f) => (rec(f.source).principals ?? []) as string[]).find((p) => !p.includes('*'));
    if (principal === undefined) return;
    const ports = ((rule.to ?? []) as Raw[]).flatMap((t) => (rec(t.operation).ports ?? []) as string[]);
    const port = ports.length > 0 ? Number(ports[0]) : undefined;
    const ops = ((rule.to ?? []) as Raw[]).map((t) => rec(t.operation));
    const method = ops.flatMap((o) => (o.methods ?? []) as string[]).find((m) => m !== '*');
    const pathPattern = ops.flatMap((o) => (o.paths ?? []) as string[])[0];
    const path = pathPattern === undefined ? undefined : pathPattern.replace(/^\*/, '/meshproof-verify').replace(/\*$/, 'meshproof-verify');
    const target = selector ? Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',') : 'every workload';
    out.push({
      id: `${source.constructPath}#allow.${i}`,
      promise: `${namespace}/${target}: ${principal} is admitted${method ? ` to ${method}` : ''}${path ? ` ${path}` : ''}${port !== undefined ? ` on port ${port}` : ''}`,
      source,
      outcome: {
        kind: 'authorization', namespace, selector, principal, ...(port !== undefined && Number.isFinite(port) ? { port } : {}),
        ...(method ? { method } : {}), ...(path ? { path } : {}), allowed: true,
      },
    });
  });
  return out;
}
