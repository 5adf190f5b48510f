/**
 * The HTTP (`envoy.filters.http.rbac`) and network (`envoy.filters.network.rbac`) RBAC filters
 * around the pure engine, and Istio's layering: istiod emits one RBAC filter per action, DENY before
 * ALLOW (CUSTOM and AUDIT aside), each evaluated in chain order; the first denial wins.
 *
 * HTTP denial: local reply 403, body `RBAC: access denied`, response code details
 * `rbac_access_denied_matched_policy[<policy>|none]` (Envoy `rbac_filter.cc`). Network denial: the
 * connection is closed without flushing, with the same termination details.
 */
import { anyUnpack, type Any } from '@bufbuild/protobuf/wkt';
import type { RBAC as RbacRules } from '../../xds/gen/envoy/config/rbac/v3/rbac_pb.js';
import { type RBAC as HttpRbac, RBACSchema as HttpRbacSchema } from '../../xds/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import { type RBAC as NetworkRbac, RBACSchema as NetworkRbacSchema } from '../../xds/gen/envoy/extensions/filters/network/rbac/v3/rbac_pb.js';
import { evaluateRbac, type RbacConnection, type RbacDecision, type RbacRequest } from './engine.js';
import { validateRbac } from './validate.js';

export const HTTP_RBAC_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
export const NETWORK_RBAC_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC';
/** Body of Envoy's HTTP RBAC local reply. */
export const RBAC_DENIED_BODY = 'RBAC: access denied';

/** One RBAC filter ready to evaluate: its enforced rules (undefined = allow all) and shadow rules. */
export interface RbacFilter {
  /** The filter's name in the chain, e.g. `envoy.filters.http.rbac`. */
  readonly name: string;
  readonly rules?: RbacRules;
  readonly shadowRules?: RbacRules;
  /** `shadow_rules_stat_prefix`: prefixes the dynamic metadata keys of the shadow result. @default '' */
  readonly shadowRulesStatPrefix?: string;
}

/** Result of a chain of RBAC filters. */
export interface RbacVerdict {
  readonly allowed: boolean;
  /** The filter that denied, and the policy that decided (`none` when no policy matched an ALLOW). */
  readonly deniedBy?: string;
  readonly matchedPolicy?: string;
  /** Envoy's response code / connection termination details, e.g. `rbac_access_denied_matched_policy[ns[foo]-policy[deny]-rule[0]]`. */
  readonly details?: string;
  /** Shadow decisions by filter name (logged, never enforced). */
  readonly shadow: Readonly<Record<string, RbacDecision>>;
}

/** Envoy's `responseDetail`: `rbac_access_denied_matched_policy[<id>]`, `none` when no policy matched. */
export function rbacDeniedDetails(policy: string | undefined): string {
  return `rbac_access_denied_matched_policy[${policy ?? 'none'}]`;
}

/**
 * Reads one filter's typed_config when it is an RBAC filter of the given kind; `undefined` for any
 * other filter. Throws `Error` naming `at` and the problems when the rules cannot be evaluated
 * (unsupported matchers, bad RE2, bad CIDR) or the unified `matcher` form is used.
 */
export function readRbacFilter(kind: 'http' | 'network', name: string, typedConfig: Any | undefined, at: string): RbacFilter | undefined {
  const url = kind === 'http' ? HTTP_RBAC_TYPE_URL : NETWORK_RBAC_TYPE_URL;
  if (!typedConfig || typedConfig.typeUrl !== url) return undefined;
  const cfg: HttpRbac | NetworkRbac | undefined = kind === 'http' ? anyUnpack(typedConfig, HttpRbacSchema) : anyUnpack(typedConfig, NetworkRbacSchema);
  if (!cfg) throw new Error(`${at}: typed_config of ${name} does not decode as ${url}`);
  const errors: string[] = [];
  if (cfg.matcher || cfg.shadowMatcher) errors.push(`${at}.matcher: the unified matcher form of RBAC is not supported; use rules`);
  if (cfg.rules) errors.push(...validateRbac(cfg.rules, `${at}.rules`));
  if (cfg.shadowRules) errors.push(...validateRbac(cfg.shadowRules, `${at}.shadow_rules`));
  if (errors.length) throw new Error(errors.join('\n'));
  return {
    name, ...(cfg.rules ? { rules: cfg.rules } : {}), ...(cfg.shadowRules ? { shadowRules: cfg.shadowRules } : {}),
    ...(cfg.shadowRulesStatPrefix ? { shadowRulesStatPrefix: cfg.shadowRulesStatPrefix } : {}),
  };
}

/**
 * The dynamic metadata Envoy's RBAC filters write for a shadow decision (`rbac_filter.cc`):
 * `<prefix>shadow_effective_policy_id` (the matched policy, absent when none matched) and
 * `<prefix>shadow_engine_result` (`allowed` / `denied`). Istio's CUSTOM action reads the policy id
 * (prefix `istio_ext_authz_`) to decide whether ext_authz runs.
 */
export function shadowMetadata(prefix: string, d: RbacDecision): Record<string, string> {
  const out: Record<string, string> = {};
  if (d.matchedPolicy !== undefined) out[`${prefix}shadow_effective_policy_id`] = d.matchedPolicy;
  out[`${prefix}shadow_engine_result`] = d.allowed ? 'allowed' : 'denied';
  return out;
}

/**
 * Evaluates RBAC filters in chain order (HTTP filters with the request, network filters without).
 * Stops at the first denial. A filter without rules allows everything.
 */
export function evaluateRbacFilters(filters: readonly RbacFilter[], conn: RbacConnection, request?: RbacRequest): RbacVerdict {
  const shadow: Record<string, RbacDecision> = {};
  for (const f of filters) {
    if (f.shadowRules) shadow[f.name] = evaluateRbac(f.shadowRules, conn, request);
    if (!f.rules) continue;
    const d = evaluateRbac(f.rules, conn, request);
    if (!d.allowed) {
      return { allowed: false, deniedBy: f.name, matchedPolicy: d.matchedPolicy ?? 'none', details: rbacDeniedDetails(d.matchedPolicy), shadow };
    }
  }
  return { allowed: true, shadow };
}
