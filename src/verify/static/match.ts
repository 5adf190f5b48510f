/**
 * Whether a request matches an Istio `HTTPMatchRequest`, as Envoy evaluates the route Istio
 * builds from it: every condition of one match ANDed; `uri` on the path without the query string
 * (exact, prefix, or RE2 full match; `ignoreUriCase` lower-cases both sides); headers by
 * lower-case name (a missing header never matches, `withoutHeaders` matches when the header is
 * missing or does not match); query parameters by name; `method`, `authority` and `scheme` as
 * headers `:method`, `:authority`, `:scheme`. Pure.
 */
import { RE2JS } from 're2js';
import { headerMatch } from '../../mesh/view/matches.js';

/** Istio `StringMatch`: exactly one of exact, prefix, regex (RE2). */
export type StringMatch = { readonly exact: string } | { readonly prefix: string } | { readonly regex: string };
/** A header-like condition: a StringMatch, or presence (`{ present: true }`, or a raw empty StringMatch `{}` / regex `*`, which istiod makes `present_match`). */
export type HeaderMatch = StringMatch | { readonly present: true } | Readonly<Record<string, never>>;

/** The match fields that decide routing (the view's `HttpMatchView`, or a raw Istio match). */
export interface MatchConditions {
  readonly uri?: StringMatch;
  readonly scheme?: HeaderMatch;
  readonly method?: HeaderMatch;
  readonly authority?: HeaderMatch;
  readonly headers?: Readonly<Record<string, HeaderMatch>>;
  readonly withoutHeaders?: Readonly<Record<string, HeaderMatch>>;
  readonly queryParams?: Readonly<Record<string, HeaderMatch>>;
  readonly ignoreUriCase?: boolean;
  /** A `uri.prefix` matched as Envoy's `path_separated_prefix` (Gateway API PathPrefix): the whole path or followed by `/`. */
  readonly pathSeparated?: boolean;
}

/** A request as the proxy sees it. */
export interface MatchRequest {
  /** `:authority` (host, optionally `:port`). */
  readonly authority: string;
  /** Path with optional `?query`. */
  readonly path: string;
  readonly method: string;
  /** @default 'http' */
  readonly scheme?: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
}

const REGEX_CACHE = new Map<string, RE2JS | null>();

function regex(pattern: string): RE2JS | null {
  let r = REGEX_CACHE.get(pattern);
  if (r === undefined) {
    try {
      r = RE2JS.compile(pattern);
    } catch {
      r = null;
    }
    REGEX_CACHE.set(pattern, r);
  }
  return r;
}

/** Whether a header-like condition only asks for presence (istiod `canBeConvertedToPresentMatch`), as the view types it (`headerMatch`). */
export function isPresenceMatch(m: HeaderMatch): boolean {
  const typed = headerMatch(m);
  return typed !== undefined && 'present' in typed;
}

/** Whether `value` satisfies `m` (a presence match: any value); an invalid regex matches nothing (Istio would refuse the object). */
export function stringMatches(m: HeaderMatch, value: string, ignoreCase = false): boolean {
  if (isPresenceMatch(m)) return true;
  const v = ignoreCase ? value.toLowerCase() : value;
  if ('exact' in m) return (ignoreCase ? m.exact.toLowerCase() : m.exact) === v;
  if ('prefix' in m) return v.startsWith(ignoreCase ? m.prefix.toLowerCase() : m.prefix);
  const r = regex((m as { regex: string }).regex);
  return r !== null && r.matches(value);
}

function splitPath(path: string): { path: string; query: Map<string, string> } {
  const q = path.indexOf('?');
  const query = new Map<string, string>();
  if (q < 0) return { path, query };
  for (const [k, v] of new URLSearchParams(path.slice(q + 1))) if (!query.has(k)) query.set(k, v);
  return { path: path.slice(0, q), query };
}

/** Whether `req` satisfies every condition of `m`. */
export function requestMatches(m: MatchConditions, req: MatchRequest): boolean {
  const { path, query } = splitPath(req.path);
  if (m.uri && !stringMatches(m.uri, path, m.ignoreUriCase === true)) return false;
  if (m.pathSeparated === true && m.uri && 'prefix' in m.uri && m.uri.prefix !== '/' && path.length > m.uri.prefix.length && path[m.uri.prefix.length] !== '/') return false;
  if (m.method && !stringMatches(m.method, req.method)) return false;
  if (m.scheme && !stringMatches(m.scheme, req.scheme ?? 'http')) return false;
  if (m.authority && !stringMatches(m.authority, req.authority)) return false;
  for (const [name, sm] of Object.entries(m.headers ?? {})) {
    const v = req.headers[name.toLowerCase()];
    if (v === undefined || !stringMatches(sm, v)) return false;
  }
  for (const [name, sm] of Object.entries(m.withoutHeaders ?? {})) {
    const v = req.headers[name.toLowerCase()];
    if (v !== undefined && stringMatches(sm, v)) return false;
  }
  for (const [name, sm] of Object.entries(m.queryParams ?? {})) {
    const v = query.get(name);
    if (v === undefined || !stringMatches(sm, v)) return false;
  }
  return true;
}

/** Whether a route with these match entries (ORed; none = catch-all) takes `req`. */
export function routeMatches(matches: readonly MatchConditions[], req: MatchRequest): boolean {
  return matches.length === 0 || matches.some((m) => requestMatches(m, req));
}
