/**
 * What Istio's validation accepts in an `HTTPRetry.retryOn` list (pkg/config/validation
 * `validateHTTPRetry`): each comma-separated entry, untrimmed, is one of Envoy's retry conditions
 * (`supportedRetryOnPolicies`: the `x-envoy-retry-on` and `x-envoy-retry-grpc-on` values) or an
 * HTTP status code (`strconv.Atoi`, then `http.StatusText` must know it). One list for the check
 * `validation/http-retry`, the constructs and the MeshConfig's default retry policies.
 */

/** Envoy's retry conditions Istio accepts in `retryOn`. */
export const RETRY_ON_POLICIES: readonly string[] = [
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx', 'refused-stream',
  'retriable-status-codes', 'retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
];

const POLICIES = new Set(RETRY_ON_POLICIES);

/** Status codes Go's `http.StatusText` names: a bare number in `retryOn` must be one of them. */
const STATUS_TEXT = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423,
  424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

/** The number Go's `strconv.Atoi` reads from `entry` (optional sign, decimal digits), else null. */
export function retryOnStatusOf(entry: string): number | null {
  return /^[+-]?\d+$/.test(entry) ? Number(entry) : null;
}

/** Whether Istio's validation accepts one `retryOn` entry (as written: `" reset"` is not `reset`). */
export function isValidRetryOnEntry(entry: string): boolean {
  if (POLICIES.has(entry)) return true;
  const status = retryOnStatusOf(entry);
  return status !== null && STATUS_TEXT.has(status);
}

/** Whether `status` is a code Go's `http.StatusText` names. */
export function isKnownHttpStatus(status: number): boolean {
  return STATUS_TEXT.has(status);
}
