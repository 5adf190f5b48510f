/**
 * Envoy RBAC from the AuthorizationPolicies of a proxy's view, as istiod generates it
 * (`pilot/pkg/security/authz/builder`, `authz/model/generator.go`): one Envoy `Policy` per rule,
 * named `ns[<ns>]-policy[<name>]-rule[<i>]`; `from` entries as ORed principals and `to` entries as
 * ORed permissions, each an AND of its fields, each field an OR of its values and a NOT of its
 * `not*` values. Filters in Istio's order: CUSTOM (istiod's custom builder runs first:
 * `listener_builder.go`, `networkfilter.go`), then AUDIT (LOG), DENY, ALLOW; a DENY match answers 403
 * before any ALLOW is looked at; without ALLOW policies everything not denied is allowed; with ALLOW
 * policies a request no rule matches is denied (an ALLOW filter with no policies denies all).
 *
 * CUSTOM, per provider the policies name (`builder.go` `buildHTTP` / `buildTCP`): a usable provider
 * gets an RBAC filter holding the rules as `shadow_rules` (prefix `istio_ext_authz_`, never
 * enforced: they only mark the request for the ext_authz filter after it, `ext-authz.ts`). Dry-run
 * CUSTOM policies go to that filter's enforced `rules`, action DENY, as istiod (since the
 * multi-provider change, #58082) puts them: so a request a dry-run CUSTOM rule matches is DENIED by
 * the RBAC filter, whatever the authorizer would say (earlier istiod left dry-run CUSTOM policies
 * out). A provider istiod cannot use (unknown, invalid, its service not found, more than one on the
 * workload) gets an RBAC filter that DENIES what its enforced rules match (`getBadCustomDenyRules`:
 * names suffixed `-deny-due-to-bad-CUSTOM-action`). On a TCP chain, an HTTP provider's CUSTOM
 * policies are ignored. CUSTOM rule names carry the provider: `istio-ext-authz-<provider>-ns[…]-policy[…]-rule[…]`.
 */
import { create, type JsonObject, type MessageInitShape } from '@bufbuild/protobuf';
import { packAny as anyPack } from '../encode.js';
import { RBAC_Action, type PermissionSchema, type Policy, PolicySchema, type PrincipalSchema, type RBAC as RbacRules, RBACSchema as RbacRulesSchema } from '../gen/envoy/config/rbac/v3/rbac_pb.js';
import { RBACSchema as HttpRbacSchema } from '../gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import { RBACSchema as NetworkRbacSchema } from '../gen/envoy/extensions/filters/network/rbac/v3/rbac_pb.js';
import { type AuthzMatchView, type AuthzPolicyView, type AuthzRuleView, type CustomAuthzView, unusableFieldDropsRule } from '../../mesh/view/index.js';
import { parseIpBlock } from '../../validate/authorization.js';
import { originJson } from './_common.js';
import { EXT_AUTHZ_SHADOW_PREFIX, customRuleName, httpExtAuthzFilter, networkExtAuthzFilter } from './ext-authz.js';

/** Envoy filter names (HTTP and network RBAC). */
export const HTTP_RBAC_FILTER = 'envoy.filters.http.rbac';
export const NETWORK_RBAC_FILTER = 'envoy.filters.network.rbac';

type PermissionInit = MessageInitShape<typeof PermissionSchema>;
type PrincipalInit = MessageInitShape<typeof PrincipalSchema>;

/** Istio's order of the AUDIT, DENY and ALLOW RBAC filters (after CUSTOM's) and the Envoy action each gets. */
const ORDER: readonly { action: AuthzPolicyView['action']; envoy: RBAC_Action; shadowPrefix: string }[] = [
  { action: 'AUDIT', envoy: RBAC_Action.LOG, shadowPrefix: 'istio_dry_run_audit_' },
  { action: 'DENY', envoy: RBAC_Action.DENY, shadowPrefix: 'istio_dry_run_deny_' },
  { action: 'ALLOW', envoy: RBAC_Action.ALLOW, shadowPrefix: 'istio_dry_run_allow_' },
];

/** Istio's suffix of CUSTOM rules denied because their provider cannot be used (`badCustomActionSuffix`). */
const BAD_CUSTOM_SUFFIX = '-deny-due-to-bad-CUSTOM-action';

/** What the authorization filters of a chain are built from: the policies that apply and the providers their CUSTOM ones name (an `InboundView`). */
export interface AuthzInput {
  readonly authorizationPolicies: readonly AuthzPolicyView[];
  readonly customAuthz: readonly CustomAuthzView[];
}

/** One RBAC filter's configuration: enforced rules (absent when every policy is dry-run) and shadow rules. */
export interface RbacConfig {
  readonly action: AuthzPolicyView['action'];
  readonly rules?: RbacRules;
  readonly shadowRules?: RbacRules;
  readonly shadowRulesStatPrefix?: string;
}

/** What happened to one rule: translated, or skipped / narrowed and why (for metadata and reviews). */
interface RuleOutcome {
  readonly policy?: Policy;
  readonly notes: string[];
}

/**
 * The RBAC configurations for one filter chain, in filter order; one per action that has at least
 * one policy. `forTcp`: a network filter (HTTP-only fields cannot be evaluated: an ALLOW rule using
 * one is dropped, a DENY/AUDIT rule ignores the field, as istiod does).
 */
export function buildRbacConfigs(policies: readonly AuthzPolicyView[], forTcp: boolean): RbacConfig[] {
  const out: RbacConfig[] = [];
  for (const { action, envoy, shadowPrefix } of ORDER) {
    const of = policies.filter((p) => p.action === action);
    if (of.length === 0) continue;
    const enforced = of.filter((p) => !p.dryRun);
    const shadow = of.filter((p) => p.dryRun);
    out.push({
      action,
      ...(enforced.length > 0 ? { rules: rulesOf(enforced, envoy, forTcp) } : {}),
      ...(shadow.length > 0 ? { shadowRules: rulesOf(shadow, envoy, forTcp), shadowRulesStatPrefix: shadowPrefix } : {}),
    });
  }
  return out;
}

function rulesOf(policies: readonly AuthzPolicyView[], action: RBAC_Action, forTcp: boolean, name: (rule: string) => string = (r) => r): RbacRules {
  const rules = create(RbacRulesSchema, { action });
  for (const p of policies) {
    for (const r of p.rules) {
      const o = translateRule(r, p.action, forTcp);
      if (o.policy) rules.policies[name(r.name)] = o.policy;
    }
    // istiod gives a policy without rules an explicit policy that never matches (`rbacPolicyMatchNever`).
    // Only CUSTOM's is written here: for ALLOW, DENY and AUDIT the filter decides the same without it.
    if (p.rules.length === 0 && p.action === 'CUSTOM') rules.policies[name(`ns[${p.namespace}]-policy[${p.name}]-rule[0]`)] = create(PolicySchema, MATCH_NEVER);
  }
  return rules;
}

/** istiod `rbacPolicyMatchNever`: a permission and a principal that match nothing. */
const MATCH_NEVER = {
  permissions: [{ rule: { case: 'notRule' as const, value: { rule: { case: 'any' as const, value: true } } } }],
  principals: [{ identifier: { case: 'notId' as const, value: { identifier: { case: 'any' as const, value: true } } } }],
};

/** One CUSTOM provider's RBAC configuration (see the module comment), and its usable provider when there is one. */
interface CustomConfig {
  readonly custom: CustomAuthzView;
  readonly rules?: RbacRules;
  readonly shadowRules?: RbacRules;
}

function customConfigs(authz: AuthzInput, forTcp: boolean): CustomConfig[] {
  const out: CustomConfig[] = [];
  for (const custom of authz.customAuthz) {
    const of = authz.authorizationPolicies.filter((p) => p.action === 'CUSTOM' && (p.provider ?? '') === custom.provider);
    const enforced = of.filter((p) => !p.dryRun);
    const dryRun = of.filter((p) => p.dryRun);
    const named = (r: string) => customRuleName(custom.provider, r);
    if (!custom.extAuthz) {
      out.push({ custom, rules: rulesOf(enforced, RBAC_Action.DENY, forTcp, (r) => named(r) + BAD_CUSTOM_SUFFIX) });
      continue;
    }
    // istiod ignores CUSTOM policies of an HTTP authorizer on TCP chains.
    if (forTcp && custom.extAuthz.kind !== 'envoyExtAuthzGrpc') continue;
    out.push({
      custom,
      shadowRules: rulesOf(enforced, RBAC_Action.DENY, forTcp, named),
      ...(dryRun.length > 0 ? { rules: rulesOf(dryRun, RBAC_Action.DENY, forTcp, named) } : {}),
    });
  }
  return out;
}

/** HTTP filters: per CUSTOM provider an RBAC filter (and an ext_authz filter when usable), then one RBAC filter per other action present, in Istio's order. */
export function buildHttpRbacFilters(authz: AuthzInput) {
  const custom = customConfigs(authz, false).flatMap((c) => [
    {
      name: HTTP_RBAC_FILTER,
      configType: {
        case: 'typedConfig' as const,
        value: anyPack(HttpRbacSchema, create(HttpRbacSchema, {
          ...(c.rules ? { rules: c.rules } : {}),
          ...(c.shadowRules ? { shadowRules: c.shadowRules, shadowRulesStatPrefix: EXT_AUTHZ_SHADOW_PREFIX } : {}),
        })),
      },
    },
    ...(c.custom.extAuthz ? [httpExtAuthzFilter(c.custom.extAuthz)] : []),
  ]);
  return [...custom, ...buildRbacConfigs(authz.authorizationPolicies, false).map((c) => ({
    name: HTTP_RBAC_FILTER,
    configType: {
      case: 'typedConfig' as const,
      value: anyPack(HttpRbacSchema, create(HttpRbacSchema, {
        ...(c.rules ? { rules: c.rules } : {}),
        ...(c.shadowRules ? { shadowRules: c.shadowRules, shadowRulesStatPrefix: c.shadowRulesStatPrefix ?? '' } : {}),
      })),
    },
  }))];
}

/** Network filters (`envoy.filters.network.rbac`, stat prefix `tcp.`): CUSTOM's first (with `envoy.filters.network.ext_authz` for a usable gRPC authorizer), then one per other action present, in Istio's order. */
export function buildNetworkRbacFilters(authz: AuthzInput) {
  const custom = customConfigs(authz, true).flatMap((c) => {
    const ext = c.custom.extAuthz ? networkExtAuthzFilter(c.custom.extAuthz) : undefined;
    return [
      {
        name: NETWORK_RBAC_FILTER,
        configType: {
          case: 'typedConfig' as const,
          value: anyPack(NetworkRbacSchema, create(NetworkRbacSchema, {
            statPrefix: 'tcp.',
            ...(c.rules ? { rules: c.rules } : {}),
            ...(c.shadowRules ? { shadowRules: c.shadowRules, shadowRulesStatPrefix: EXT_AUTHZ_SHADOW_PREFIX } : {}),
          })),
        },
      },
      ...(ext ? [ext] : []),
    ];
  });
  return [...custom, ...buildRbacConfigs(authz.authorizationPolicies, true).map((c) => ({
    name: NETWORK_RBAC_FILTER,
    configType: {
      case: 'typedConfig' as const,
      value: anyPack(NetworkRbacSchema, create(NetworkRbacSchema, {
        statPrefix: 'tcp.',
        ...(c.rules ? { rules: c.rules } : {}),
        ...(c.shadowRules ? { shadowRules: c.shadowRules, shadowRulesStatPrefix: c.shadowRulesStatPrefix ?? '' } : {}),
      })),
    },
  }))];
}

/**
 * Where each rule came from and what translation did to it, for `filter_metadata.meshproof.rbac`:
 * `{ "<rule name>": { action, origin, dryRun, notes: [...] } }`, keyed by the Envoy policy name.
 * CUSTOM rules say what enforces them: the provider's authorizer, or a denial (and why).
 */
export function rbacMetadata(authz: AuthzInput, forTcp: boolean): JsonObject {
  const out: JsonObject = {};
  for (const p of authz.authorizationPolicies) {
    const custom = p.action === 'CUSTOM' ? authz.customAuthz.find((c) => c.provider === (p.provider ?? '')) : undefined;
    for (const r of p.rules) {
      const o = translateRule(r, p.action, forTcp);
      const notes = [...o.notes];
      let name = r.name;
      if (custom) {
        name = customRuleName(custom.provider, r.name);
        const note = customNote(custom, p.dryRun, forTcp);
        if (custom.extAuthz === null && !p.dryRun) name += BAD_CUSTOM_SUFFIX;
        notes.unshift(note);
      }
      if (r.allowsEverything) notes.push(`matches every request: ${r.allowsEverything}`);
      out[name] = { action: p.action, dryRun: p.dryRun, translated: o.policy !== undefined, origin: originJson(r.origin), ...(notes.length > 0 ? { notes } : {}) };
    }
    if (p.rules.length === 0) out[`ns[${p.namespace}]-policy[${p.name}]`] = { action: p.action, dryRun: p.dryRun, translated: false, origin: originJson(p.origin), notes: [p.action === 'ALLOW' ? 'no rules: allows nothing' : 'no rules: matches nothing'] };
  }
  return out;
}

/** What enforces a CUSTOM rule of `custom`'s provider on this chain, for the metadata notes. */
function customNote(custom: CustomAuthzView, dryRun: boolean, forTcp: boolean): string {
  const p = custom.extAuthz;
  if (!p) return dryRun ? `CUSTOM (provider "${custom.provider}"), dry-run: not enforced; the provider is unusable (${custom.error})` : `CUSTOM (provider "${custom.provider}") is enforced as DENY: istiod cannot use the provider (${custom.error}), so requests this rule matches are refused`;
  if (forTcp && p.kind !== 'envoyExtAuthzGrpc') return `CUSTOM (provider "${custom.provider}") is ignored on this TCP chain: an HTTP authorizer (envoyExtAuthzHttp) cannot check TCP connections (istiod leaves the policy out)`;
  if (dryRun) return `CUSTOM (provider "${custom.provider}"), dry-run: istiod puts dry-run CUSTOM rules into the RBAC filter's enforced rules (action DENY), so requests this rule matches are refused without asking ${p.cluster}`;
  return `CUSTOM (provider "${custom.provider}", ${p.kind}): requests this rule matches are checked by the authorizer at ${p.cluster}${p.failOpen ? ' (failOpen: let through when it cannot be reached)' : `; when it cannot be reached they are answered ${p.statusOnError ?? 403}`}`;
}

/**
 * One rule as an Envoy `Policy`, or none: Istio's `Model.Generate`. A field Envoy cannot evaluate
 * here (HTTP-only on TCP, or marked unsupported by the view) drops an ALLOW rule (narrower: less is
 * allowed) and is ignored in DENY / AUDIT / CUSTOM rules (wider: more is denied).
 */
export function translateRule(rule: AuthzRuleView, action: AuthzPolicyView['action'], forTcp: boolean): RuleOutcome {
  const notes: string[] = [];
  const unusable = (m: AuthzMatchView): string | null => {
    if (forTcp && m.httpOnly) return `${describe(m)} is HTTP only and cannot apply to a TCP filter chain`;
    if (m.attribute === 'unsupported') return m.unsupported ?? 'unsupported';
    return null;
  };
  for (const list of [...rule.principals, ...rule.permissions]) {
    for (const m of list) {
      const dropped = unusable(m);
      const why = dropped ?? m.unsupported ?? null;
      if (why === null) continue;
      if (unusableFieldDropsRule(action)) return { notes: [`rule dropped (less is allowed): ${why}`] };
      notes.push(dropped !== null ? `field ignored (more is denied): ${why}` : `values ignored (more is denied): ${why}`);
    }
  }
  const keep = (m: AuthzMatchView) => unusable(m) === null;
  const principals = rule.principals.map((list) => and(list.filter(keep).flatMap(principalsOf), 'principal'));
  const permissions = rule.permissions.map((list) => and(list.filter(keep).flatMap(permissionsOf), 'permission'));
  return { policy: create(PolicySchema, { principals: principals as PrincipalInit[], permissions: permissions as PermissionInit[] }), notes };
}

function describe(m: AuthzMatchView): string {
  return m.key.length > 0 ? `${m.attribute}[${m.key.join('][')}]` : m.attribute;
}

function and(parts: (PrincipalInit | PermissionInit)[], kind: 'principal' | 'permission'): PrincipalInit | PermissionInit {
  if (kind === 'principal') {
    const ids = parts.length > 0 ? parts : [{ identifier: { case: 'any' as const, value: true } }];
    return { identifier: { case: 'andIds', value: { ids: ids as PrincipalInit[] } } };
  }
  const rules = parts.length > 0 ? parts : [{ rule: { case: 'any' as const, value: true } }];
  return { rule: { case: 'andRules', value: { rules: rules as PermissionInit[] } } };
}

/** One field as principals: OR of its values, NOT(OR) of its notValues (each present part one entry of the AND). */
function principalsOf(m: AuthzMatchView): PrincipalInit[] {
  const one = (v: string): PrincipalInit | null => principalFor(m, v);
  const out: PrincipalInit[] = [];
  const ors = m.values.map(one).filter((x): x is PrincipalInit => x !== null);
  if (ors.length > 0) out.push({ identifier: { case: 'orIds', value: { ids: ors } } });
  const nots = m.notValues.map(one).filter((x): x is PrincipalInit => x !== null);
  if (nots.length > 0) out.push({ identifier: { case: 'notId', value: { identifier: { case: 'orIds', value: { ids: nots } } } } });
  return out;
}

function permissionsOf(m: AuthzMatchView): PermissionInit[] {
  const one = (v: string): PermissionInit | null => permissionFor(m, v);
  const out: PermissionInit[] = [];
  const ors = m.values.map(one).filter((x): x is PermissionInit => x !== null);
  if (ors.length > 0) out.push({ rule: { case: 'orRules', value: { rules: ors } } });
  const nots = m.notValues.map(one).filter((x): x is PermissionInit => x !== null);
  if (nots.length > 0) out.push({ rule: { case: 'notRule', value: { rule: { case: 'orRules', value: { rules: nots } } } } });
  return out;
}

/** The SPIFFE URI prefix of workload identities (`spiffe://<trustDomain>/ns/<ns>/sa/<sa>`). */
export const SPIFFE_PREFIX = 'spiffe://';

function principalFor(m: AuthzMatchView, v: string): PrincipalInit | null {
  switch (m.attribute) {
    case 'source.principal': return authenticated(stringMatcher(v, SPIFFE_PREFIX));
    case 'source.namespace': return authenticated(regex(`.*/ns/${v.replaceAll('*', '.*')}/.*`));
    case 'source.ip': { const c = cidr(v); return c && { identifier: { case: 'directRemoteIp', value: c } }; }
    case 'remote.ip': { const c = cidr(v); return c && { identifier: { case: 'remoteIp', value: c } }; }
    case 'request.headers': return { identifier: { case: 'header', value: headerMatcher(m.key[0]!, v, false) } };
    case 'request.auth.principal': return requestPrincipal(v);
    case 'request.auth.audiences': return jwtClaim(['aud'], v);
    case 'request.auth.presenter': return jwtClaim(['azp'], v);
    case 'request.auth.claims': return jwtClaim(m.key, v);
    default: return null;
  }
}

function permissionFor(m: AuthzMatchView, v: string): PermissionInit | null {
  switch (m.attribute) {
    case 'host': return { rule: { case: 'header', value: headerMatcher(':authority', v, true) } };
    case 'method': return { rule: { case: 'header', value: headerMatcher(':method', v, false) } };
    case 'path': return { rule: { case: 'urlPath', value: { rule: { case: 'path', value: stringMatcher(v, '') } } } };
    case 'destination.port': return { rule: { case: 'destinationPort', value: Number(v) } };
    case 'destination.ip': { const c = cidr(v); return c && { rule: { case: 'destinationIp', value: c } }; }
    case 'connection.sni': return { rule: { case: 'requestedServerName', value: stringMatcher(v, '') } };
    default: return null;
  }
}

function authenticated(principalName: ReturnType<typeof stringMatcher>): PrincipalInit {
  return { identifier: { case: 'authenticated', value: { principalName } } };
}

function regex(r: string) {
  return { matchPattern: { case: 'safeRegex' as const, value: { regex: r } } };
}

/**
 * Istio's `StringMatcherWithPrefix`: `*` → regex `.+`; `*x` → suffix `x` (regex `<prefix>.*x` when a
 * prefix is set); `x*` → prefix `<prefix>x`; else exact `<prefix>x`.
 */
export function stringMatcher(v: string, prefix: string) {
  if (v === '*') return regex('.+');
  if (v.startsWith('*')) return prefix === '' ? { matchPattern: { case: 'suffix' as const, value: v.slice(1) } } : regex(`${prefix}.*${v.slice(1)}`);
  if (v.endsWith('*')) return { matchPattern: { case: 'prefix' as const, value: prefix + v.slice(0, -1) } };
  return { matchPattern: { case: 'exact' as const, value: prefix + v } };
}

/** Istio's `HeaderMatcher` / `HostMatcher` (hosts ignore case): `*` present, `*x` suffix, `x*` prefix, else exact. */
function headerMatcher(name: string, v: string, ignoreCase: boolean) {
  if (v === '*') return { name, headerMatchSpecifier: { case: 'presentMatch' as const, value: true } };
  const sm = v.startsWith('*') ? { case: 'suffix' as const, value: v.slice(1) } : v.endsWith('*') ? { case: 'prefix' as const, value: v.slice(0, -1) } : { case: 'exact' as const, value: v };
  return { name, headerMatchSpecifier: { case: 'stringMatch' as const, value: { matchPattern: sm, ignoreCase } } };
}

function cidr(v: string) {
  const r = parseIpBlock(v);
  if (!r) return null;
  const slash = v.lastIndexOf('/');
  // An address alone may carry an IPv6 zone (fe80::1%eth0); istiod's netip.PrefixFrom drops it.
  return { addressPrefix: slash < 0 ? v.split('%')[0]! : v.slice(0, slash), prefixLen: slash < 0 ? (r.family === 4 ? 32 : 128) : Number(v.slice(slash + 1)) };
}

const JWT_FILTER = 'envoy.filters.http.jwt_authn';

/**
 * A JWT claim from the `jwt_authn` filter's `payload` metadata (Istio ≥ 1.22's layout). `list`: as
 * istiod's `MetadataMatcherForJWTClaims` (`MetadataListValueMatcher` with extended JWT, istio/istio#50061),
 * a claim that is a list holding the value OR a claim that is the value (`or_match`); otherwise a plain
 * string match (`iss`, `sub` of request principals).
 */
function jwtClaim(claims: readonly string[], v: string, list = true): PrincipalInit {
  const element = { matchPattern: { case: 'stringMatch' as const, value: stringMatcher(v, '') } };
  const value = list
    ? { matchPattern: { case: 'orMatch' as const, value: { valueMatchers: [{ matchPattern: { case: 'listMatch' as const, value: { matchPattern: { case: 'oneOf' as const, value: element } } } }, element] } } }
    : element;
  return { identifier: { case: 'metadata', value: { filter: JWT_FILTER, path: ['payload', ...claims].map((k) => ({ segment: { case: 'key' as const, value: k } })), value } } };
}

/** `requestPrincipals` `iss/sub`: issuer AND subject claims (`*` any, `x*` / `*x` on the side that carries it). */
function requestPrincipal(v: string): PrincipalInit {
  const idx = v.lastIndexOf('/');
  const [iss, sub] = idx >= 0 ? [v.slice(0, idx), v.slice(idx + 1)] : [v, ''];
  let issM: string;
  let subM: string;
  if (v === '*') { issM = '*'; subM = '*'; } else if (idx < 0) { issM = v.endsWith('*') ? v : v.startsWith('*') ? '*' : v; subM = v.startsWith('*') ? v : '*'; } else { issM = iss; subM = sub; }
  return { identifier: { case: 'andIds', value: { ids: [jwtClaim(['iss'], issM, false), jwtClaim(['sub'], subM, false)] } } };
}
