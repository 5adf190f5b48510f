/**
 * Envoy's `retry_on` read against an upstream answer, as Istio writes it from `HTTPRetry.retryOn`
 * (a bare status code joins `retriable_status_codes` under `retriable-status-codes`).
 */

/**
 * Whether the retry conditions `conditions` (Istio `retryOn` entries, trimmed) retry an upstream
 * answer with HTTP status `status`: `5xx` (500–599), `gateway-error` (502–504), `retriable-4xx`
 * (409), or the code itself listed. `retriable-status-codes` alone lists no code: Istio's default
 * policy since 1.24 retries no status (route/retry/retry.go DefaultPolicy).
 */
export function retryOnRetriesStatus(conditions: readonly string[], status: number): boolean {
  return conditions.some((c) => (c === '5xx' && status >= 500 && status < 600) || (c === 'gateway-error' && status >= 502 && status <= 504)
    || (c === 'retriable-4xx' && status === 409) || c === String(status));
}

/** Envoy retry-on conditions under which a try that hit its per-try timeout is retried. */
const TIMEOUT_RETRY_ON = new Set(['5xx', 'gateway-error', 'reset']);

/**
 * Whether the retry conditions `conditions` (Istio `retryOn` entries, a comma-separated string or a
 * list) retry a try that hit its per-try timeout: only `5xx`, `gateway-error` or `reset` (Envoy
 * retry_state_impl.cc: a per-try timeout is a local reset, retried only for those). Istio's default
 * list (`connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes`) never does.
 */
export function retryOnRetriesTimeout(conditions: string | readonly string[] | undefined): boolean {
  const list = typeof conditions === 'string' ? conditions.split(',') : conditions ?? [];
  return list.some((c) => TIMEOUT_RETRY_ON.has(c.trim()));
}

/**
 * Envoy retry conditions that retry nothing unless a list Istio never fills is given: `retriable-status-codes`
 * without a status code (Istio moves only numeric `retryOn` tokens into `retriable_status_codes`) and
 * `retriable-headers` (Istio sets no `retriable_headers`). A client may still name codes or headers per request
 * (`x-envoy-retriable-status-codes`, `x-envoy-retriable-header-names`), which a config file cannot show.
 */
const INERT_RETRY_ON = new Set(['retriable-status-codes', 'retriable-headers']);

/**
 * The conditions of an Istio `retryOn` (comma-separated, entries trimmed and empty ones skipped as istiod's
 * parseRetryOn does) when every one of them is inert (see INERT_RETRY_ON), so the policy retries nothing;
 * undefined when some condition can fire or the list is empty (Istio's default list applies then).
 */
export function inertRetryOn(retryOn: unknown): string[] | undefined {
  if (typeof retryOn !== 'string') return undefined;
  const conditions = retryOn.split(',').map((c) => c.trim()).filter((c) => c !== '');
  return conditions.length > 0 && conditions.every((c) => INERT_RETRY_ON.has(c)) ? conditions : undefined;
}
