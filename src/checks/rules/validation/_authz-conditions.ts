import { isRecord } from '../../../mesh/object.js';
import { parseIpBlock } from '../../../validate/authorization.js';
import { closest } from '../../config/did-you-mean.js';
import { serviceAccountProblem, wildcardProblem } from './_authz-values.js';
import type { FieldPath } from '../../types.js';

/** The attributes a `when` condition may name exactly (pkg/config/security/security.go). */
const EXACT_KEYS = ['source.ip', 'remote.ip', 'source.namespace', 'source.serviceAccount', 'source.principal', 'source.trustDomain',
  'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter', 'destination.ip', 'destination.port', 'connection.sni'];
/** The attributes written `prefix[name]`. */
const MAP_KEYS = ['request.headers', 'request.auth.claims'];
/** Attributes Istio once had and now refuses with a reason of its own. */
const RETIRED: Readonly<Record<string, string>> = {
  'destination.namespace': 'is replaced by the metadata.namespace',
  'destination.name': 'is a deprecated attribute, only supported in v1alpha1',
  'destination.user': 'is a deprecated attribute, only supported in v1alpha1',
};

/**
 * Whether security.ValidateIPs refuses `v` (Go `netip.ParsePrefix` with a `/`, else `netip.ParseAddr`): the one
 * parser (`parseIpBlock`) the mesh view and the RBAC translation read ipBlocks with, so all three agree with istiod.
 */
export const badIp = (v: string): boolean => parseIpBlock(v) === null;
const badPort = (v: string): boolean => !/^\d+$/.test(v) || Number(v) > 65535;
const mapKeyOk = (key: string): boolean => {
  const open = key.indexOf('[');
  return key.endsWith(']') && open > 0 && open < key.length - 2;
};

/** Why Istio's ValidateAttribute refuses `key` with `values`, or undefined when it accepts them. */
function attributeProblem(key: string, values: readonly string[]): string | undefined {
  if (values.some((v) => v === '')) return `empty value not allowed, found in ${key}`;
  const map = MAP_KEYS.find((k) => key.startsWith(k)) ?? (key.startsWith('experimental.envoy.filters.') ? key : undefined);
  if (map !== undefined) return mapKeyOk(key) ? undefined : `bad key (${key}): should have format a[b]`;
  if (key === 'source.ip' || key === 'remote.ip' || key === 'destination.ip') {
    const bad = values.filter(badIp);
    return bad.length > 0 ? `bad IP address or CIDR range (${bad.join(', ')})` : undefined;
  }
  if (key === 'source.serviceAccount') return serviceAccountProblem(key, values);
  if (key === 'source.trustDomain') return wildcardProblem(key, values);
  if (key === 'destination.port') {
    const bad = values.filter(badPort);
    return bad.length > 0 ? `bad port (${bad.join(', ')})` : undefined;
  }
  if (EXACT_KEYS.includes(key)) return undefined;
  if (RETIRED[key]) return `attribute ${key} ${RETIRED[key]}`;
  if (key.startsWith('destination.labels')) return `attribute ${key} is replaced by the workload selector`;
  const near = closest(key, EXACT_KEYS);
  return `unknown attribute: ${key}${near ? ` (did you mean "${near}"?)` : ''}`;
}

/**
 * What Istio's ValidateAuthorizationPolicy (pkg/config/validation/validation.go) refuses in the `when`
 * conditions of `rules[i]`: an empty key, a condition with neither `values` nor `notValues`, and a key
 * or value security.ValidateAttribute refuses (an unknown attribute such as `source.namespaces`, a
 * header or claim key not written `name[x]`, an IP, CIDR or port that does not parse, an empty value).
 * Each problem is `[message, path]`.
 */
export function refusedConditions(rule: unknown, i: number): [string, FieldPath][] {
  if (!isRecord(rule) || !Array.isArray(rule.when)) return [];
  const out: [string, FieldPath][] = [];
  rule.when.forEach((c, j) => {
    if (!isRecord(c)) return;
    const path: FieldPath = ['spec', 'rules', i, 'when', j];
    const key = typeof c.key === 'string' ? c.key : '';
    const values = Array.isArray(c.values) ? c.values.filter((v): v is string => typeof v === 'string') : [];
    const notValues = Array.isArray(c.notValues) ? c.notValues.filter((v): v is string => typeof v === 'string') : [];
    if (key === '') {
      out.push([`\`key\` must not be empty, found at rule ${i} condition ${j}`, [...path, 'key']]);
    } else if (values.length === 0 && notValues.length === 0) {
      out.push([`at least one of \`values\` or \`notValues\` must be set for key ${key}, found at rule ${i} condition ${j}`, path]);
    } else {
      // Istio validates values and notValues alike; a problem of the key itself (unknown attribute) is told once.
      const told = new Set<string>();
      for (const [field, list] of [['value', values], ['notValue', notValues]] as const) {
        const problem = attributeProblem(key, list);
        if (!problem || told.has(problem)) continue;
        told.add(problem);
        out.push([`invalid \`${field}\` for \`key\` ${key}: ${problem}, found at rule ${i} condition ${j}`, [...path, list === values ? 'values' : 'notValues']]);
      }
    }
  });
  return out;
}
