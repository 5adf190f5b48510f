import { isRecord } from '../../../mesh/object.js';
import type { FieldPath } from '../../types.js';

/** Operation fields security.CheckEmptyValues checks (ports and notPorts are validation/authorization-policy-ports'). */
const EMPTY_CHECKED = ['methods', 'paths', 'hosts', 'notMethods', 'notPaths', 'notHosts'];
/** Istio's path template operators (security.MatchOneTemplate, MatchAnyTemplate). */
const MATCH_ONE = '{*}';
const MATCH_ANY = '{**}';
/** Envoy's pchar (RFC 3986): what a literal segment of a templated path may hold (security.validLiteral). */
const VALID_LITERAL = /^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/;

/**
 * Why security.CheckValidPathTemplate refuses `path` of field `key` (`Paths`, `NotPaths`), in its words, or undefined. The path, trimmed of leading and trailing '/', is split
 * on '/': `{*}` segments are fine, one `{**}` is fine but no template may follow it, any other segment with '{' or '}' is
 * refused, and when the path holds a template every literal segment must be pchar (so no empty segment, no `*`).
 */
export function pathTemplateProblem(path: string, key: string): string | undefined {
  const templated = path.includes(MATCH_ONE) || path.includes(MATCH_ANY);
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  let any = false;
  for (const glob of trimmed.split('/')) {
    if (glob === MATCH_ONE && !any) continue;
    if (glob === MATCH_ANY && !any) {
      any = true;
      continue;
    }
    if (glob === MATCH_ANY || glob === MATCH_ONE) return `invalid or unsupported path ${trimmed}, found in ${key}. {**} is not the last operator`;
    if (/[{}]/.test(glob)) return `invalid or unsupported path ${trimmed}, found in ${key}. Contains '{' or '}' beyond a supported path template`;
    if (templated && !VALID_LITERAL.test(glob)) return `invalid or unsupported path ${trimmed}, found in ${key}. Contains segment ${glob} with invalid string literal`;
  }
  return undefined;
}

const fieldName = (f: string): string => f[0]!.toUpperCase() + f.slice(1);

/**
 * What Istio's ValidateAuthorizationPolicy refuses in the values of the `to[].operation` fields of `rules[i]`: an empty
 * string in methods, paths, hosts or their `not` forms (security.CheckEmptyValues), and a `paths` / `notPaths` entry
 * security.CheckValidPathTemplate refuses (`/api/{id}`, `{**}` before another template, a templated path with an empty
 * or non-pchar segment). Each problem is `[message, path]`.
 */
export function refusedOperationValues(rule: unknown, i: number): [string, FieldPath][] {
  if (!isRecord(rule) || !Array.isArray(rule.to)) return [];
  const out: [string, FieldPath][] = [];
  rule.to.forEach((t, j) => {
    const op = isRecord(t) && isRecord(t.operation) ? t.operation : undefined;
    if (!op) return;
    const at: FieldPath = ['spec', 'rules', i, 'to', j, 'operation'];
    for (const field of EMPTY_CHECKED) {
      const values = Array.isArray(op[field]) ? op[field] as unknown[] : [];
      const k = values.indexOf('');
      if (k >= 0) out.push([`empty value not allowed, found in ${fieldName(field)}, found at rule ${i} to ${j}`, [...at, field, k]]);
      if (field !== 'paths' && field !== 'notPaths') continue;
      for (const [n, v] of values.entries()) {
        const problem = typeof v === 'string' ? pathTemplateProblem(v, fieldName(field)) : undefined;
        if (!problem) continue;
        out.push([`${problem}, found at rule ${i} to ${j}`, [...at, field, n]]);
        break;
      }
    }
  });
  return out;
}
