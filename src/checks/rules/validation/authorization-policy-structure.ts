import { isRecord, type MeshObject } from '../../../mesh/object.js';
import { refusedConditions } from './_authz-conditions.js';
import { refusedOperationValues } from './_authz-operations.js';
import { refusedForAction, refusedSourceValues } from './_authz-sources.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

/** The source fields Istio's ValidateAuthorizationPolicy counts (one must be non-empty). */
const SOURCE_FIELDS = ['principals', 'requestPrincipals', 'namespaces', 'ipBlocks', 'remoteIpBlocks', 'notPrincipals', 'notRequestPrincipals',
  'notNamespaces', 'notIpBlocks', 'notRemoteIpBlocks', 'serviceAccounts', 'notServiceAccounts', 'trustDomains', 'notTrustDomains'];
/** The operation fields it counts. */
const OPERATION_FIELDS = ['ports', 'methods', 'paths', 'hosts', 'notPorts', 'notMethods', 'notPaths', 'notHosts'];

/**
 * Whether a source or operation sets one of `fields`: a non-empty list, or a value of another type
 * (`namespaces: web`), which the CRD schema refuses on its own (schema/crd-validation) and which is
 * not an empty source.
 */
const filled = (o: Readonly<Record<string, unknown>>, fields: readonly string[]) =>
  fields.some((f) => o[f] !== undefined && o[f] !== null && !(Array.isArray(o[f]) && (o[f] as unknown[]).length === 0));

/**
 * What Istio's ValidateAuthorizationPolicy (pkg/config/validation/validation.go) refuses in `rules[i]`:
 * `from` or `to` written as an empty list, an entry without `source` / `operation`, or one whose source or
 * operation sets none of its fields. Each problem is `[message, path]`; empty when the rule is accepted.
 */
export function refusedRuleShapes(rule: unknown, i: number): [string, FieldPath][] {
  if (!isRecord(rule)) return [];
  const out: [string, FieldPath][] = [];
  const base: FieldPath = ['spec', 'rules', i];
  for (const [list, key, fields] of [['from', 'source', SOURCE_FIELDS], ['to', 'operation', OPERATION_FIELDS]] as const) {
    const entries = rule[list];
    if (!Array.isArray(entries)) continue;
    if (entries.length === 0) out.push([`\`${list}\` must not be empty, found at rule ${i}`, [...base, list]]);
    entries.forEach((e, j) => {
      const inner = isRecord(e) ? e[key] : undefined;
      if (!isRecord(inner)) out.push([`\`${list}.${key}\` must not be nil, found at rule ${i}`, [...base, list, j]]);
      else if (!filled(inner, fields)) out.push([`\`${list}.${key}\` must not be empty, found at rule ${i}`, [...base, list, j, key]]);
    });
  }
  return out;
}

/** `validation/authorization-policy-structure` (IST0106): AuthorizationPolicy rules Istio's webhook refuses. */
const authorizationPolicyStructure: Rule = {
  id: 'validation/authorization-policy-structure',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'An AuthorizationPolicy rule Istio\'s admission webhook refuses: an empty `from` or `to` list, a `from` / `to` entry whose source or operation is missing or sets nothing, a source value it cannot parse (IP block, service account, trust domain), a `when` condition on an unknown attribute or with values it cannot parse, an empty method, path or host or a path template it cannot read (/api/{id}), or a rule its action does not support (CUSTOM with source identities).',
  docs: [
    'Istio\'s `ValidateAuthorizationPolicy` refuses, beyond the CRD schema, a rule with `from: []` or `to: []`, a',
    '`from` entry without `source` or with `source: {}` (none of principals, requestPrincipals, namespaces, ipBlocks,',
    'remoteIpBlocks, serviceAccounts, trustDomains or their `not` forms), and a `to` entry without `operation` or',
    'with `operation: {}` (none of ports, methods, paths, hosts or their `not` forms). The whole policy is refused, so',
    'whatever it was meant to allow or deny does not happen. A common cause is a misspelt field (`source: {namespace:',
    'x}`) that the schema drops, leaving the source empty. A rule that should match every request is written `{}`.',
    'It also refuses a `when` condition without `key`, with neither `values` nor `notValues`, or that',
    'security.ValidateAttribute refuses: an attribute Istio does not know (`source.namespaces` for `source.namespace`; the',
    'source FIELDS are plural, the condition ATTRIBUTES singular), a header or claim key not written `name[x]`, an empty',
    'value, an IP or CIDR (`source.ip`, `remote.ip`, `destination.ip`) or port (`destination.port`) that does not parse,',
    'a `source.serviceAccount` value refused as a serviceAccounts entry is, a `source.trustDomain` value with a wildcard',
    'in the middle,',
    'and the retired `destination.namespace` / `destination.labels[...]` / `destination.name` / `destination.user`.',
    'It refuses source values that do not parse: an `ipBlocks` / `remoteIpBlocks` entry (and their `not` forms) that is',
    'neither an address nor a CIDR (security.ValidateIPs), a `serviceAccounts` entry with a wildcard, an empty part or',
    'more than one "/" (security.CheckServiceAccount: service accounts are exact, "ns/name" or "name"), a `trustDomains`',
    'entry with "/" or a wildcard in the middle, and empty strings. By action: a CUSTOM policy without `rules` or',
    '`provider.name`, a CUSTOM rule with source identities (namespaces, principals, serviceAccounts, trustDomains,',
    'requestPrincipals) or a condition on source.namespace / source.principal / source.serviceAccount /',
    'source.trustDomain / request.auth.*, which the external authorizer filter cannot see; `provider` on another',
    'action; a DENY policy without `rules`. In `to[].operation` it refuses an empty string in methods, paths, hosts',
    'or their `not` forms, and a path security.CheckValidPathTemplate refuses: `{` or `}` other than the whole-segment',
    'templates `{*}` and `{**}` (`/api/{id}` is refused: name no parameters), a template after `{**}`, and in a templated',
    'path an empty segment or one with characters outside RFC 3986 pchar (such as `*`).',
    'Fix: fill the source or operation, or remove the empty list; spell the condition key as an attribute; write',
    'the value in the form named; for CUSTOM, match on operations and headers and leave identities to an ALLOW or',
    'DENY policy.',
  ].join(' '),
  kinds: ['AuthorizationPolicy'],
  check(graph, ctx) {
    for (const ap of graph.ofKind('AuthorizationPolicy') as readonly MeshObject[]) {
      for (const [message, path] of refusedForAction(ap.spec)) {
        ctx.report(ap, `${message}: Istio refuses this AuthorizationPolicy, so it neither allows nor denies anything`, { path });
      }
      (Array.isArray(ap.spec.rules) ? ap.spec.rules : []).forEach((rule, i) => {
        for (const [message, path] of refusedRuleShapes(rule, i)) {
          ctx.report(ap, `${message}: Istio refuses this AuthorizationPolicy; name what the ${String(path[3])} entry matches, or remove it (a rule matching every request is written {})`, { path });
        }
        for (const [message, path] of refusedSourceValues(rule, i)) {
          ctx.report(ap, `${message}: Istio refuses this AuthorizationPolicy; write each value in the form named (an IP address or CIDR such as ` +
            '10.8.0.0/23; a service account as "namespace/name" or "name", without wildcards; a trust domain without "/")', { path });
        }
        for (const [message, path] of refusedOperationValues(rule, i)) {
          ctx.report(ap, `${message}: Istio refuses this AuthorizationPolicy; remove the empty entry, and write a path template with whole segments ` +
            '{*} (one segment) and a last {**} (the rest), e.g. /api/{*}/orders or /static/{**}; a path without template matches exactly, or by prefix/suffix with *', { path });
        }
        for (const [message, path] of refusedConditions(rule, i)) {
          ctx.report(ap, `${message}: Istio refuses this AuthorizationPolicy; write the condition with a key Istio knows (source.namespace, source.principal, ` +
            'source.ip, remote.ip, request.headers[name], request.auth.claims[name], destination.port, connection.sni, …) and at least one value', { path });
        }
      });
    }
  },
};

export default authorizationPolicyStructure;
