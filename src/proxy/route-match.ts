/**
 * Route matchers compiled once when a RouteConfiguration arrives: Envoy `StringMatcher`, route
 * `HeaderMatcher`, `QueryParameterMatcher` and the `RouteMatch` path specifiers, as closures that do
 * no work per request beyond the comparison (Envoy `source/common/common/matchers.cc`,
 * `source/common/http/header_utility.cc`, `source/common/router/config_impl.cc`). Regexes are RE2
 * (re2js: the same syntax Envoy's `google_re2` accepts, linear-time matching), full-string match.
 */
import { RE2JS } from 're2js';
import type { HeaderMatcher, QueryParameterMatcher, RouteMatch } from '../xds/gen/envoy/config/route/v3/route_components_pb.js';
import type { RegexMatcher } from '../xds/gen/envoy/type/matcher/v3/regex_pb.js';
import type { StringMatcher } from '../xds/gen/envoy/type/matcher/v3/string_pb.js';
import { ConfigError } from './config/config-error.js';

/** A compiled predicate over one string. */
export type StringPredicate = (value: string) => boolean;

/** Request headers as node gives them: lower-case names; pseudo-headers `:method`, `:authority`, `:path`, `:scheme` included. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Compiles an RE2 pattern; throws {@link ConfigError} at `regex` naming the pattern when RE2 refuses it. */
export function compileRe2(m: RegexMatcher | string): RE2JS {
  const pattern = typeof m === 'string' ? m : m.regex;
  try {
    return RE2JS.compile(pattern);
  } catch (e) {
    throw new ConfigError('regex', `${JSON.stringify(pattern)} is not valid RE2 (${(e as Error).message}); RE2 has no look-around and no back-references`);
  }
}

/** Full-match RE2 predicate. */
export function regexPredicate(m: RegexMatcher | string): StringPredicate {
  const re = compileRe2(m);
  return (v) => re.matcher(v).matches();
}

/** `StringMatcher` → predicate: exact / prefix / suffix / contains (with `ignore_case`) / safe_regex (full match). */
export function compileStringMatcher(m: StringMatcher): StringPredicate {
  const p = m.matchPattern;
  switch (p.case) {
    case 'safeRegex': {
      try {
        return regexPredicate(p.value);
      } catch (e) {
        throw e instanceof ConfigError ? e.within('safe_regex') : e;
      }
    }
    case 'exact': case 'prefix': case 'suffix': case 'contains': {
      if (p.case !== 'exact' && p.value === '') throw new ConfigError(p.case, `an empty ${p.case} is not allowed (Envoy: min_len 1); use present_match or a regex`);
      const ic = m.ignoreCase;
      const want = ic ? p.value.toLowerCase() : p.value;
      const norm = ic ? (v: string) => v.toLowerCase() : (v: string) => v;
      if (p.case === 'exact') return ic ? (v) => norm(v) === want : (v) => v === want;
      if (p.case === 'prefix') return (v) => norm(v).startsWith(want);
      if (p.case === 'suffix') return (v) => norm(v).endsWith(want);
      return (v) => norm(v).includes(want);
    }
    default:
      throw new ConfigError('match_pattern', `${p.case === undefined ? 'no pattern set' : `"${p.case}" is not supported`}; use exact, prefix, suffix, contains or safe_regex`);
  }
}

/** A header's value for matching: several values joined with "," as Envoy's `getAllOfHeaderAsString`. */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.join(',');
}

/**
 * Route `HeaderMatcher` → predicate over the request headers. A missing header never matches
 * (inverted or not) unless `present_match: false` or `treat_missing_header_as_empty` says otherwise,
 * as Envoy's `HeaderDataBaseImpl::matchesHeaders`.
 */
export function compileHeaderMatcher(h: HeaderMatcher): (headers: HeaderBag) => boolean {
  const name = h.name.toLowerCase();
  if (name === '') throw new ConfigError('name', 'header name is empty');
  const invert = h.invertMatch;
  const s = h.headerMatchSpecifier;
  if (s.case === 'presentMatch' || s.case === undefined) {
    const want = s.case === undefined ? true : s.value;
    return (headers) => (headers[name] !== undefined) === want !== invert;
  }
  let pred: StringPredicate;
  switch (s.case) {
    case 'exactMatch': pred = (v) => v === s.value; break;
    case 'prefixMatch': pred = (v) => v.startsWith(s.value); break;
    case 'suffixMatch': pred = (v) => v.endsWith(s.value); break;
    case 'containsMatch': pred = (v) => v.includes(s.value); break;
    case 'safeRegexMatch': pred = wrap('safe_regex_match', () => regexPredicate(s.value)); break;
    case 'stringMatch': pred = wrap('string_match', () => compileStringMatcher(s.value)); break;
    case 'rangeMatch': {
      const { start, end } = s.value;
      pred = (v) => /^[+-]?\d+$/.test(v) && BigInt(v) >= start && BigInt(v) < end;
      break;
    }
    default: throw new ConfigError('header_match_specifier', `"${(s as { case?: string }).case}" is not supported`);
  }
  const missingAsEmpty = h.treatMissingHeaderAsEmpty;
  return (headers) => {
    const v = headerValue(headers, name);
    if (v === undefined) return missingAsEmpty ? pred('') !== invert : false;
    return pred(v) !== invert;
  };
}

function wrap<T>(field: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw e instanceof ConfigError ? e.within(field) : e;
  }
}

/** Query parameters of a path (`?a=1&b`): first value per name, percent-decoded where valid. */
export function parseQuery(path: string): ReadonlyMap<string, string> {
  const q = path.indexOf('?');
  const out = new Map<string, string>();
  if (q < 0) return out;
  const end = path.indexOf('#', q);
  for (const part of path.slice(q + 1, end < 0 ? undefined : end).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = decode(eq < 0 ? part : part.slice(0, eq));
    if (!out.has(k)) out.set(k, eq < 0 ? '' : decode(part.slice(eq + 1)));
  }
  return out;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** `QueryParameterMatcher` → predicate over the parsed query: string_match on the value, or present_match. */
export function compileQueryMatcher(q: QueryParameterMatcher): (query: ReadonlyMap<string, string>) => boolean {
  const name = q.name;
  const s = q.queryParameterMatchSpecifier;
  if (s.case === 'presentMatch') return (query) => query.has(name) === s.value;
  if (s.case === 'stringMatch') {
    const pred = wrap('string_match', () => compileStringMatcher(s.value));
    return (query) => {
      const v = query.get(name);
      return v !== undefined && pred(v);
    };
  }
  // Envoy: no specifier means "present".
  return (query) => query.has(name);
}

/** The path without query and fragment (Envoy `PathUtil::removeQueryAndFragment`). */
export function pathOnly(path: string): string {
  let end = path.length;
  const q = path.indexOf('?');
  if (q >= 0) end = q;
  const h = path.indexOf('#');
  if (h >= 0 && h < end) end = h;
  return end === path.length ? path : path.slice(0, end);
}

/**
 * `RouteMatch` path specifier → predicate over the path without query. prefix / path (exact) honour
 * `case_sensitive` (default true); `path_separated_prefix` matches the prefix exactly or followed by
 * `/`; `safe_regex` full-matches the path.
 */
export function compilePathMatcher(m: RouteMatch): StringPredicate {
  const ps = m.pathSpecifier;
  const ci = m.caseSensitive === false;
  switch (ps.case) {
    case 'prefix': {
      if (ps.value === '' || ps.value === '/' && !ci) return ps.value === '' ? () => true : (p) => p.charCodeAt(0) === 47;
      const want = ci ? ps.value.toLowerCase() : ps.value;
      return ci ? (p) => p.toLowerCase().startsWith(want) : (p) => p.startsWith(want);
    }
    case 'path': {
      const want = ci ? ps.value.toLowerCase() : ps.value;
      return ci ? (p) => p.toLowerCase() === want : (p) => p === want;
    }
    case 'pathSeparatedPrefix': {
      const v = ps.value;
      if (v.includes('?') || v.includes('#') || (v.endsWith('/') && v !== '/')) {
        throw new ConfigError('path_separated_prefix', `${JSON.stringify(v)} must not contain ? or # nor end in / (Envoy's validation)`);
      }
      const want = ci ? v.toLowerCase() : v;
      return (p) => {
        const s = ci ? p.toLowerCase() : p;
        return s.startsWith(want) && (s.length === want.length || s.charCodeAt(want.length) === 47);
      };
    }
    case 'safeRegex':
      return wrap('safe_regex', () => regexPredicate(ps.value));
    default:
      throw new ConfigError('path_specifier', `${ps.case === undefined ? 'no path specifier set' : `"${ps.case}" is not supported by this proxy`}; use prefix, path, safe_regex or path_separated_prefix`);
  }
}
