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

/** `from.source` fields: positive name, negated name, the attribute both match. */
const SOURCE_FIELDS: readonly (readonly [string, string, AuthzAttribute])[] = [
  ['principals', 'notPrincipals', 'source.principal'],
  ['requestPrincipals', 'notRequestPrincipals', 'request.auth.principal'],
  ['namespaces', 'notNamespaces', 'source.namespace'],
  ['remoteIpBlocks', 'notRemoteIpBlocks', 'remote.ip'],
  ['ipBlocks', 'notIpBlocks', 'source.ip'],
];
/** `to.operation` fields: positive name, negated name, the attribute both match. */
const OPERATION_FIELDS: readonly (readonly [string, string, AuthzAttribute])[] = [
  ['hosts', 'notHosts', 'host'],
  ['methods', 'notMethods', 'method'],
  ['paths', 'notPaths', 'path'],
  ['ports', 'notPorts', 'destination.port'],
];

/**
 * istiod's `rule.checkError` (`pilot/pkg/security/authz/model/model.go`): a field the filter cannot
 * evaluate (an HTTP-only field on a TCP filter chain, a value Envoy cannot express) drops a whole
 * ALLOW rule (it then matches nothing: less is allowed) and is left out of a DENY, AUDIT or CUSTOM
 * rule (which then matches more: more is denied).
 */
export function unusableFieldDropsRule(action: AuthzPolicyView['action']): boolean {
  return action === 'ALLOW';
}

/**
 * One AuthorizationPolicy rule (`spec.rules[i]`, as written) as a TCP filter chain
 * (`envoy.filters.network.rbac`) enforces it, the way istiod builds it (`BuildTCP`, `Generate(forTCP)`):
 * null when it is an ALLOW rule using an HTTP-only field (hosts, methods, paths, requestPrincipals,
 * `when` on request headers or JWT claims): the rule is dropped; otherwise the rule without those
 * fields (a DENY rule on `methods: [POST]` alone denies every connection).
 */
export function ruleOnTcpChain(rule: Readonly<Record<string, unknown>>, action: AuthzPolicyView['action']): Record<string, unknown> | null {
  const httpFields = (body: Record<string, unknown>, table: typeof SOURCE_FIELDS) =>
    table.filter(([, , a]) => HTTP_ONLY.has(a)).flatMap(([n, not]) => [n, not]).filter((k) => body[k] !== undefined);
  const sides = [['from', 'source', SOURCE_FIELDS], ['to', 'operation', OPERATION_FIELDS]] as const;
  const httpWhen = (c: unknown) => isRecord(c) && typeof c.key === 'string' && HTTP_ONLY.has(whenAttribute(c.key) ?? 'unsupported');
  const used = sides.some(([list, inner, table]) => Array.isArray(rule[list]) && (rule[list] as unknown[]).some((x) => isRecord(x) && isRecord(x[inner]) && httpFields(x[inner], table).length > 0))
    || (Array.isArray(rule.when) && rule.when.some(httpWhen));
  if (!used) return { ...rule };
  if (unusableFieldDropsRule(action)) return null;
  const out: Record<string, unknown> = { ...rule };
  for (const [list, inner, table] of sides) {
    if (!Array.isArray(rule[list])) continue;
    out[list] = (rule[list] as unknown[]).map((x) => {
      if (!isRecord(x) || !isRecord(x[inner])) return x;
      const body = { ...x[inner] };
      for (const k of httpFields(body, table)) delete body[k];
      return { ...x, [inner]: body };
    });
  }
  if (Array.isArray(rule.when)) out.when = rule.when.filter((c) => !httpWhen(c));
  return out;
}

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
    return SOURCE_FIELDS.map(([n, not, a]) => field(ap, src, p, n, not, a, env)).filter((m): m is AuthzMatchView => m !== null).concat(whenPrincipals);
  });
  const permissions = to.length === 0 ? [whenPermissions] : to.map((t, j) => {
    const op = isRecord(t) && isRecord(t.operation) ? t.operation : {};
    const p = [...at, 'to', j, 'operation'];
    return OPERATION_FIELDS.map(([n, not, a]) => field(ap, op, p, n, not, a, env)).filter((m): m is AuthzMatchView => m !== null).concat(whenPermissions);
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
  const attribute = whenAttribute(k);
  if (attribute === 'request.headers') return matchView(ap, attribute, [k.slice('request.headers['.length, -1).toLowerCase()], values, notValues, path, env);
  if (attribute === 'request.auth.claims') return matchView(ap, attribute, [...k.matchAll(/\[([^[\]]+)\]/g)].map((m) => m[1]!), values, notValues, path, env);
  if (attribute !== null) return matchView(ap, attribute, [], values, notValues, path, env);
  const why = k.startsWith('experimental.envoy.filters.') ? `the experimental attribute "${k}" (Envoy dynamic metadata) is not translated`
    : `"${k}" is not an attribute Istio's RBAC translation knows (source.ip, remote.ip, source.namespace, source.principal, request.headers[<name>], request.auth.principal|audiences|presenter|claims[<name>], destination.ip, destination.port, connection.sni)`;
  return { attribute: 'unsupported', key: [k], values: [], notValues: [], httpOnly: false, unsupported: why, origin: originOf(ap, path) };
}

const WHEN_KEYS: Readonly<Record<string, AuthzAttribute>> = {
  'source.ip': 'source.ip', 'remote.ip': 'remote.ip', 'source.namespace': 'source.namespace', 'source.principal': 'source.principal',
  'request.auth.principal': 'request.auth.principal', 'request.auth.audiences': 'request.auth.audiences', 'request.auth.presenter': 'request.auth.presenter',
  'destination.ip': 'destination.ip', 'destination.port': 'destination.port', 'connection.sni': 'connection.sni',
};

/** The attribute a `when` key names (Istio's `model.New` switch), or null when Istio's RBAC translation does not know it. */
function whenAttribute(k: string): AuthzAttribute | null {
  if (Object.hasOwn(WHEN_KEYS, k)) return WHEN_KEYS[k]!;
  if (/^request\.headers\[[^[\]]+\]$/.test(k)) return 'request.headers';
  const rest = k.startsWith('request.auth.claims') ? k.slice('request.auth.claims'.length) : null;
  if (rest !== null && /^(\[[^[\]]+\])+$/.test(rest)) return 'request.auth.claims';
  return null;
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
