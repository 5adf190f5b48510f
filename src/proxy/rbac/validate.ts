/**
 * What the RBAC engine cannot evaluate, found before config is accepted, so the proxy NACKs it
 * instead of deciding wrongly: unsupported matchers (metadata, filter_state, uri_template,
 * extension matchers, CEL conditions), RE2 that does not compile, bad CIDR prefixes, bad port ranges.
 */
import type { Permission, Principal, RBAC } from '../../xds/gen/envoy/config/rbac/v3/rbac_pb.js';
import type { StringMatcher } from '../../xds/gen/envoy/type/matcher/v3/string_pb.js';
import type { CidrRange } from '../../xds/gen/envoy/config/core/v3/address_pb.js';
import { parseCidr } from './cidr.js';
import { re2Full } from './string-match.js';

/**
 * Problems of one RBAC config, each `<path>: <what>; <how to fix>` where path starts at `at`
 * (e.g. `filter_chains[0].filters[1].rules`). Empty when the engine can evaluate it.
 */
export function validateRbac(rbac: RBAC, at: string): string[] {
  const errors: string[] = [];
  for (const [name, p] of Object.entries(rbac.policies)) {
    const base = `${at}.policies[${JSON.stringify(name)}]`;
    if (p.condition || p.checkedCondition) errors.push(`${base}.condition: CEL conditions are not supported by meshproof's proxy; express the rule with permissions/principals`);
    p.permissions.forEach((x, i) => checkPermission(x, `${base}.permissions[${i}]`, errors));
    p.principals.forEach((x, i) => checkPrincipal(x, `${base}.principals[${i}]`, errors));
  }
  return errors;
}

function unsupported(path: string, what: string): string {
  return `${path}: ${what} is not supported by meshproof's proxy; supported: and/or/not, any, header, url_path, destination_ip, destination_port(_range), requested_server_name, authenticated, source_ip, direct_remote_ip, remote_ip`;
}

function checkString(m: StringMatcher | undefined, path: string, errors: string[]): void {
  if (m?.matchPattern.case === 'safeRegex') {
    try { re2Full(m.matchPattern.value.regex); } catch (e) { errors.push(`${path}.safe_regex: ${(e as Error).message}`); }
  } else if (m?.matchPattern.case === 'custom') errors.push(unsupported(path, 'a custom string matcher'));
}

function checkCidr(r: CidrRange, path: string, errors: string[]): void {
  const c = parseCidr(r);
  if (typeof c === 'string') errors.push(`${path}: ${c}`);
}

function checkPermission(p: Permission, path: string, errors: string[]): void {
  const r = p.rule;
  switch (r.case) {
    case 'andRules': case 'orRules': r.value.rules.forEach((x, i) => checkPermission(x, `${path}.${r.case === 'andRules' ? 'and_rules' : 'or_rules'}.rules[${i}]`, errors)); return;
    case 'notRule': checkPermission(r.value, `${path}.not_rule`, errors); return;
    case 'any': case 'destinationPort': return;
    case 'header': if (r.value.headerMatchSpecifier.case === 'safeRegexMatch') checkString({ matchPattern: { case: 'safeRegex', value: r.value.headerMatchSpecifier.value } } as StringMatcher, `${path}.header`, errors);
      else if (r.value.headerMatchSpecifier.case === 'stringMatch') checkString(r.value.headerMatchSpecifier.value, `${path}.header.string_match`, errors);
      return;
    case 'urlPath': checkString(r.value.rule.value, `${path}.url_path.path`, errors); return;
    case 'requestedServerName': checkString(r.value, `${path}.requested_server_name`, errors); return;
    case 'destinationIp': checkCidr(r.value, `${path}.destination_ip`, errors); return;
    case 'destinationPortRange':
      if (r.value.start < 0 || r.value.end > 65536 || r.value.start >= r.value.end) errors.push(`${path}.destination_port_range: [${r.value.start}, ${r.value.end}) is not a port range; need 0 <= start < end <= 65536`);
      return;
    case undefined: errors.push(`${path}: no rule set; set one of and_rules, or_rules, any, header, url_path, destination_port, ...`); return;
    default: errors.push(unsupported(path, r.case));
  }
}

function checkPrincipal(p: Principal, path: string, errors: string[]): void {
  const r = p.identifier;
  switch (r.case) {
    case 'andIds': case 'orIds': r.value.ids.forEach((x, i) => checkPrincipal(x, `${path}.${r.case === 'andIds' ? 'and_ids' : 'or_ids'}.ids[${i}]`, errors)); return;
    case 'notId': checkPrincipal(r.value, `${path}.not_id`, errors); return;
    case 'any': return;
    case 'authenticated': checkString(r.value.principalName, `${path}.authenticated.principal_name`, errors); return;
    case 'sourceIp': case 'directRemoteIp': case 'remoteIp': checkCidr(r.value, `${path}.${r.case}`, errors); return;
    case 'header': if (r.value.headerMatchSpecifier.case === 'stringMatch') checkString(r.value.headerMatchSpecifier.value, `${path}.header.string_match`, errors); return;
    case 'urlPath': checkString(r.value.rule.value, `${path}.url_path.path`, errors); return;
    case undefined: errors.push(`${path}: no identifier set; set one of and_ids, or_ids, any, authenticated, source_ip, ...`); return;
    default: errors.push(unsupported(path, r.case));
  }
}
