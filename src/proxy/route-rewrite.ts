/**
 * Path and host rewrites and redirect locations, compiled per route (Envoy
 * `source/common/router/config_impl.cc` `currentUrlPathAfterRewriteWithMatchedPath`, and
 * `Http::Utility::newUri` for redirects). Pure: strings in, strings out.
 */
import type { RE2JS } from 're2js';
import type { RedirectAction, RouteAction } from '../xds/gen/envoy/config/route/v3/route_components_pb.js';
import { RedirectAction_RedirectResponseCode } from '../xds/gen/envoy/config/route/v3/route_components_pb.js';
import type { RegexMatchAndSubstitute } from '../xds/gen/envoy/type/matcher/v3/regex_pb.js';
import { ConfigError, under } from './config/config-error.js';
import { type HeaderBag, compileRe2, headerValue } from './route-match.js';

/** A compiled `regex_rewrite`: every match in the path (query excluded) replaced by the substitution. */
export interface RegexRewrite { readonly re: RE2JS; readonly replacement: string }

/** Envoy substitutions are RE2's `\1`; re2js takes `$1` (and `$$` for a literal `$`). */
export function compileRegexRewrite(r: RegexMatchAndSubstitute): RegexRewrite {
  if (!r.pattern) throw new ConfigError('pattern', 'regex_rewrite needs a pattern');
  const re = under('pattern', () => compileRe2(r.pattern!));
  const replacement = r.substitution.replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1');
  return { re, replacement };
}

function splitQuery(path: string): [string, string] {
  const q = path.indexOf('?');
  return q < 0 ? [path, ''] : [path.slice(0, q), path.slice(q)];
}

/**
 * The path after `prefix_rewrite` or `regex_rewrite`. `matchedLength` is the length of the matched
 * prefix (prefix / path_separated_prefix) or of the whole path (exact path, regex): that many leading
 * characters are replaced by the prefix rewrite. The query string is kept.
 */
export function rewritePath(path: string, prefixRewrite: string | undefined, regex: RegexRewrite | undefined, matchedLength: number | 'all'): string {
  const [p, query] = splitQuery(path);
  if (regex) return regex.re.matcher(p).replaceAll(regex.replacement) + query;
  if (prefixRewrite === undefined) return path;
  const n = matchedLength === 'all' ? p.length : matchedLength;
  return prefixRewrite + p.slice(n) + query;
}

/** How a forwarded request's authority is rewritten (`RouteAction.host_rewrite_specifier`). */
export type HostRewrite =
  | { readonly kind: 'literal'; readonly host: string }
  | { readonly kind: 'header'; readonly header: string }
  | { readonly kind: 'path-regex'; readonly rewrite: RegexRewrite }
  | { readonly kind: 'auto' };

export function compileHostRewrite(a: RouteAction): HostRewrite | undefined {
  const h = a.hostRewriteSpecifier;
  switch (h.case) {
    case 'hostRewriteLiteral': return h.value ? { kind: 'literal', host: h.value } : undefined;
    case 'hostRewriteHeader': return { kind: 'header', header: h.value.toLowerCase() };
    case 'autoHostRewrite': return h.value ? { kind: 'auto' } : undefined;
    case 'hostRewritePathRegex': return { kind: 'path-regex', rewrite: under('host_rewrite_path_regex', () => compileRegexRewrite(h.value)) };
    default: return undefined;
  }
}

/** The new authority, or undefined when unchanged (`auto` is decided by the forwarder from the endpoint). */
export function rewriteHost(rw: HostRewrite, path: string, headers: HeaderBag): string | undefined {
  switch (rw.kind) {
    case 'literal': return rw.host;
    case 'header': { const v = headerValue(headers, rw.header); return v === undefined || v === '' ? undefined : v; }
    case 'path-regex': return rewritePath(splitQuery(path)[0], undefined, rw.rewrite, 'all');
    case 'auto': return undefined;
  }
}

/** A compiled `RedirectAction`. */
export interface CompiledRedirect {
  readonly status: number;
  readonly scheme: string | undefined;
  readonly host: string | undefined;
  /** `:port` or empty. */
  readonly port: string;
  readonly path: string | undefined;
  readonly pathHasQuery: boolean;
  readonly prefixRewrite: string | undefined;
  readonly regexRewrite: RegexRewrite | undefined;
  readonly stripQuery: boolean;
}

const REDIRECT_STATUS: Record<number, number> = {
  [RedirectAction_RedirectResponseCode.MOVED_PERMANENTLY]: 301, [RedirectAction_RedirectResponseCode.FOUND]: 302,
  [RedirectAction_RedirectResponseCode.SEE_OTHER]: 303, [RedirectAction_RedirectResponseCode.TEMPORARY_REDIRECT]: 307,
  [RedirectAction_RedirectResponseCode.PERMANENT_REDIRECT]: 308,
};

export function compileRedirect(r: RedirectAction): CompiledRedirect {
  const s = r.schemeRewriteSpecifier;
  const p = r.pathRewriteSpecifier;
  const status = REDIRECT_STATUS[r.responseCode];
  if (status === undefined) throw new ConfigError('response_code', `unknown redirect response code ${r.responseCode}; use MOVED_PERMANENTLY, FOUND, SEE_OTHER, TEMPORARY_REDIRECT or PERMANENT_REDIRECT`);
  return {
    status,
    scheme: s.case === 'schemeRedirect' ? s.value.toLowerCase() : s.case === 'httpsRedirect' && s.value ? 'https' : undefined,
    host: r.hostRedirect || undefined,
    port: r.portRedirect ? `:${r.portRedirect}` : '',
    // Envoy reads an empty path_redirect as none (istiod always sets one): the request's path stays.
    path: p.case === 'pathRedirect' && p.value !== '' ? p.value : undefined,
    pathHasQuery: p.case === 'pathRedirect' && p.value.includes('?'),
    prefixRewrite: p.case === 'prefixRewrite' ? p.value : undefined,
    regexRewrite: p.case === 'regexRewrite' ? under('regex_rewrite', () => compileRegexRewrite(p.value)) : undefined,
    stripQuery: r.stripQuery,
  };
}

/** Envoy `processRequestHost`: drops the request's port when a port redirect is set, or when the scheme changes and the port is the old scheme's default. */
function processRequestHost(host: string, requestScheme: string, newScheme: string, newPort: string): string {
  if (host === '') return host;
  let end = host.startsWith('[') ? host.lastIndexOf(']:') : host.lastIndexOf(':');
  if (host.startsWith('[') && end >= 0) end += 1;
  if (end < 0) return host;
  const port = host.slice(end);
  let remove = newPort !== '';
  if (newScheme !== requestScheme) {
    remove ||= requestScheme === 'https' && port === ':443';
    remove ||= requestScheme === 'http' && port === ':80';
  }
  return remove ? host.slice(0, end) : host;
}

/** The `Location` of a redirect for a request (`scheme`, `authority`, `path` with query; `matchedLength` as {@link rewritePath}). */
export function redirectLocation(r: CompiledRedirect, scheme: string, authority: string, path: string, matchedLength: number | 'all'): string {
  const finalScheme = r.scheme ?? scheme;
  const host = r.host ?? processRequestHost(authority, scheme, finalScheme, r.port);
  let finalPath: string;
  if (r.path !== undefined) {
    finalPath = r.pathHasQuery ? r.path : r.path + splitQuery(path)[1];
  } else if (r.prefixRewrite !== undefined || r.regexRewrite) {
    finalPath = rewritePath(path, r.prefixRewrite, r.regexRewrite, matchedLength);
  } else {
    finalPath = path;
  }
  if (!finalPath.startsWith('/')) finalPath = `/${finalPath}`;
  if (!r.pathHasQuery && r.stripQuery) finalPath = splitQuery(finalPath)[0];
  return `${finalScheme}://${host}${r.port}${finalPath}`;
}
