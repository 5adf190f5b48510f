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
