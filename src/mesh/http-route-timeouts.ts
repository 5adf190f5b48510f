/**
 * The timeout and retry policy istiod gives one Gateway API HTTPRoute rule, read from its
 * `timeouts` and `retry` as `convertHTTPRoute` does (istio/istio pilot/pkg/config/kube/gateway/conversion.go).
 */
import { isRecord } from './object.js';
import { parseGoDuration } from '../validate/go-duration.js';

/** The retry-on conditions istiod sets for an HTTPRoute `retry`, before its `codes` (conversion.go). */
export const HTTP_ROUTE_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled';

/** The VirtualService timeout and retries istiod makes of one HTTPRoute rule. */
export interface HttpRouteRuleTimeouts {
  /** The route timeout in ms; null when none is set (Istio then disables it). */
  readonly timeoutMs: number | null;
  /** The `timeouts` field the route timeout came from. */
  readonly timeoutFrom: 'request' | 'backendRequest' | null;
  /** `timeouts.request` in ms as written (0 and unparsable read as unset, as istiod reads them). */
  readonly requestMs: number | null;
  /** `timeouts.backendRequest` in ms as written (0 and unparsable read as unset). */
  readonly backendRequestMs: number | null;
  /**
   * The HTTPRetry istiod makes of `retry`; null without `retry` (Istio's default retry policy then
   * applies, with no per-try timeout). `attempts` 0 means no retries: Istio then drops the whole
   * policy, `perTryTimeoutMs` with it (route/retry `ConvertPolicy`).
   */
  readonly retry: { readonly attempts: number; readonly retryOn: string; readonly perTryTimeoutMs: number | null } | null;
}

/**
 * Istio's reading of an HTTPRoute rule's `timeouts` and `retry`: `request` becomes the route timeout;
 * `retry` becomes an HTTPRetry with `attempts` (default 2) and retry-on {@link HTTP_ROUTE_RETRY_ON} plus
 * the `codes`; `backendRequest` becomes that retry's `perTryTimeout`, or, without `retry`, the route
 * timeout in place of `request`. A zero duration is left out, as istiod leaves it.
 */
export function httpRouteRuleTimeouts(rule: Readonly<Record<string, unknown>>): HttpRouteRuleTimeouts {
  const t = isRecord(rule.timeouts) ? rule.timeouts : {};
  const requestMs = nonZeroMs(t.request);
  const backendRequestMs = nonZeroMs(t.backendRequest);
  const retry = isRecord(rule.retry) ? convertRetry(rule.retry, backendRequestMs) : null;
  if (backendRequestMs !== null && retry === null) {
    return { timeoutMs: backendRequestMs, timeoutFrom: 'backendRequest', requestMs, backendRequestMs, retry };
  }
  return { timeoutMs: requestMs, timeoutFrom: requestMs === null ? null : 'request', requestMs, backendRequestMs, retry };
}

function convertRetry(retry: Readonly<Record<string, unknown>>, perTryTimeoutMs: number | null): NonNullable<HttpRouteRuleTimeouts['retry']> {
  const attempts = typeof retry.attempts === 'number' && Number.isInteger(retry.attempts) && retry.attempts >= 0 ? retry.attempts : 2;
  const codes = (Array.isArray(retry.codes) ? retry.codes : []).filter((c): c is number => typeof c === 'number' && Number.isInteger(c));
  return { attempts, retryOn: attempts === 0 ? '' : [HTTP_ROUTE_RETRY_ON, ...codes.map(String)].join(','), perTryTimeoutMs };
}

/** A Gateway API Duration in ms; null when absent, zero or unparsable (istiod ignores the parse error and reads 0). */
function nonZeroMs(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  try {
    const nanos = parseGoDuration(v);
    return nanos > 0n ? Number(nanos) / 1e6 : null;
  } catch {
    return null;
  }
}
