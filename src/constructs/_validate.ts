import type { IConstruct } from 'constructs';
import { RE2JS } from 're2js';
import { isKubernetesDnsLabel } from '../validate/object-meta.js';
import { RETRY_ON_POLICIES, isValidRetryOnEntry } from '../validate/retry-on.js';
import { PropError } from './_errors.js';

const HEADER_NAME = /^[a-z0-9!#$%&'*+\-.^_`|~]+$/;
const HOST_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/i;

/** A DNS-1123 label: lower-case alphanumerics and '-', at most 63 characters (names, subsets, versions). */
export function checkDnsLabel(scope: IConstruct, field: string, value: string): string {
  if (typeof value !== 'string' || !isKubernetesDnsLabel(value)) {
    throw new PropError('MP_INVALID_NAME', scope, field, value,
      'expected a DNS-1123 label: at most 63 lower-case letters, digits or "-", starting and ending with a letter or digit');
  }
  return value;
}

/** An HTTP header name as Istio matches it: lower case (Envoy lower-cases header names). */
export function checkHeaderName(scope: IConstruct, field: string, value: string): string {
  if (typeof value !== 'string' || !HEADER_NAME.test(value)) {
    const suggestion = typeof value === 'string' ? headerNameLike(value) : undefined;
    const hint = suggestion !== undefined ? ` (use "${suggestion}")` : '';
    throw new PropError('MP_INVALID_HEADER_NAME', scope, field, value,
      `expected a lower-case HTTP header name: letters a-z, digits and !#$%&'*+-.^_\`|~${hint}`);
  }
  return value;
}

/**
 * A valid header name close to `value`: lower case, each run of other characters (spaces, `:`, `/`...) as
 * one `-` (`X User` → `x-user`); undefined when nothing valid is left.
 */
function headerNameLike(value: string): string | undefined {
  const name = value.toLowerCase().replace(/[^a-z0-9!#$%&'*+\-.^_`|~]+/g, '-').replace(/^-+|-+$/g, '');
  return name !== '' && name !== value && HEADER_NAME.test(name) ? name : undefined;
}

/** A regular expression Envoy accepts: RE2 syntax (no look-around, no back-references). */
export function checkRe2(scope: IConstruct, field: string, value: string): string {
  try {
    if (typeof value !== 'string') throw new Error('not a string');
    RE2JS.compile(value);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new PropError('MP_INVALID_REGEX', scope, field, value,
      `expected an RE2 regular expression (no look-around, no back-references): ${why}`);
  }
  return value;
}

/**
 * A host as Istio accepts it in VirtualService, Gateway and ServiceEntry hosts: a DNS name,
 * optionally with a leading `*.` wildcard, or `*` alone when `allowStar` is set.
 */
export function checkHost(scope: IConstruct, field: string, value: string, opts: { allowStar?: boolean } = {}): string {
  const ok = typeof value === 'string' && (
    (opts.allowStar === true && value === '*') ||
    isDnsName(value.startsWith('*.') ? value.slice(2) : value));
  if (!ok) {
    throw new PropError('MP_INVALID_HOST', scope, field, value,
      `expected a DNS name such as "bookinfo.app" or a wildcard such as "*.example.com"${opts.allowStar ? ' or "*"' : ''}`);
  }
  return value;
}

function isDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => label.length <= 63 && HOST_LABEL.test(label));
}

/** A route weight: an integer from 0 to 100. */
export function checkWeight(scope: IConstruct, field: string, value: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
    throw new PropError('MP_INVALID_WEIGHT', scope, field, value, 'expected an integer from 0 to 100');
  }
  return value;
}

/** Weights across the destinations of one route must total exactly 100. */
export function checkWeightTotal(scope: IConstruct, field: string, weights: readonly number[]): void {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total !== 100) {
    throw new PropError('MP_WEIGHT_TOTAL', scope, field, weights,
      `expected weights that total 100 (these total ${total})`);
  }
}

/** A TCP/UDP port number. */
export function checkPort(scope: IConstruct, field: string, value: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new PropError('MP_INVALID_PORT', scope, field, value, 'expected an integer port from 1 to 65535');
  }
  return value;
}

/**
 * Labels of a workload selector: at least one, no empty keys, no `*` (Istio rejects wildcards in
 * selectors and an empty selector would silently mean "every workload"). `hint` is added to the
 * error, e.g. what to use instead for all workloads.
 */
export function checkSelectorLabels(scope: IConstruct, field: string, labels: Readonly<Record<string, string>>, hint = ''): Record<string, string> {
  const entries = recordEntries(scope, field, labels);
  if (entries.length === 0 || entries.some(([k, v]) => k.length === 0 || k.includes('*') || v.includes('*'))) {
    throw new PropError('MP_INVALID_PROP', scope, field, labels, `expected at least one label, without wildcards${hint}`);
  }
  return Object.fromEntries(entries);
}

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * A DNS-1035 label, what Kubernetes requires of Service names: at most 63 lower-case letters,
 * digits or '-', starting with a letter and ending with a letter or digit.
 */
export function checkDns1035Label(scope: IConstruct, field: string, value: string): string {
  if (typeof value !== 'string' || value.length > 63 || !DNS1035_LABEL.test(value)) {
    const hint = typeof value === 'string' && /^[0-9]/.test(value) ? ' (a Service name cannot start with a digit)' : '';
    throw new PropError('MP_INVALID_NAME', scope, field, value,
      `expected a DNS-1035 label, as Kubernetes requires of Service names: at most 63 lower-case letters, digits or "-", starting with a letter and ending with a letter or digit${hint}`);
  }
  return value;
}

/** A Kubernetes object name: a DNS-1123 subdomain (dot-separated DNS-1123 labels, at most 253 characters). */
export function checkObjectName(scope: IConstruct, field: string, value: string, hint = ''): string {
  const ok = typeof value === 'string' && value.length > 0 && value.length <= 253 &&
    value.split('.').every((part) => isKubernetesDnsLabel(part));
  if (!ok) {
    throw new PropError('MP_INVALID_NAME', scope, field, value,
      `expected a DNS-1123 subdomain: at most 253 lower-case letters, digits, "-" and ".", each dot-separated part starting and ending with a letter or digit${hint}`);
  }
  return value;
}

/** A container image reference: not blank, no whitespace (the API server refuses leading or trailing whitespace; no registry accepts inner spaces). */
export function checkImage(scope: IConstruct, field: string, value: string): string {
  if (typeof value !== 'string' || value.trim().length === 0 || /\s/.test(value)) {
    throw new PropError('MP_INVALID_IMAGE', scope, field, value,
      'expected a container image reference without whitespace, e.g. "registry.example/cart:1.4.0"');
  }
  return value;
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * An environment variable name as the API server accepts it (`IsEnvVarName`): letters, digits,
 * '_', '-' and '.', not starting with a digit; never '=', which would split `NAME=VALUE`.
 */
export function checkEnvName(scope: IConstruct, field: string, name: string): string {
  if (typeof name !== 'string' || !ENV_NAME.test(name) || name === '__proto__') {
    const why = typeof name === 'string' && name.includes('=') ? ' ("=" separates name from value; put the value on the right)'
      : name === '__proto__' ? ' ("__proto__" would set the prototype of the map, not a variable)' : '';
    throw new PropError('MP_INVALID_ENV', scope, field, name,
      `expected an environment variable name: letters, digits, "_", "-" and ".", not starting with a digit${why}`);
  }
  return name;
}

const INT32_MAX = 2_147_483_647;

/** An integer from `min` to 2^31-1 (the API server's int32 fields: replicas, ports, counts). */
export function checkInt32(scope: IConstruct, field: string, value: number, min = 0): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > INT32_MAX) {
    throw new PropError('MP_INVALID_PROP', scope, field, value, `expected an integer from ${min} to ${INT32_MAX} (int32)`);
  }
  return value;
}

/** A string that is not empty or only whitespace, e.g. a file path or a provider name. */
export function checkNonBlank(scope: IConstruct, field: string, value: string, what: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new PropError('MP_INVALID_PROP', scope, field, value, `expected ${what}; omit the field instead of leaving it blank`);
  }
  return value;
}

/**
 * `value` when it is one of the table's own keys. `in` and `table[value]` would also accept
 * inherited names (`"constructor"`, `"toString"`, `"__proto__"`) and hand back a function.
 */
export function oneOf<K extends string, V>(scope: IConstruct, field: string, value: K, table: Readonly<Record<K, V>>): V {
  if (typeof value !== 'string' || !Object.hasOwn(table, value)) {
    throw new PropError('MP_INVALID_PROP', scope, field, value, `expected one of ${Object.keys(table).join(', ')}`);
  }
  return table[value];
}

/**
 * The own entries of a record prop (labels, env, headers, …), refusing a `__proto__` key: copied
 * into a plain object it would replace the prototype instead of adding an entry (and poison
 * lookups that follow). Keys such as `constructor` or `toString` are ordinary keys here.
 */
export function recordEntries<V>(scope: IConstruct, field: string, record: Readonly<Record<string, V>>): [string, V][] {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new PropError('MP_INVALID_PROP', scope, field, record, 'expected an object of name/value pairs');
  }
  const entries = Object.entries(record);
  for (const [k] of entries) {
    if (k === '__proto__') {
      throw new PropError('MP_FORBIDDEN_KEY', scope, `${field}.__proto__`, k, 'expected no "__proto__" key: it would set the prototype of the map, not an entry');
    }
  }
  return entries;
}

/**
 * An `exportTo` list as Istio's webhook accepts it (`validateExportTo`), and not empty: `[]` reads
 * like "export nowhere" but Istio treats it as unset, i.e. every namespace. Entries: `.` (this
 * namespace, `namespace` when known), `*` (all, and then alone), or namespace names; no duplicates.
 */
export function checkExportTo(scope: IConstruct, field: string, list: readonly string[] | undefined, namespace?: string): string[] | undefined {
  if (list === undefined) return undefined;
  const allowed = 'expected ".", "*" or namespace names (omit exportTo for every namespace; use ["."] for this namespace only)';
  if (!Array.isArray(list) || list.length === 0) {
    throw new PropError('MP_INVALID_EXPORT_TO', scope, field, list,
      `${allowed}; an empty list does not hide the object: Istio reads it as unset and exports it to every namespace`);
  }
  const seen = new Set<string>();
  list.forEach((e, i) => {
    if (typeof e !== 'string' || !(e === '.' || e === '*' || isKubernetesDnsLabel(e))) {
      throw new PropError('MP_INVALID_EXPORT_TO', scope, `${field}[${i}]`, e, `${allowed} ("~" is for ServiceEntries alone)`);
    }
    const key = e === '.' && namespace !== undefined ? namespace : e;
    if (seen.has(key)) {
      throw new PropError('MP_INVALID_EXPORT_TO', scope, `${field}[${i}]`, e, `expected each namespace once${key !== e ? ` ("." is ${namespace})` : ''}`);
    }
    seen.add(key);
  });
  if (seen.has('*') && list.length > 1) {
    throw new PropError('MP_INVALID_EXPORT_TO', scope, field, list, 'expected "*" alone: Istio refuses "*" together with other entries');
  }
  return [...list];
}

/** One `retryOn` entry: a retry condition Istio knows, or an HTTP status code such as "503". */
export function checkRetryOn(scope: IConstruct, field: string, value: string): string {
  const ok = typeof value === 'string' && (RETRY_ON_POLICIES.includes(value) || (/^\d{3}$/.test(value) && isValidRetryOnEntry(value)));
  if (!ok) {
    throw new PropError('MP_INVALID_RETRY_ON', scope, field, value,
      `expected one of ${RETRY_ON_POLICIES.join(', ')}, or an HTTP status code such as "503" (Istio refuses other values)`);
  }
  return value;
}
