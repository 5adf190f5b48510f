import type { IConstruct } from 'constructs';
import type {
  VirtualServiceSpecHttpCorsPolicy,
  VirtualServiceSpecHttpDirectResponse,
  VirtualServiceSpecHttpFault,
  VirtualServiceSpecHttpHeaders,
  VirtualServiceSpecHttpRedirect,
  VirtualServiceSpecHttpRetries,
  VirtualServiceSpecHttpRewrite,
} from '../../imports/networking.istio.io.js';
import { PropError } from './_errors.js';
import { checkHeaderName, checkInt32, checkPort, checkRe2, checkRetryOn, recordEntries } from './_validate.js';
import { type Duration, toDuration } from './duration.js';
import { type Percent, toPercent } from './percent.js';
import { type StringMatch, translateStringMatch } from './string-match.js';

/**
 * Envoy retry conditions (`x-envoy-retry-on` and `x-envoy-retry-grpc-on`), or an HTTP status
 * code such as `'503'` (Istio adds it to `retriable-status-codes`).
 */
export type RetryOn =
  | '5xx' | 'gateway-error' | 'reset' | 'reset-before-request' | 'connect-failure' | 'envoy-ratelimited'
  | 'retriable-4xx' | 'refused-stream' | 'retriable-status-codes' | 'retriable-headers' | 'http3-post-connect-failure'
  | 'cancelled' | 'deadline-exceeded' | 'internal' | 'resource-exhausted' | 'unavailable'
  | `${number}`;

/** Retry policy for one route (Istio `HTTPRetry`). */
export interface RetryPolicy {
  /** Number of retries (not counting the first try) (`attempts`). 0 disables retries. */
  readonly attempts: number;
  /** Timeout of each try, including the first (`perTryTimeout`). @default the route timeout */
  readonly perTryTimeout?: Duration | string;
  /**
   * Conditions that trigger a retry (`retryOn`, comma-joined): Envoy's retry-on and gRPC
   * retry-on names, or HTTP status codes such as `'503'`; anything else is refused, as Istio does.
   * @default Istio's: connect-failure, refused-stream, unavailable, cancelled, retriable-status-codes with no
   * code (Istio 1.24 dropped 503 from it, so a 503 is not retried: add `'503'` or `'5xx'` to retry it)
   */
  readonly retryOn?: readonly RetryOn[];
  /** Retry on endpoints in other localities (`retryRemoteLocalities`). @default false */
  readonly retryRemoteLocalities?: boolean;
  /** Base interval of the exponential back-off between retries (`backoff`). @default 25ms */
  readonly backoff?: Duration | string;
}

/** Delay injection (Istio `HTTPFaultInjection.Delay`). */
export interface FaultDelay {
  /** How long to wait before forwarding (`fixedDelay`). */
  readonly fixedDelay: Duration | string;
  /** Share of requests delayed (`percentage.value`). */
  readonly percentage: Percent | number;
}

/** Abort injection (Istio `HTTPFaultInjection.Abort`). */
export interface FaultAbort {
  /** HTTP status returned instead of forwarding (`httpStatus`), 200 to 599. */
  readonly httpStatus: number;
  /** Share of requests aborted (`percentage.value`). */
  readonly percentage: Percent | number;
}

/** Client-side fault injection (Istio `HTTPFaultInjection`). At least one of delay and abort. */
export interface FaultInjection {
  /** @default no delay */
  readonly delay?: FaultDelay;
  /** @default no abort */
  readonly abort?: FaultAbort;
}

/** Answer with a redirect instead of forwarding (Istio `HTTPRedirect`). */
export interface HttpRedirect {
  /** Replacement path (`uri`). @default the request's path */
  readonly uri?: string;
  /** Replacement authority/Host (`authority`). @default the request's authority */
  readonly authority?: string;
  /** Replacement scheme (`scheme`). @default the request's scheme */
  readonly scheme?: 'http' | 'https';
  /** Replacement port (`port`). @default the request's port */
  readonly port?: number;
  /** Status code (`redirectCode`): 301, 302, 303, 307 or 308. @default 301 */
  readonly redirectCode?: 301 | 302 | 303 | 307 | 308;
}

/** Answer directly instead of forwarding (Istio `HTTPDirectResponse`). */
export interface DirectResponse {
  /** HTTP status (`status`), 200 to 599. */
  readonly status: number;
  /** Response body text (`body.string`). @default empty body */
  readonly body?: string;
}

/** Rewrite the request before forwarding (Istio `HTTPRewrite`). */
export interface HttpRewrite {
  /** Replaces the matched path or prefix (`uri`). Not with `uriRegexRewrite`. @default unchanged */
  readonly uri?: string;
  /** Replaces the Authority/Host header (`authority`). @default unchanged */
  readonly authority?: string;
  /** Replaces the parts of the path the RE2 `match` matches with `rewrite` (`uriRegexRewrite`). @default none */
  readonly uriRegexRewrite?: { readonly match: string; readonly rewrite: string };
}

/** Cross-origin resource sharing policy (Istio `CorsPolicy`). */
export interface CorsPolicy {
  /** Origins allowed; a bare string is an exact match (`allowOrigins`). */
  readonly allowOrigins: ReadonlyArray<StringMatch | string>;
  /** Methods allowed (`allowMethods`). @default none listed */
  readonly allowMethods?: readonly string[];
  /** Request headers allowed (`allowHeaders`). @default none listed */
  readonly allowHeaders?: readonly string[];
  /** Response headers browsers may read (`exposeHeaders`). @default none listed */
  readonly exposeHeaders?: readonly string[];
  /** How long browsers may cache a preflight answer (`maxAge`). @default browser default */
  readonly maxAge?: Duration | string;
  /** Allow credentialed requests (`allowCredentials`). @default false */
  readonly allowCredentials?: boolean;
}

/** Header changes on one direction of a request (Istio `Headers.HeaderOperations`). */
export interface HeaderOperations {
  /** Overwrite these headers (`set`). @default none */
  readonly set?: Readonly<Record<string, string>>;
  /** Append these headers (`add`). @default none */
  readonly add?: Readonly<Record<string, string>>;
  /** Remove these headers (`remove`). @default none */
  readonly remove?: readonly string[];
}

/** Header changes on requests and responses (Istio `Headers`). */
export interface HeaderPolicy {
  /** @default no change */
  readonly request?: HeaderOperations;
  /** @default no change */
  readonly response?: HeaderOperations;
}

/** Maps a RetryPolicy to Istio `retries`. */
export function translateRetries(scope: IConstruct, r: RetryPolicy, field: string): VirtualServiceSpecHttpRetries {
  checkInt32(scope, `${field}.attempts`, r.attempts);
  if (r.attempts === 0 && (r.perTryTimeout ?? r.retryOn ?? r.retryRemoteLocalities) !== undefined) {
    const extra = r.perTryTimeout !== undefined ? 'perTryTimeout' : r.retryOn !== undefined ? 'retryOn' : 'retryRemoteLocalities';
    throw new PropError('MP_INVALID_PROP', scope, `${field}.${extra}`, r[extra], 'expected no other retry settings with attempts 0 (retries disabled): Istio refuses them');
  }
  if (r.retryOn !== undefined && (!Array.isArray(r.retryOn) || r.retryOn.length === 0)) {
    throw new PropError('MP_INVALID_RETRY_ON', scope, `${field}.retryOn`, r.retryOn, 'expected at least one condition; omit retryOn for the mesh default');
  }
  r.retryOn?.forEach((c, i) => checkRetryOn(scope, `${field}.retryOn[${i}]`, c));
  return {
    attempts: r.attempts,
    perTryTimeout: r.perTryTimeout === undefined ? undefined : toDuration(r.perTryTimeout, scope, `${field}.perTryTimeout`).toIstio(),
    retryOn: r.retryOn === undefined ? undefined : r.retryOn.join(','),
    retryRemoteLocalities: r.retryRemoteLocalities,
    backoff: r.backoff === undefined ? undefined : toDuration(r.backoff, scope, `${field}.backoff`).toIstio(),
  };
}

/** Maps a FaultInjection to Istio `fault`, always with `percentage.value` (never deprecated `percent`). */
export function translateFault(scope: IConstruct, f: FaultInjection, field: string): VirtualServiceSpecHttpFault {
  if (f.delay === undefined && f.abort === undefined) {
    throw new PropError('MP_INVALID_PROP', scope, field, f, 'expected a delay, an abort or both');
  }
  const { delay, abort } = f;
  return {
    delay: delay === undefined ? undefined : {
      fixedDelay: toDuration(delay.fixedDelay, scope, `${field}.delay.fixedDelay`).toIstio(),
      percentage: toPercent(delay.percentage, scope, `${field}.delay.percentage`).toIstio(),
    },
    abort: abort === undefined ? undefined : {
      httpStatus: checkStatus(scope, `${field}.abort.httpStatus`, abort.httpStatus),
      percentage: toPercent(abort.percentage, scope, `${field}.abort.percentage`).toIstio(),
    },
  };
}

const REDIRECT_CODES = [301, 302, 303, 307, 308];

/** Maps an HttpRedirect to Istio `redirect`. */
export function translateRedirect(scope: IConstruct, r: HttpRedirect, field: string): VirtualServiceSpecHttpRedirect {
  if (r.redirectCode !== undefined && !REDIRECT_CODES.includes(r.redirectCode)) {
    throw new PropError('MP_INVALID_PROP', scope, `${field}.redirectCode`, r.redirectCode, `expected one of ${REDIRECT_CODES.join(', ')}`);
  }
  return {
    uri: r.uri,
    authority: r.authority,
    scheme: r.scheme,
    port: r.port === undefined ? undefined : checkPort(scope, `${field}.port`, r.port),
    redirectCode: r.redirectCode,
  };
}

/** Maps a DirectResponse to Istio `directResponse`. */
export function translateDirectResponse(scope: IConstruct, d: DirectResponse, field: string): VirtualServiceSpecHttpDirectResponse {
  return {
    status: checkStatus(scope, `${field}.status`, d.status),
    body: d.body === undefined ? undefined : { string: d.body },
  };
}

/** Maps an HttpRewrite to Istio `rewrite`. */
export function translateRewrite(scope: IConstruct, r: HttpRewrite, field: string): VirtualServiceSpecHttpRewrite {
  if (r.uri !== undefined && r.uriRegexRewrite !== undefined) {
    throw new PropError('MP_INVALID_PROP', scope, `${field}.uriRegexRewrite`, r.uriRegexRewrite, 'expected either uri or uriRegexRewrite, not both');
  }
  const rr = r.uriRegexRewrite;
  return {
    uri: r.uri,
    authority: r.authority,
    uriRegexRewrite: rr === undefined ? undefined : { match: checkRe2(scope, `${field}.uriRegexRewrite.match`, rr.match), rewrite: rr.rewrite },
  };
}

/** Maps a CorsPolicy to Istio `corsPolicy` (with `allowOrigins`, never deprecated `allowOrigin`). */
export function translateCors(scope: IConstruct, c: CorsPolicy, field: string): VirtualServiceSpecHttpCorsPolicy {
  // CORS header lists are case-insensitive, so check the token but keep the author's casing.
  const names = (list: readonly string[] | undefined, f: string) => list?.map((h, i) => {
    checkHeaderName(scope, `${field}.${f}[${i}]`, typeof h === 'string' ? h.toLowerCase() : h);
    return h;
  });
  return {
    allowOrigins: c.allowOrigins.map((o, i) => translateStringMatch(o, scope, `${field}.allowOrigins[${i}]`)),
    allowMethods: c.allowMethods === undefined ? undefined : [...c.allowMethods],
    allowHeaders: names(c.allowHeaders, 'allowHeaders'),
    exposeHeaders: names(c.exposeHeaders, 'exposeHeaders'),
    maxAge: c.maxAge === undefined ? undefined : toDuration(c.maxAge, scope, `${field}.maxAge`).toIstio(),
    allowCredentials: c.allowCredentials,
  };
}

/** Maps a HeaderPolicy to Istio `headers`; header names must be lower case. */
export function translateHeaders(scope: IConstruct, h: HeaderPolicy, field: string): VirtualServiceSpecHttpHeaders {
  return {
    request: h.request === undefined ? undefined : translateHeaderOps(scope, h.request, `${field}.request`),
    response: h.response === undefined ? undefined : translateHeaderOps(scope, h.response, `${field}.response`),
  };
}

function translateHeaderOps(scope: IConstruct, ops: HeaderOperations, field: string) {
  const map = (m: Readonly<Record<string, string>> | undefined, f: string) => {
    if (m === undefined) return undefined;
    const entries = recordEntries(scope, `${field}.${f}`, m);
    for (const [name] of entries) checkHeaderName(scope, `${field}.${f}.${name}`, name);
    return Object.fromEntries(entries);
  };
  return {
    set: map(ops.set, 'set'),
    add: map(ops.add, 'add'),
    remove: ops.remove?.map((name, i) => checkHeaderName(scope, `${field}.remove[${i}]`, name)),
  };
}

function checkStatus(scope: IConstruct, field: string, value: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 200 || value > 599) {
    throw new PropError('MP_INVALID_PROP', scope, field, value, 'expected an HTTP status code from 200 to 599');
  }
  return value;
}
