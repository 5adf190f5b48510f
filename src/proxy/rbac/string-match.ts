/**
 * Envoy's `envoy.type.matcher.v3.StringMatcher`, `PathMatcher` and route `HeaderMatcher` as pure
 * predicates (Envoy `source/common/common/matchers.cc`, `source/common/http/header_utility.cc`).
 * Regexes are RE2 (`safe_regex`, Google RE2 engine) with full-string match, as Envoy.
 */
import { RE2JS } from 're2js';
import type { HeaderMatcher } from '../../xds/gen/envoy/config/route/v3/route_components_pb.js';
import type { PathMatcher } from '../../xds/gen/envoy/type/matcher/v3/path_pb.js';
import type { StringMatcher } from '../../xds/gen/envoy/type/matcher/v3/string_pb.js';

const compiled = new Map<string, RE2JS>();

/**
 * Compiles an RE2 pattern once. Throws `Error` naming the pattern when RE2 refuses it (Envoy refuses
 * such config at load time, so callers validate before they serve).
 */
export function re2Full(pattern: string): RE2JS {
  let re = compiled.get(pattern);
  if (!re) {
    try {
      re = RE2JS.compile(pattern);
    } catch (e) {
      throw new Error(`safe_regex ${JSON.stringify(pattern)} is not valid RE2: ${(e as Error).message}`);
    }
    if (compiled.size >= 1024) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

/**
 * `StringMatcher.match(value)`: exact / prefix / suffix / contains / safe_regex (full match), with
 * `ignore_case` for all but safe_regex. An unset pattern matches nothing.
 */
export function matchString(m: StringMatcher, value: string): boolean {
  const p = m.matchPattern;
  if (p.case === 'safeRegex') return re2Full(p.value.regex).matches(value);
  if (p.case === undefined || p.case === 'custom') return false;
  const want = m.ignoreCase ? p.value.toLowerCase() : p.value;
  const got = m.ignoreCase ? value.toLowerCase() : value;
  switch (p.case) {
    case 'exact': return got === want;
    case 'prefix': return got.startsWith(want);
    case 'suffix': return got.endsWith(want);
    case 'contains': return got.includes(want);
  }
}

/** `PathMatcher.match(path)`: the StringMatcher on the path without its query string and fragment (Envoy `PathUtil::removeQueryAndFragment`). */
export function matchPath(m: PathMatcher, path: string | undefined): boolean {
  if (path === undefined || m.rule.case !== 'path') return false;
  const q = path.search(/[?#]/);
  return matchString(m.rule.value, q < 0 ? path : path.slice(0, q));
}

/**
 * Request headers as the matchers read them: lower-case names, pseudo-headers included (`:method`,
 * `:path`, `:authority`, `:scheme`). A repeated header is one value joined with `,` (Envoy
 * `HeaderUtility::getAllOfHeaderAsString`).
 */
export type HeaderLookup = (name: string) => string | undefined;

/**
 * `HeaderMatcher` against request headers (Envoy `HeaderUtility::matchHeaders`): exact (empty value
 * matches any) / prefix / suffix / contains / safe_regex / string_match / range `[start, end)` /
 * present (the default when no specifier is set), then `invert_match`. A missing header matches only
 * `present_match: false`, or `present_match: true` inverted; every other matcher, inverted or not,
 * fails on it.
 */
export function matchHeader(m: HeaderMatcher, headers: HeaderLookup): boolean {
  const value = headers(m.name.toLowerCase());
  const s = m.headerMatchSpecifier;
  const present = s.case === undefined || s.case === 'presentMatch';
  const presentWanted = s.case === 'presentMatch' ? s.value : true;
  if (value === undefined) return present && (m.invertMatch ? presentWanted : !presentWanted);
  let hit: boolean;
  switch (s.case) {
    case undefined: hit = true; break;
    case 'exactMatch': hit = s.value === '' || value === s.value; break;
    case 'prefixMatch': hit = value.startsWith(s.value); break;
    case 'suffixMatch': hit = value.endsWith(s.value); break;
    case 'containsMatch': hit = value.includes(s.value); break;
    case 'safeRegexMatch': hit = re2Full(s.value.regex).matches(value); break;
    case 'stringMatch': hit = matchString(s.value, value); break;
    case 'presentMatch': hit = s.value; break;
    case 'rangeMatch': {
      const n = /^-?\d+$/.test(value) ? BigInt(value) : undefined;
      hit = n !== undefined && n >= s.value.start && n < s.value.end;
      break;
    }
  }
  return hit !== m.invertMatch;
}
