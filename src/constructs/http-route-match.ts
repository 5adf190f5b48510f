import type { IConstruct } from 'constructs';
import type { VirtualServiceSpecHttpMatch } from '../../imports/networking.istio.io.js';
import { PropError } from './_errors.js';
import { checkDnsLabel, checkHeaderName, checkPort, checkSelectorLabels, recordEntries } from './_validate.js';
import { StringMatch, escapeRe2, toStringMatch, translateStringMatch, type StringMatchSpec } from './string-match.js';

/** HTTP methods, for `RequestMatch.method`. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'CONNECT' | 'OPTIONS' | 'TRACE' | 'PATCH';

/**
 * A condition on one cookie. Istio has no cookie match; like the Istio docs, it is rendered as a
 * regex on the `cookie` header: `^(.*?;\s*)?(<name>=<value>)(;.*)?$`. (The `\s*` also accepts
 * the `"; "` separator browsers send, which the docs' `^(.*?;)?` misses.)
 */
export interface CookieMatch {
  /** Cookie name (an RFC 6265 token; case-sensitive). */
  readonly name: string;
  /** Cookie value: a bare string is an exact match; a prefix or RE2 regex also work. */
  readonly value: StringMatch | string;
}

/**
 * One set of request conditions (Istio `HTTPMatchRequest`). Every condition given must hold
 * (AND); a route's list of RequestMatch entries is ORed.
 */
export interface RequestMatch {
  /** Name of the match, appended to the route name in access logs (`name`). @default none */
  readonly name?: string;
  /** URI path condition (`uri`); a bare string is an exact match. @default any URI */
  readonly uri?: StringMatch | string;
  /** Match `uri` case-insensitively (`ignoreUriCase`). @default false */
  readonly ignoreUriCase?: boolean;
  /** URI scheme condition (`scheme`). @default any scheme */
  readonly scheme?: StringMatch | string;
  /** HTTP method condition (`method`). @default any method */
  readonly method?: StringMatch | HttpMethod;
  /** Authority (Host) condition (`authority`). @default any authority */
  readonly authority?: StringMatch | string;
  /** Header conditions by lower-case header name (`headers`). @default none */
  readonly headers?: Readonly<Record<string, StringMatch | string>>;
  /** Headers that must be absent, or must not match (`withoutHeaders`). @default none */
  readonly withoutHeaders?: Readonly<Record<string, StringMatch | string>>;
  /** A cookie condition, rendered as a regex on the `cookie` header. @default none */
  readonly cookie?: CookieMatch;
  /** Query parameter conditions (`queryParams`): exact or regex only (Istio has no prefix here). @default none */
  readonly queryParams?: Readonly<Record<string, StringMatch | string>>;
  /** Only requests from workloads with these labels (`sourceLabels`). @default any source */
  readonly sourceLabels?: Readonly<Record<string, string>>;
  /** Only requests from this namespace (`sourceNamespace`). @default any namespace */
  readonly sourceNamespace?: string;
  /** Only on these gateways (`gateways`), overriding the table's gateways. @default the table's */
  readonly gateways?: readonly string[];
  /** Only requests to this port (`port`). @default any port */
  readonly port?: number;
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_RE_HEAD = '^(.*?;\\s*)?(';
const COOKIE_RE_TAIL = ')(;.*)?$';

/** Maps a list of RequestMatch (ORed) to Istio `match` entries; `field` is e.g. `routes[0].match`. */
export function translateRequestMatches(scope: IConstruct, matches: readonly RequestMatch[], field: string): VirtualServiceSpecHttpMatch[] {
  return matches.map((m, i) => translateRequestMatch(scope, m, `${field}[${i}]`));
}

/** Maps one RequestMatch (ANDed conditions) to an Istio `HTTPMatchRequest`. */
export function translateRequestMatch(scope: IConstruct, m: RequestMatch, field: string): VirtualServiceSpecHttpMatch {
  checkHasCondition(scope, m, field);
  const headers = translateHeaderMap(scope, m.headers, `${field}.headers`);
  if (m.cookie !== undefined) {
    if (headers?.cookie !== undefined) {
      throw new PropError('MP_INVALID_PROP', scope, `${field}.cookie`, m.cookie.name,
        'expected either a cookie condition or a "cookie" header condition in one match, not both');
    }
    return { ...translatePlain(scope, m, field), headers: { ...headers, cookie: translateCookie(scope, m.cookie, `${field}.cookie`) } };
  }
  return { ...translatePlain(scope, m, field), headers };
}

/**
 * Refuses a RequestMatch without a condition (`{}`, or only `name`/`ignoreUriCase`): Istio reads it
 * as matching every request, yet the route has a `match`, so a RouteTable orders it among the
 * matched routes, ahead of the catch-alls (another construct's split included), which it would
 * silently make unreachable.
 */
function checkHasCondition(scope: IConstruct, m: RequestMatch, field: string): void {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) {
    throw new PropError('MP_INVALID_PROP', scope, field, m, 'expected a RequestMatch object such as { headers: { "x-user": "beta" } }');
  }
  const given = (v: unknown) => v !== undefined && !(typeof v === 'object' && v !== null && Object.keys(v).length === 0);
  const conditions: (keyof RequestMatch)[] = ['uri', 'scheme', 'method', 'authority', 'headers', 'withoutHeaders', 'cookie',
    'queryParams', 'sourceLabels', 'sourceNamespace', 'gateways', 'port'];
  if (!conditions.some((k) => given(m[k]))) {
    throw new PropError('MP_INVALID_PROP', scope, field, m,
      `expected at least one condition (${conditions.join(', ')}): without one it matches every request and, ordered among the matched routes, hides the routes after it; for every request leave out match`);
  }
}

function translatePlain(scope: IConstruct, m: RequestMatch, field: string): VirtualServiceSpecHttpMatch {
  const opt = (v: StringMatch | string | undefined, f: string) => (v === undefined ? undefined : translateStringMatch(v, scope, `${field}.${f}`));
  return {
    name: m.name,
    uri: opt(m.uri, 'uri'),
    ignoreUriCase: m.ignoreUriCase,
    scheme: opt(m.scheme, 'scheme'),
    method: opt(m.method, 'method'),
    authority: opt(m.authority, 'authority'),
    withoutHeaders: translateHeaderMap(scope, m.withoutHeaders, `${field}.withoutHeaders`),
    queryParams: translateQueryParams(scope, m.queryParams, `${field}.queryParams`),
    sourceLabels: m.sourceLabels === undefined ? undefined : checkSelectorLabels(scope, `${field}.sourceLabels`, m.sourceLabels),
    sourceNamespace: m.sourceNamespace === undefined ? undefined : checkDnsLabel(scope, `${field}.sourceNamespace`, m.sourceNamespace),
    gateways: m.gateways === undefined ? undefined : [...m.gateways],
    port: m.port === undefined ? undefined : checkPort(scope, `${field}.port`, m.port),
  };
}

function translateHeaderMap(scope: IConstruct, map: Readonly<Record<string, StringMatch | string>> | undefined, field: string): Record<string, StringMatchSpec> | undefined {
  if (map === undefined) return undefined;
  const out: Record<string, StringMatchSpec> = {};
  for (const [name, value] of recordEntries(scope, field, map)) {
    checkHeaderName(scope, `${field}.${name}`, name);
    out[name] = translateStringMatch(value, scope, `${field}.${name}`);
  }
  return out;
}

function translateQueryParams(scope: IConstruct, map: Readonly<Record<string, StringMatch | string>> | undefined, field: string): Record<string, StringMatchSpec> | undefined {
  if (map === undefined) return undefined;
  const out: Record<string, StringMatchSpec> = {};
  for (const [name, value] of recordEntries(scope, field, map)) {
    if (value instanceof StringMatch && value.kind === 'prefix') {
      throw new PropError('MP_INVALID_PROP', scope, `${field}.${name}`, value.value,
        'expected an exact or regex match: Istio does not support prefix matches on query parameters');
    }
    out[name] = translateStringMatch(value, scope, `${field}.${name}`);
  }
  return out;
}

/** The `cookie` header regex for one cookie condition. */
function translateCookie(scope: IConstruct, cookie: CookieMatch, field: string): StringMatchSpec {
  if (typeof cookie.name !== 'string' || !COOKIE_NAME.test(cookie.name)) {
    throw new PropError('MP_INVALID_PROP', scope, `${field}.name`, cookie.name,
      'expected a cookie name: letters, digits and !#$%&\'*+-.^_`|~ (an RFC 6265 token)');
  }
  const value = toStringMatch(cookie.value, scope, `${field}.value`);
  // Validate a user regex on its own first, so the error points at the user's pattern.
  const spec = value.toIstio(scope, `${field}.value`);
  let valueRe: string;
  if (spec.regex !== undefined) valueRe = `(?:${spec.regex})`;
  else if (spec.prefix !== undefined) valueRe = `${escapeRe2(spec.prefix)}[^;]*`;
  else valueRe = escapeRe2(spec.exact ?? '');
  return { regex: `${COOKIE_RE_HEAD}${escapeRe2(cookie.name)}=${valueRe}${COOKIE_RE_TAIL}` };
}
