import { isRecord } from '../../../mesh/object.js';
import { badIp } from './_authz-conditions.js';
import { serviceAccountProblem, trustDomainProblem } from './_authz-values.js';
import type { FieldPath } from '../../types.js';

/** Source fields whose values security.ValidateIPs parses (an address or a CIDR prefix). */
const IP_FIELDS = ['ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks'];
/** Source fields whose values security.CheckEmptyValues only requires to be non-empty. */
const PLAIN_FIELDS = ['principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces'];
/** Source identity fields a CUSTOM rule cannot use (ValidateAuthorizationPolicy, AuthorizationPolicy_CUSTOM). */
const CUSTOM_SOURCE_FIELDS = ['namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'trustDomains', 'notTrustDomains',
  'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals'];
/** Condition keys a CUSTOM rule cannot use, besides every `request.auth.*`. */
const CUSTOM_CONDITION_KEYS = ['source.namespace', 'source.serviceAccount', 'source.trustDomain', 'source.principal'];

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Why Istio refuses the values of one source field, or undefined. */
function sourceFieldProblem(field: string, values: readonly string[]): string | undefined {
  if (IP_FIELDS.includes(field)) {
    const empty = values.some((v) => v === '');
    if (empty) return `empty value not allowed, found in ${field}`;
    const bad = values.filter(badIp);
    return bad.length > 0 ? `bad IP address or CIDR range (${bad.join(', ')}) in ${field}` : undefined;
  }
  if (field === 'serviceAccounts' || field === 'notServiceAccounts') return serviceAccountProblem(field, values);
  if (field === 'trustDomains' || field === 'notTrustDomains') return trustDomainProblem(field, values);
  if (PLAIN_FIELDS.includes(field) && values.some((v) => v === '')) return `empty value not allowed, found in ${field}`;
  return undefined;
}

/**
 * What Istio's ValidateAuthorizationPolicy (pkg/config/validation/validation.go) refuses in the values of
 * the `from[].source` fields of `rules[i]`: an IP or CIDR that does not parse (security.ValidateIPs), a
 * service account with a wildcard, an empty part or more than one '/' (security.CheckServiceAccount), a
 * trust domain with '/' or a wildcard in the middle (security.CheckTrustDomainValues), and empty values.
 * Each problem is `[message, path]`.
 */
export function refusedSourceValues(rule: unknown, i: number): [string, FieldPath][] {
  if (!isRecord(rule) || !Array.isArray(rule.from)) return [];
  const out: [string, FieldPath][] = [];
  rule.from.forEach((f, j) => {
    const source = isRecord(f) && isRecord(f.source) ? f.source : undefined;
    if (!source) return;
    for (const [field, value] of Object.entries(source)) {
      const problem = sourceFieldProblem(field, strings(value));
      if (problem) out.push([`${problem}, found at rule ${i} from ${j}`, ['spec', 'rules', i, 'from', j, 'source', field]]);
    }
  });
  return out;
}

/**
 * What ValidateAuthorizationPolicy refuses in a policy because of its action: a CUSTOM policy without
 * `rules` or without `provider.name`, a CUSTOM rule with source identities (namespaces, principals,
 * serviceAccounts, trustDomains, requestPrincipals and their `not` forms) or with a condition on
 * source.namespace / source.serviceAccount / source.trustDomain / source.principal / request.auth.*, which
 * the external authorizer filter cannot see; a `provider` on another action; a DENY policy without `rules`.
 */
export function refusedForAction(spec: Readonly<Record<string, unknown>>): [string, FieldPath][] {
  const action = typeof spec.action === 'string' ? spec.action : 'ALLOW';
  const rules = Array.isArray(spec.rules) ? spec.rules : undefined;
  const out: [string, FieldPath][] = [];
  const provider = isRecord(spec.provider) ? spec.provider : undefined;
  if (action === 'CUSTOM') {
    if (spec.rules === undefined || spec.rules === null) {
      out.push(['CUSTOM action without `rules` is meaningless as it will never be triggered; add an empty rule `{}` if you want it triggered for every request', ['spec', 'action']]);
    } else if (typeof provider?.name !== 'string' || provider.name === '') {
      out.push(['`provider.name` must not be empty for the CUSTOM action (name an extensionProviders entry of the MeshConfig)', ['spec', 'provider']]);
    }
    (rules ?? []).forEach((rule, i) => {
      if (!isRecord(rule)) return;
      (Array.isArray(rule.from) ? rule.from : []).forEach((f, j) => {
        const source = isRecord(f) && isRecord(f.source) ? f.source : {};
        for (const field of CUSTOM_SOURCE_FIELDS.filter((k) => strings(source[k]).length > 0)) {
          out.push([`From.${field[0]!.toUpperCase()}${field.slice(1)} is currently not supported with CUSTOM action, found at rule ${i} from ${j}`, ['spec', 'rules', i, 'from', j, 'source', field]]);
        }
      });
      (Array.isArray(rule.when) ? rule.when : []).forEach((c, j) => {
        const key = isRecord(c) && typeof c.key === 'string' ? c.key : '';
        if (CUSTOM_CONDITION_KEYS.includes(key) || key.startsWith('request.auth.')) {
          out.push([`${key} is currently not supported with CUSTOM action, found at rule ${i} condition ${j}`, ['spec', 'rules', i, 'when', j, 'key']]);
        }
      });
    });
  } else if (provider !== undefined) {
    out.push([`\`provider\` must not be with non CUSTOM action, found ${action}`, ['spec', 'provider']]);
  }
  if (action === 'DENY' && (spec.rules === undefined || spec.rules === null)) {
    out.push(['DENY action without `rules` is meaningless as it will never be triggered; add an empty rule `{}` if you want it triggered for every request', ['spec', 'action']]);
  }
  return out;
}
