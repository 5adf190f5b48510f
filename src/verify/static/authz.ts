/**
 * Istio AuthorizationPolicy evaluation for one workload and one request, as the proxy's RBAC
 * filters apply it: DENY policies first (any match denies), then ALLOW policies (none at all
 * allows; otherwise some rule must match); dry-run policies are not enforced. CUSTOM policies, `when` conditions and `ipBlocks`
 * depend on what only a running proxy knows: they make the answer `undecidable` rather than a guess.
 * Value patterns as Istio: exact, `prefix*`, `*suffix`, `*`.
 */
import { isRecord, type MeshObject } from '../../mesh/object.js';
import { isDryRun } from '../../mesh/policy.js';
import { replaceTrustDomainAliases, ruleOnTcpChain } from '../../mesh/view/inbound-authz.js';

/** The request as the authorization filters see it. */
export interface AuthzRequest {
  /** Peer principal `<trust domain>/ns/<ns>/sa/<sa>` (mTLS). */
  readonly principal: string;
  /**
   * The mesh's trust domain then its aliases (MeshConfig `trustDomain`, `trustDomainAliases`): a
   * policy principal of any of them (or `cluster.local`) stands for all of them, as istiod rewrites
   * it (`replaceTrustDomainAliases`).
   */
  readonly trustDomains: readonly string[];
  readonly port: number;
  /** Absent: any method (a field naming methods may or may not match). */
  readonly method?: string;
  /** Absent: any path. */
  readonly path?: string;
  readonly host?: string;
  /**
   * Judge every request this principal could send on `port`, not one: method, path, host and a JWT
   * (`requestPrincipals`, which a real client may carry) are unknown. @default false (one request, no JWT)
   */
  readonly anyRequest?: boolean;
  /** With `anyRequest`: the paths are only those a route takes (its match's exact path or prefix). @default any path */
  readonly pathWithin?: { readonly exact: string } | { readonly prefix: string };
  /**
   * `port` is served by a TCP filter chain (network RBAC, `tcp_proxy`): rules are taken as istiod
   * builds them there (`ruleOnTcpChain`: an ALLOW rule with an HTTP-only field is dropped, a DENY
   * rule loses the field), and method, path and host are not seen. @default false (an HTTP port)
   */
  readonly tcp?: boolean;
}

export type AuthzDecision =
  | { readonly decision: 'allow' | 'deny'; readonly policy: MeshObject | null; readonly reason: string }
  | { readonly decision: 'undecidable'; readonly policy: MeshObject; readonly reason: string };

function valueMatches(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

const list = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : undefined);

/** A positive field (absent = any) and its negation (absent = none excluded). */
function field(obj: Record<string, unknown>, name: string, value: string | undefined): boolean | 'unknown' {
  const pos = list(obj[name]);
  const neg = list(obj[`not${name[0]!.toUpperCase()}${name.slice(1)}`]);
  if (pos === undefined && neg === undefined) return true;
  if (value === undefined) return 'unknown';
  if (pos !== undefined && !pos.some((p) => valueMatches(p, value))) return false;
  if (neg !== undefined && neg.some((p) => valueMatches(p, value))) return false;
  return true;
}

function all(results: (boolean | 'unknown')[]): boolean | 'unknown' {
  if (results.includes(false)) return false;
  return results.includes('unknown') ? 'unknown' : true;
}

function any(results: (boolean | 'unknown')[]): boolean | 'unknown' {
  if (results.includes(true)) return true;
  return results.includes('unknown') ? 'unknown' : false;
}

/** `paths` / `notPaths` for any path within an exact path or a prefix: true (all match), false (none), or unknown (some). */
function pathsWithin(obj: Record<string, unknown>, within: NonNullable<AuthzRequest['pathWithin']>): boolean | 'unknown' {
  const pos = list(obj.paths);
  const neg = list(obj.notPaths);
  const fits = (p: string): boolean | 'unknown' => {
    if ('exact' in within) return valueMatches(p, within.exact);
    if (p === '*') return true;
    if (p.endsWith('*')) {
      const x = p.slice(0, -1);
      return within.prefix.startsWith(x) ? true : x.startsWith(within.prefix) ? 'unknown' : false;
    }
    return p.startsWith('*') || p.startsWith(within.prefix) ? 'unknown' : false;
  };
  const out: (boolean | 'unknown')[] = [];
  if (pos !== undefined) out.push(any(pos.map(fits)));
  if (neg !== undefined) {
    const n = any(neg.map(fits));
    out.push(n === 'unknown' ? 'unknown' : !n);
  }
  return all(out);
}

/** A rule's `source` with its `principals` and `notPrincipals` written for every trust domain of the mesh. */
function withAliases(source: Record<string, unknown>, trustDomains: readonly string[]): Record<string, unknown> {
  const out = { ...source };
  for (const k of ['principals', 'notPrincipals']) {
    const v = list(source[k]);
    if (v !== undefined) out[k] = replaceTrustDomainAliases(v, trustDomains);
  }
  return out;
}

function ruleMatches(rule: Readonly<Record<string, unknown>>, req: AuthzRequest): boolean | 'unknown' {
  const namespace = /\/ns\/([^/]+)\//.exec(req.principal)?.[1];
  const from = Array.isArray(rule.from) ? rule.from.filter(isRecord).map((f) => (isRecord(f.source) ? f.source : {})) : undefined;
  const to = Array.isArray(rule.to) ? rule.to.filter(isRecord).map((t) => (isRecord(t.operation) ? t.operation : {})) : undefined;
  const fromOk = from === undefined || from.length === 0 ? true : any(from.map((s) => all([
    field(withAliases(s, req.trustDomains), 'principals', req.principal),
    field(s, 'namespaces', namespace),
    // No JWT is sent with one request; any request may carry one.
    list(s.requestPrincipals) !== undefined ? (req.anyRequest ? 'unknown' : false) : true,
    list(s.ipBlocks) !== undefined || list(s.notIpBlocks) !== undefined || list(s.remoteIpBlocks) !== undefined ? 'unknown' : true,
  ])));
  const toOk = to === undefined || to.length === 0 ? true : any(to.map((o) => all([
    field(o, 'methods', req.method),
    req.path === undefined && req.pathWithin ? pathsWithin(o, req.pathWithin) : field(o, 'paths', req.path?.split('?')[0]),
    field(o, 'ports', String(req.port)),
    field(o, 'hosts', req.host),
  ])));
  const when = Array.isArray(rule.when) && rule.when.length > 0 ? 'unknown' : true;
  return all([fromOk, toOk, when]);
}

const actionOf = (p: MeshObject) => (typeof p.spec.action === 'string' ? p.spec.action : 'ALLOW') as 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';

function policyMatches(p: MeshObject, req: AuthzRequest): boolean | 'unknown' {
  const written = Array.isArray(p.spec.rules) ? p.spec.rules.filter(isRecord) : [];
  const rules = req.tcp ? written.map((r) => ruleOnTcpChain(r, actionOf(p))).filter((r) => r !== null) : written;
  return any(rules.map((r) => ruleMatches(r, req)));
}

const name = (p: MeshObject) => `AuthorizationPolicy ${p.namespace}/${p.name}`;

/**
 * The decision of `policies` (those applying to one workload) for `req`. Dry-run policies
 * (`istio.io/dry-run`) are left out: Envoy evaluates them as shadow rules and enforces nothing.
 */
export function evaluateAuthorization(all: readonly MeshObject[], req: AuthzRequest): AuthzDecision {
  const policies = all.filter((p) => !isDryRun(p));
  const action = actionOf;
  const custom = policies.find((p) => action(p) === 'CUSTOM');
  if (custom) return { decision: 'undecidable', policy: custom, reason: `${name(custom)} delegates to an external authorizer (CUSTOM)` };
  for (const p of policies.filter((x) => action(x) === 'DENY')) {
    const m = policyMatches(p, req);
    if (m === true) return { decision: 'deny', policy: p, reason: `${name(p)} (DENY) matches` };
    if (m === 'unknown') return { decision: 'undecidable', policy: p, reason: `${name(p)} (DENY) depends on conditions only a running proxy knows (when, ipBlocks)` };
  }
  const allows = policies.filter((x) => action(x) === 'ALLOW');
  if (allows.length === 0) return { decision: 'allow', policy: null, reason: `no ALLOW policy applies, so every ${req.tcp ? 'connection' : 'request'} is allowed` };
  let unknown: MeshObject | undefined;
  for (const p of allows) {
    const m = policyMatches(p, req);
    if (m === true) return { decision: 'allow', policy: p, reason: `${name(p)} (ALLOW) matches` };
    if (m === 'unknown') unknown ??= p;
  }
  if (unknown) return { decision: 'undecidable', policy: unknown, reason: `${name(unknown)} (ALLOW) depends on conditions only a running proxy knows (when, ipBlocks)` };
  const dropped = req.tcp ? allows.filter((p) => Array.isArray(p.spec.rules) && p.spec.rules.some((r) => isRecord(r) && ruleOnTcpChain(r, 'ALLOW') === null)).map(name) : [];
  const why = dropped.length > 0 ? `; port ${req.port} is a TCP port, where a rule naming hosts, methods, paths, requestPrincipals or request headers/claims is dropped, as istiod does (${dropped.join(', ')})` : '';
  return { decision: 'deny', policy: null, reason: `none of ${allows.map(name).join(', ')} (ALLOW) matches${why}` };
}

/**
 * The refusal of every request `principal` could send to a workload on container `port` by its
 * `policies`: a DENY policy matching the caller whatever the request, or ALLOW policies none of whose
 * rules can match it (Istio: with any ALLOW policy on the workload, a request matching none is
 * denied). Null when some request might be admitted (a rule naming paths, methods, hosts, JWT
 * principals, `when` or `ipBlocks` might match) or a CUSTOM policy decides. With `pathWithin`, only
 * the paths a route takes count (an ALLOW rule on `/api/*` admits nothing a `/cart` prefix route sends).
 */
export function refusesEveryRequest(policies: readonly MeshObject[], principal: string, trustDomains: readonly string[], port: number, pathWithin?: AuthzRequest['pathWithin'], tcp = false): { readonly policy: MeshObject | null; readonly reason: string } | null {
  const d = evaluateAuthorization(policies, { principal, trustDomains, port, anyRequest: true, ...(pathWithin ? { pathWithin } : {}), ...(tcp ? { tcp } : {}) });
  return d.decision === 'deny' ? { policy: d.policy, reason: d.reason } : null;
}
