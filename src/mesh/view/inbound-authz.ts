/**
 * The AuthorizationPolicies that apply to a sidecar's workload, each rule consolidated the way
 * istiod's authz model does it (`pilot/pkg/security/authz/model/model.go`): `from` entries become
 * principals, `to` entries permissions, each `when` condition is ANDed into every principal or every
 * permission depending on its key; source principals get the trust domain aliases
 * (`pilot/pkg/security/trustdomain/bundle.go`). What Envoy RBAC cannot express is marked, not dropped.
 */
import type { MeshGraph } from '../graph.js';
import { isRecord, type MeshObject } from '../object.js';
import { isDryRun, selectorOf } from '../policy.js';
import type { FieldPath } from '../types.js';
import { allowRuleMatchesEverything, describeOpenFields, parseIpBlock } from '../../validate/authorization.js';
import { re2 } from '../../validate/re2.js';
import { originOf } from './origin.js';
import { selectionTarget } from './proxy.js';
import type { AuthzAttribute, AuthzMatchView, AuthzPolicyView, AuthzRuleView, InboundProblem, ProxyIdentity } from './types.js';

const ACTIONS = new Set(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']);
const HTTP_ONLY: ReadonlySet<AuthzAttribute> = new Set(['host', 'method', 'path', 'request.headers', 'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter', 'request.auth.claims']);

/** What one rule is resolved against: the mesh's trust domains and the workload's inbound (container) ports. */
interface RuleEnv {
  readonly trustDomains: readonly string[];
  readonly ports: readonly number[];
}

/**
 * Policies applying to `proxy` (root namespace, then its own; selector or not), resolved, and a
 * problem for each `targetRef(s)` policy in those namespaces (they bind Gateway API gateways and
 * waypoints, not sidecars, and are left out).
 * @param ports the workload's inbound container ports (for the `to.ports` note)
 */
export function authorizationPoliciesOf(graph: MeshGraph, proxy: ProxyIdentity, ports: readonly number[]): { policies: AuthzPolicyView[]; problems: InboundProblem[] } {
  const env: RuleEnv = { trustDomains: graph.trustDomains, ports };
  const policies = graph.authorizationPoliciesFor(selectionTarget(proxy)).map((ap) => sharedPolicyView(graph, ap, env));
  const problems: InboundProblem[] = [];
  const targetRefs = targetRefPolicies(graph);
  for (const ns of new Set([graph.rootNamespace, proxy.namespace])) {
    for (const ap of targetRefs.get(ns) ?? []) {
      problems.push({
        code: 'view/authz-target-ref', origin: originOf(ap, ['spec', ap.spec.targetRef !== undefined ? 'targetRef' : 'targetRefs']),
        message: `AuthorizationPolicy ${ap.namespace}/${ap.name} binds through targetRef(s), which attach it to a Gateway API gateway or waypoint, not to sidecar ${proxy.namespace}/${proxy.name}; ` +
          'meshproof does not translate it: use spec.selector to reach sidecar workloads',
      });
    }
  }
  return { policies, problems };
}

const TARGET_REFS = new WeakMap<MeshGraph, Map<string, MeshObject[]>>();

/** AuthorizationPolicies binding through `targetRef(s)`, by namespace, indexed once per graph. */
function targetRefPolicies(graph: MeshGraph): Map<string, MeshObject[]> {
  let m = TARGET_REFS.get(graph);
  if (!m) {
    TARGET_REFS.set(graph, (m = new Map()));
    for (const ap of graph.ofKind('AuthorizationPolicy')) {
      if (ap.spec.targetRef === undefined && ap.spec.targetRefs === undefined) continue;
      m.set(ap.namespace, [...(m.get(ap.namespace) ?? []), ap]);
    }
  }
  return m;
}

/** Policy views per graph, policy and container ports (the trust domains are the graph's): one object for every proxy that reads the policy. */
const POLICY_VIEWS = new WeakMap<MeshGraph, WeakMap<MeshObject, Map<string, AuthzPolicyView>>>();

/**
 * {@link policyView}, once per graph, policy and set of container ports: a namespace-wide policy is
 * read by every sidecar of its namespace (and a mesh-wide one by every sidecar), and its view, with
 * the origin of every field, is the same for all whose container ports are the same.
 */
function sharedPolicyView(graph: MeshGraph, ap: MeshObject, env: RuleEnv): AuthzPolicyView {
  let byPolicy = POLICY_VIEWS.get(graph);
  if (!byPolicy) POLICY_VIEWS.set(graph, (byPolicy = new WeakMap()));
  let byPorts = byPolicy.get(ap);
  if (!byPorts) byPolicy.set(ap, (byPorts = new Map()));
  const key = env.ports.join(',');
  let view = byPorts.get(key);
  if (!view) byPorts.set(key, (view = policyView(graph, ap, env)));
  return view;
}

function policyView(graph: MeshGraph, ap: MeshObject, env: RuleEnv): AuthzPolicyView {
  const raw = typeof ap.spec.action === 'string' ? ap.spec.action : 'ALLOW';
  const action = (ACTIONS.has(raw) ? raw : 'ALLOW') as AuthzPolicyView['action'];
  const selector = selectorOf(ap);
  const scope = selector !== null ? 'workload' : ap.namespace === graph.rootNamespace ? 'mesh' : 'namespace';
  const provider = isRecord(ap.spec.provider) && typeof ap.spec.provider.name === 'string' ? ap.spec.provider.name : undefined;
  const rules = Array.isArray(ap.spec.rules) ? ap.spec.rules : [];
  return {
    name: ap.name, namespace: ap.namespace, action, scope,
    ...(provider !== undefined ? { provider } : {}),
    dryRun: isDryRun(ap),
    rules: rules.map((r, i) => ruleView(ap, r, i, action, env)),
    origin: originOf(ap, ['spec']),
  };
}

function ruleView(ap: MeshObject, rule: unknown, i: number, action: AuthzPolicyView['action'], env: RuleEnv): AuthzRuleView {
  const at: FieldPath = ['spec', 'rules', i];
  const r = isRecord(rule) ? rule : {};
  const whenPrincipals: AuthzMatchView[] = [];
  const whenPermissions: AuthzMatchView[] = [];
  (Array.isArray(r.when) ? r.when : []).forEach((c, j) => {
    const m = conditionView(ap, c, [...at, 'when', j], env);
    if (m) (PRINCIPAL_SIDE.has(m.attribute) ? whenPrincipals : whenPermissions).push(m);
  });
  const from = Array.isArray(r.from) ? r.from : [];
  const to = Array.isArray(r.to) ? r.to : [];
  const principals = from.length === 0 ? [whenPrincipals] : from.map((f, j) => {
    const src = isRecord(f) && isRecord(f.source) ? f.source : {};
    const p = [...at, 'from', j, 'source'];
    return [
      field(ap, src, p, 'principals', 'notPrincipals', 'source.principal', env),
      field(ap, src, p, 'requestPrincipals', 'notRequestPrincipals', 'request.auth.principal', env),
      field(ap, src, p, 'namespaces', 'notNamespaces', 'source.namespace', env),
      field(ap, src, p, 'remoteIpBlocks', 'notRemoteIpBlocks', 'remote.ip', env),
      field(ap, src, p, 'ipBlocks', 'notIpBlocks', 'source.ip', env),
    ].filter((m): m is AuthzMatchView => m !== null).concat(whenPrincipals);
  });
  const permissions = to.length === 0 ? [whenPermissions] : to.map((t, j) => {
    const op = isRecord(t) && isRecord(t.operation) ? t.operation : {};
    const p = [...at, 'to', j, 'operation'];
    return [
      field(ap, op, p, 'hosts', 'notHosts', 'host', env),
      field(ap, op, p, 'methods', 'notMethods', 'method', env),
      field(ap, op, p, 'paths', 'notPaths', 'path', env),
      field(ap, op, p, 'ports', 'notPorts', 'destination.port', env),
    ].filter((m): m is AuthzMatchView => m !== null).concat(whenPermissions);
  });
  let allowsEverything: string | null = null;
  if (action === 'ALLOW') {
    const open = allowRuleMatchesEverything(rule, { trustDomains: env.trustDomains, workloadPorts: () => (env.ports.length > 0 ? env.ports : undefined) });
    if (open) allowsEverything = open.fields.length > 0 ? `${open.because} (${describeOpenFields(open.fields)})` : open.because;
  }
  return { name: `ns[${ap.namespace}]-policy[${ap.name}]-rule[${i}]`, principals, permissions, allowsEverything, origin: originOf(ap, at) };
}

/** `when` keys that Istio puts on the principal side; everything else is a permission. */
const PRINCIPAL_SIDE: ReadonlySet<AuthzAttribute> = new Set([
  'source.principal', 'source.namespace', 'source.ip', 'remote.ip', 'request.headers',
  'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter', 'request.auth.claims',
]);

/** A `when` condition: its key mapped to an attribute (Istio's `model.New` switch), or marked unsupported. */
function conditionView(ap: MeshObject, c: unknown, path: FieldPath, env: RuleEnv): AuthzMatchView | null {
  if (!isRecord(c) || typeof c.key !== 'string') return null;
  const k = c.key;
  const values = strings(c.values);
  const notValues = strings(c.notValues);
  if (values.length === 0 && notValues.length === 0) return null;
  const simple: Record<string, AuthzAttribute> = {
    'source.ip': 'source.ip', 'remote.ip': 'remote.ip', 'source.namespace': 'source.namespace', 'source.principal': 'source.principal',
    'request.auth.principal': 'request.auth.principal', 'request.auth.audiences': 'request.auth.audiences', 'request.auth.presenter': 'request.auth.presenter',
    'destination.ip': 'destination.ip', 'destination.port': 'destination.port', 'connection.sni': 'connection.sni',
  };
  if (Object.hasOwn(simple, k)) return matchView(ap, simple[k]!, [], values, notValues, path, env);
  if (k.startsWith('request.headers')) {
    const name = k.slice('request.headers'.length).match(/^\[([^[\]]+)\]$/);
    if (name) return matchView(ap, 'request.headers', [name[1]!.toLowerCase()], values, notValues, path, env);
  }
  if (k.startsWith('request.auth.claims')) {
    const rest = k.slice('request.auth.claims'.length);
    const claims = [...rest.matchAll(/\[([^[\]]+)\]/g)].map((m) => m[1]!);
    if (claims.length > 0 && claims.map((x) => `[${x}]`).join('') === rest) return matchView(ap, 'request.auth.claims', claims, values, notValues, path, env);
  }
  const why = k.startsWith('experimental.envoy.filters.') ? `the experimental attribute "${k}" (Envoy dynamic metadata) is not translated`
    : `"${k}" is not an attribute Istio's RBAC translation knows (source.ip, remote.ip, source.namespace, source.principal, request.headers[<name>], request.auth.principal|audiences|presenter|claims[<name>], destination.ip, destination.port, connection.sni)`;
  return { attribute: 'unsupported', key: [k], values: [], notValues: [], httpOnly: false, unsupported: why, origin: originOf(ap, path) };
}

/** A `source` / `operation` field pair (`principals` + `notPrincipals`…), or null when both are absent or empty. */
function field(ap: MeshObject, body: Record<string, unknown>, at: FieldPath, name: string, notName: string, attribute: AuthzAttribute, env: RuleEnv): AuthzMatchView | null {
  const values = strings(body[name]);
  const notValues = strings(body[notName]);
  if (values.length === 0 && notValues.length === 0) return null;
  return matchView(ap, attribute, [], values, notValues, [...at, values.length > 0 ? name : notName], env);
}

function matchView(ap: MeshObject, attribute: AuthzAttribute, key: string[], values: string[], notValues: string[], path: FieldPath, env: RuleEnv): AuthzMatchView {
  const valid = VALIDATE[attribute];
  const bad = valid ? [...values, ...notValues].filter((v) => !valid(v)) : [];
  const keep = (list: string[]) => (valid ? list.filter(valid) : list);
  let vs = keep(values);
  let nvs = keep(notValues);
  if (attribute === 'source.principal') {
    vs = replaceTrustDomainAliases(vs, env.trustDomains);
    nvs = replaceTrustDomainAliases(nvs, env.trustDomains);
  }
  const m: AuthzMatchView = {
    attribute, key, values: vs, notValues: nvs, httpOnly: HTTP_ONLY.has(attribute),
    ...(bad.length > 0 ? { unsupported: `${bad.map((b) => JSON.stringify(b)).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not ${WHAT[attribute] ?? 'valid'}` } : {}),
    origin: originOf(ap, path),
  };
  if (attribute === 'destination.port' && env.ports.length > 0) {
    const foreign = vs.filter((p) => !env.ports.includes(Number(p)));
    if (foreign.length > 0) {
      return { ...m, note: `port ${foreign.join(', ')} is not a container port of this workload (${env.ports.join(', ')}); AuthorizationPolicy ports are container ports, so a Service port never matches` };
    }
  }
  return m;
}

const isPort = (v: string) => /^\d{1,5}$/.test(v) && Number(v) <= 65535;
const compiles = (regex: string) => { try { re2(regex); return true; } catch { return false; } };
/**
 * Istio pastes namespaces and the rest of a leading-`*` principal into RE2 regexes verbatim
 * (`.*\/ns/<ns>/.*`, `spiffe://.*<rest>`); a value that breaks the regex would make Envoy refuse the
 * whole listener, so it is marked instead.
 */
const VALIDATE: Partial<Record<AuthzAttribute, (v: string) => boolean>> = {
  'source.namespace': (v) => compiles(`.*/ns/${v.replaceAll('*', '.*')}/.*`),
  'source.principal': (v) => !v.startsWith('*') || v === '*' || compiles(`spiffe://.*${v.slice(1)}`),
  'source.ip': (v) => parseIpBlock(v) !== null,
  'remote.ip': (v) => parseIpBlock(v) !== null,
  'destination.ip': (v) => parseIpBlock(v) !== null,
  'destination.port': isPort,
  path: (v) => !/\{\*\*?\}/.test(v),
};
const WHAT: Partial<Record<AuthzAttribute, string>> = {
  'source.namespace': 'usable: Istio pastes namespaces into an RE2 regex and this one breaks it',
  'source.principal': 'usable: Istio pastes a leading-* principal into an RE2 regex and this one breaks it',
  'source.ip': 'an IP address or CIDR', 'remote.ip': 'an IP address or CIDR', 'destination.ip': 'an IP address or CIDR',
  'destination.port': 'a port number (0-65535)', path: 'translated: path templates ({*}, {**}) need Envoy\'s uri_template matcher, which meshproof does not emit',
};

function strings(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((x) => (typeof x === 'string' ? [x] : typeof x === 'number' && Number.isFinite(x) ? [String(x)] : []));
}

/**
 * Istio's `Bundle.ReplaceTrustDomainAliases`: a principal `<td>/ns/<ns>/sa/<sa>` whose trust domain
 * is the mesh's, one of its aliases, or `cluster.local` (a pointer to the local trust domain) is
 * replaced by one principal per trust domain of the bundle (`trustDomains[0]` is MeshConfig's
 * `trustDomain`). A `*` trust domain, a principal of another shape or of a foreign trust domain is kept.
 */
export function replaceTrustDomainAliases(principals: readonly string[], trustDomains: readonly string[]): string[] {
  const out: string[] = [];
  const add = (p: string) => { if (!out.includes(p)) out.push(p); };
  for (const p of principals) {
    const parts = p.split('/');
    if (parts.length !== 5 || parts[0] === '*') { add(p); continue; }
    const td = parts[0]!;
    if (!trustDomains.includes(td) && td !== 'cluster.local') { add(p); continue; }
    for (const t of trustDomains) {
      const suffixMatch = td.startsWith('*') && t.endsWith(td.slice(1));
      add(suffixMatch ? p : [t, ...parts.slice(1)].join('/'));
    }
  }
  return out;
}
