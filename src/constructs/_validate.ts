import type { IConstruct } from 'constructs';
import { RE2JS } from 're2js';
import { PropError } from './_errors.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HEADER_NAME = /^[a-z0-9!#$%&'*+\-.^_`|~]+$/;
const HOST_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/i;

/** A DNS-1123 label: lower-case alphanumerics and '-', at most 63 characters (names, subsets, versions). */
export function checkDnsLabel(scope: IConstruct, field: string, value: string): string {
  if (typeof value !== 'string' || value.length > 63 || !DNS1123_LABEL.test(value)) {
    throw new PropError('MP_INVALID_NAME', scope, field, value,
      'expected a DNS-1123 label: at most 63 lower-case letters, digits or "-", starting and ending with a letter or digit');
  }
  return value;
}

/** An HTTP header name as Istio matches it: lower case (Envoy lower-cases header names). */
export function checkHeaderName(scope: IConstruct, field: string, value: string): string {
  if (typeof value !== 'string' || !HEADER_NAME.test(value)) {
    const hint = typeof value === 'string' && value.toLowerCase() !== value ? ` (use "${value.toLowerCase()}")` : '';
    throw new PropError('MP_INVALID_HEADER_NAME', scope, field, value,
      `expected a lower-case HTTP header name: letters a-z, digits and !#$%&'*+-.^_\`|~${hint}`);
  }
  return value;
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
  const entries = Object.entries(labels);
  if (entries.length === 0 || entries.some(([k, v]) => k.length === 0 || k.includes('*') || v.includes('*'))) {
    throw new PropError('MP_INVALID_PROP', scope, field, labels, `expected at least one label, without wildcards${hint}`);
  }
  return { ...labels };
}
