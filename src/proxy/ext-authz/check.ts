/**
 * What the ext_authz filter sends and gets back, independent of the service's transport (Envoy
 * `filters/common/ext_authz`): the request headers as `CheckRequestUtils` collects them, and the
 * authorization result (`ExtAuthz::Response`: OK with header edits, Denied with a local reply,
 * Error when the service could not answer).
 */
import type { Exchange } from '../http/pipeline.js';
import { matchString } from '../rbac/string-match.js';
import type { HeaderNameMatcher } from './config.js';

/** `[name, value]` pairs, names lower case. */
export type HeaderPairs = readonly (readonly [string, string])[];

/** The service allowed the request: edits to the upstream request and the response. */
export interface AuthzOk {
  readonly status: 'ok';
  /** Replace (or add) on the upstream request. */
  readonly headersToSet: HeaderPairs;
  /** Add one more value on the upstream request. */
  readonly headersToAdd: HeaderPairs;
  /** Append `,value` to a header the request already has (skipped when it has none). */
  readonly headersToAppend: HeaderPairs;
  readonly headersToRemove: readonly string[];
  /** Added to the response sent downstream. */
  readonly responseHeadersToAdd: HeaderPairs;
}

/** The service denied the request: Envoy's local reply with its status, body and headers. */
export interface AuthzDenied {
  readonly status: 'denied';
  readonly httpStatus: number;
  readonly body: string;
  readonly headers: HeaderPairs;
}

/** The service could not be asked or answered badly (connection failure, timeout, 5xx, malformed). */
export interface AuthzError {
  readonly status: 'error';
  readonly reason: string;
}

export type AuthzResult = AuthzOk | AuthzDenied | AuthzError;

export function matchesName(m: HeaderNameMatcher, name: string): boolean {
  return m.some((p) => matchString(p, name));
}

/** What the core's exchange adds that a check request reads (request-handler.ts). */
interface CoreExchange extends Exchange {
  readonly requestId?: string;
}

/**
 * The request headers of a check (Envoy's request header map as `CheckRequestUtils` reads it):
 * pseudo-headers `:authority`, `:method`, `:path`, `:scheme`, the HCM's `x-forwarded-proto` and
 * generated `x-request-id`, then the client's headers (`host` is `:authority`), repeated values
 * joined with `,`. `allowed` keeps only matching names; undefined keeps all.
 */
export function checkHeaders(ex: Exchange, allowed: HeaderNameMatcher | undefined): [string, string][] {
  const out: [string, string][] = [[':authority', ex.authority], [':method', ex.method], [':path', ex.path], [':scheme', ex.scheme], ['x-forwarded-proto', ex.scheme]];
  const id = (ex as CoreExchange).requestId;
  if (id !== undefined) out.push(['x-request-id', id]);
  for (const [name, v] of Object.entries(ex.headers)) {
    // HTTP/2 requests carry their pseudo-headers in node's object too: the exchange's (normalized) ones above stand.
    if (v === undefined || name.charCodeAt(0) === 58 || name === 'host' || name === 'x-forwarded-proto') continue;
    out.push([name, typeof v === 'string' ? v : v.join(',')]);
  }
  return allowed ? out.filter(([n]) => matchesName(allowed, n)) : out;
}

/**
 * Applies an OK result's request edits: recorded on the exchange for the upstream request
 * (`requestHeaderEdits`) and mirrored into `ex.headers`, so later filters and the router see them
 * as Envoy's shared header map would show them.
 */
export function applyOk(ex: Exchange, ok: AuthzOk): void {
  const edits = (ex.requestHeaderEdits ??= []);
  const h = ex.headers as Record<string, string | string[] | undefined>;
  for (const [n, v] of ok.headersToSet) { edits.push('set', n, v); h[n] = v; }
  for (const [n, v] of ok.headersToAdd) {
    edits.push('add', n, v);
    const prev = h[n];
    h[n] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : `${prev},${v}`;
  }
  for (const [n, v] of ok.headersToAppend) {
    const prev = h[n];
    if (prev === undefined) continue;
    const joined = `${Array.isArray(prev) ? prev.join(',') : prev},${v}`;
    edits.push('set', n, joined);
    h[n] = joined;
  }
  for (const n of ok.headersToRemove) {
    // Envoy never removes pseudo-headers or Host (the request would be malformed).
    if (n.startsWith(':') || n === 'host') continue;
    edits.push('remove', n, '');
    delete h[n];
  }
  if (ok.responseHeadersToAdd.length > 0) {
    const r = (ex.responseHeadersToAdd ??= []);
    for (const [n, v] of ok.responseHeadersToAdd) r.push(n, v);
  }
}
